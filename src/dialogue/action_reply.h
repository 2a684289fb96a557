// The shape check of an action server's reply, apart from the turn loop so that it can be tested
// (and fuzzed) on its own.
#pragma once

#include "core/json.h"
#include "core/status.h"

namespace parley::dialogue {

// An action server's reply has the shape of Rasa's action_response_format_spec: an object whose
// "events" and "responses", when present, are lists of objects. Anything else is a failed call:
// returns InvalidArgument naming what is wrong, ok otherwise. Each event is then read with
// event_from_json (dialogue/event.h), which rejects the ones it does not know.
Status check_action_reply(const json::value& body);

}  // namespace parley::dialogue
