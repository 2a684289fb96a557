// UTF-8 validation at the edge, so that a bad byte is answered as invalid UTF-8 (400) instead of
// reaching the NLU or the store.
#pragma once

#include <string_view>

namespace parley::channels {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace parley::channels
