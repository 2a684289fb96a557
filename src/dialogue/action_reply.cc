// The shape check of an action server's reply.
#include "dialogue/action_reply.h"

#include <string>

namespace parley::dialogue {

Status check_action_reply(const json::value& body) {
  if (!body.is_object()) return Status::invalid("action server reply is not a JSON object");
  for (const char* key : {"events", "responses"}) {
    const json::value* v = body.as_object().if_contains(key);
    if (!v || v->is_null()) continue;
    if (!v->is_array()) return Status::invalid(std::string("action server reply: '") + key + "' is not a list");
    for (const auto& item : v->as_array())
      if (!item.is_object())
        return Status::invalid(std::string("action server reply: an item of '") + key + "' is not an object");
  }
  return Status::ok();
}

}  // namespace parley::dialogue
