// ASCII case folding for identifiers and protocol tokens (header names, schemes, intent names in
// the NLU data): bytes outside A-Z are kept as they are, whatever the locale.
#pragma once

#include <string>
#include <string_view>

namespace parley {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace parley
