// Text normalisation and word tokens (nlu/tokens.h): lower case, punctuation as separators.
#include "nlu/nlu.h"
#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

// Calls on_word(start, end) for each word of `text` (see tokens.h for what a word is).
template <typename F>
void for_each_word(std::string_view text, F&& on_word) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == n) break;
    size_t start = i;
    while (i < n) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      if (is_word_byte(c)) {
        ++i;
      } else if (c == '\'' && i + 1 < n && is_word_byte(static_cast<unsigned char>(text[i + 1]))) {
        ++i;  // an apostrophe inside a word; the byte before it is a word byte by construction
      } else {
        break;
      }
    }
    on_word(start, i);
  }
}

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  for_each_word(text, [&](size_t start, size_t end) {
    Token t;
    t.start = start;
    t.end = end;
    t.lower = lower_ascii(text.substr(start, end - start));
    out.push_back(std::move(t));
  });
  return out;
}

std::string normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_word(text, [&](size_t start, size_t end) {
    if (!out.empty()) out.push_back(' ');
    for (size_t i = start; i < end; ++i) out.push_back(ascii_lower(text[i]));
  });
  return out;
}

}  // namespace parley::nlu
