// Checks on incoming message bodies, in the order a client would want to hear about them.
#include "channels/http/message_body.h"

#include "core/json_finite.h"
#include "core/utf8.h"

namespace parley::channels {

namespace {

std::string kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "unknown";
}

// The string field `key`: absent -> nullopt with *error unset (or set when required).
std::optional<std::string> string_field(const json::object& o, std::string_view key, bool required,
                                        std::optional<ApiError>* error) {
  const json::value* v = json_get(o, key);
  if (!v || (v->is_null() && !required)) {
    if (required) *error = ApiError{422, "missing_field", "field '" + std::string(key) + "' is required"};
    return std::nullopt;
  }
  if (!v->is_string()) {
    *error = ApiError{422, "wrong_type", "field '" + std::string(key) + "' must be a string, not " + kind_name(*v)};
    return std::nullopt;
  }
  return std::string(v->get_string());
}

}  // namespace

std::optional<ApiError> check_id(std::string_view what, std::string_view id, size_t max_id_bytes) {
  if (id.empty()) return ApiError{400, "invalid_id", std::string(what) + " is empty"};
  if (id.size() > max_id_bytes)
    return ApiError{400, "invalid_id",
                    std::string(what) + " is longer than " + std::to_string(max_id_bytes) + " bytes"};
  if (!is_valid_utf8(id)) return ApiError{400, "invalid_utf8", std::string(what) + " is not valid UTF-8"};
  return std::nullopt;
}

std::optional<ApiError> parse_message_body(std::string_view body, MessageShape shape, const MessageLimits& limits,
                                           runtime::MessageRequest& out) {
  if (!is_valid_utf8(body)) return ApiError{400, "invalid_utf8", "the request body is not valid UTF-8"};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return ApiError{400, "malformed_json", "the request body is not valid JSON: " + ec.message()};
  if (!all_numbers_finite(v))
    return ApiError{422, "number_out_of_range", "a number in the request body is too large for a double"};
  if (!v.is_object()) return ApiError{422, "wrong_type", "the request body must be a JSON object, not " + kind_name(v)};
  const json::object& o = v.as_object();

  std::optional<ApiError> err;
  const char* text_key = shape == MessageShape::kRasa ? "message" : "text";
  const char* id_key = shape == MessageShape::kRasa ? "message_id" : "id";
  std::optional<std::string> conversation;
  if (shape == MessageShape::kRasa) conversation = string_field(o, "sender", true, &err);
  if (shape == MessageShape::kWebSocket) conversation = string_field(o, "conversation", true, &err);
  if (err) return err;
  auto text = string_field(o, text_key, true, &err);
  if (err) return err;
  auto id = string_field(o, id_key, false, &err);
  if (err) return err;
  if (!id && limits.require_message_id)
    return ApiError{422, "missing_message_id",
                    std::string("field '") + id_key +
                        "' is required here (require_message_id): without it a retried message is applied again"};
  std::optional<std::string> channel;
  if (shape == MessageShape::kRasa) {
    channel = string_field(o, "input_channel", false, &err);
    if (err) return err;
  }
  const json::value* metadata = json_get(o, "metadata");
  if (metadata && !metadata->is_null() && !metadata->is_object())
    return ApiError{422, "wrong_type", "field 'metadata' must be an object, not " + kind_name(*metadata)};

  if (text->size() > limits.max_text_bytes)
    return ApiError{413, "text_too_large",
                    "the message text has " + std::to_string(text->size()) + " bytes; the limit is " +
                        std::to_string(limits.max_text_bytes)};
  if (conversation) {
    if (auto e = check_id(shape == MessageShape::kRasa ? "sender" : "conversation", *conversation,
                          limits.max_id_bytes))
      return e;
    out.conversation = std::move(*conversation);
  }
  if (id) {
    if (auto e = check_id("message id", *id, limits.max_id_bytes)) return e;
    out.message_id = std::move(*id);
  }
  out.text = std::move(*text);
  if (channel && !channel->empty()) out.input_channel = std::move(*channel);
  else if (shape == MessageShape::kWebSocket) out.input_channel = "websocket";
  else out.input_channel = "rest";
  if (metadata && metadata->is_object()) out.metadata = *metadata;
  return std::nullopt;
}

}  // namespace parley::channels
