// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), for the
// edge (a bad byte is answered as invalid UTF-8, 400, instead of reaching the NLU or the store)
// and for diagnostics (escaping what is not well formed).
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

// The length of the well-formed UTF-8 character at the start of `s`, 0 when it is not one (or `s`
// is empty).
size_t utf8_char_length(std::string_view s);

// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace parley
