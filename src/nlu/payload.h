// Messages that name their intent directly, as buttons send them: `/intent`, `/intent{"e": "v"}`,
// `/intent@0.8{...}` (Rasa's RegexMessageHandler format).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlu/nlu.h"

namespace parley::nlu {

struct IntentPayload {
  std::string intent;
  double confidence = 1.0;      // from `@0.8`, else 1
  std::vector<Entity> entities;  // extractor "intent_payload"; offsets span the JSON object
};

// Parses `text` (surrounding whitespace ignored) as a payload. nullopt when it is not one: no
// leading '/', an empty name or one with spaces, a bad `@confidence`, or anything after the
// name that is not one JSON object. Entity values that are lists give one entity per element;
// strings are taken as they are, other JSON values as their JSON text; nulls are skipped.
// Whether the intent is known is for the caller to decide.
std::optional<IntentPayload> parse_intent_payload(std::string_view text);

}  // namespace parley::nlu
