// Reading a user message from a request body, with every check the edge makes (G7): UTF-8,
// JSON syntax, field types, required fields, the text and id limits. Three shapes:
//   native     {"id"?: str, "text": str, "metadata"?: obj}                       (conversation from the URL)
//   rasa       {"sender": str, "message": str, "message_id"?: str, "metadata"?: obj, "input_channel"?: str}
//   websocket  {"conversation": str, "id"?: str, "text": str, "metadata"?: obj}
#pragma once

#include <optional>
#include <string_view>

#include "channels/http/http_errors.h"
#include "runtime/message.h"

namespace parley::channels {

enum class MessageShape { kNative, kRasa, kWebSocket };

struct MessageLimits {
  size_t max_text_bytes = 16u << 10;
  size_t max_id_bytes = 256;
  bool require_message_id = false;  // 422 missing_message_id for a message without one
};

// Fills `out` (text, message_id, metadata, input_channel; conversation for rasa and websocket)
// or returns the error to answer: 400 invalid_utf8 / malformed_json, 422 wrong_type /
// missing_field, 413 text_too_large, 400 invalid_id.
std::optional<ApiError> parse_message_body(std::string_view body, MessageShape shape, const MessageLimits& limits,
                                           runtime::MessageRequest& out);

// An id from the URL or a body: not empty, valid UTF-8, at most max_id_bytes. `what` names it.
std::optional<ApiError> check_id(std::string_view what, std::string_view id, size_t max_id_bytes);

}  // namespace parley::channels
