// A message for the user in Rasa's response shape (text, image, buttons, custom, attachment).
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"

namespace parley::dialogue {

struct BotMessage {
  std::string text;
  json::object data;  // image, buttons, custom, attachment, elements, quick_replies; empty when none
  // {"recipient_id": ..., "text": ..., ...} with null keys left out (Rasa REST channel shape).
  json::object to_rasa(std::string_view recipient_id) const;
  // {"text": ..., ...} (native shape).
  json::object to_json() const;
  // Parses the native shape back (for stored replies).
  static BotMessage from_json(const json::object& o);
};

}  // namespace parley::dialogue
