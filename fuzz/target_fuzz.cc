// Fuzzes the request target parser (channels/http/target.h): any bytes as a request target, and as a
// string to percent-decode. Checks that encoding then decoding gives back the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/http/target.h"
#include "fuzz_check.h"

using parley::channels::parse_target;
using parley::channels::percent_decode;

namespace {

std::string percent_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto t = parse_target(in)) {
    FUZZ_CHECK(!in.empty() && in[0] == '/');
    for (const auto& seg : t->segments) FUZZ_CHECK(!seg.empty() || t->has_empty_segment);
  }
  for (bool plus : {false, true}) {
    if (auto d = percent_decode(in, plus)) FUZZ_CHECK(d->size() <= in.size());
    auto back = percent_decode(percent_encode(in), plus);
    FUZZ_CHECK(back && *back == in);
  }
  return 0;
}
