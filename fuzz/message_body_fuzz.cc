// Fuzzes the message body checks (channels/http/message_body.h) in each shape: the first byte picks
// the shape and the limits, the rest is the body. An accepted body must respect the limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/http/message_body.h"
#include "core/utf8.h"
#include "fuzz_check.h"

using namespace parley::channels;
using parley::is_valid_utf8;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const MessageShape shapes[] = {MessageShape::kNative, MessageShape::kRasa, MessageShape::kWebSocket};
  MessageShape shape = shapes[mode % 3];
  MessageLimits limits;
  if (mode & 4) {  // small limits, so that the fuzzer reaches them
    limits.max_text_bytes = 8;
    limits.max_id_bytes = 4;
  }
  limits.require_message_id = (mode & 8) != 0;

  parley::runtime::MessageRequest out;
  auto err = parse_message_body(body, shape, limits, out);
  if (err) {
    FUZZ_CHECK(err->status >= 400 && err->status < 500);
    FUZZ_CHECK(!err->code.empty());
  } else {
    FUZZ_CHECK(out.text.size() <= limits.max_text_bytes);
    FUZZ_CHECK(is_valid_utf8(out.text));
    FUZZ_CHECK(out.message_id.size() <= limits.max_id_bytes);
    FUZZ_CHECK(!limits.require_message_id || !out.message_id.empty());
    if (shape != MessageShape::kNative) FUZZ_CHECK(!out.conversation.empty());
    FUZZ_CHECK(out.conversation.size() <= limits.max_id_bytes);
    FUZZ_CHECK(out.metadata.is_null() || out.metadata.is_object());
  }
  // The same bytes as an id from a URL.
  if (!check_id("conversation", body, limits.max_id_bytes)) {
    FUZZ_CHECK(!body.empty() && body.size() <= limits.max_id_bytes && is_valid_utf8(body));
  }
  return 0;
}
