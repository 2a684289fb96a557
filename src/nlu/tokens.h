// Word tokens of a message: the one definition of "word" shared by normalisation, the intent
// classifier's input and entity matching, so that all three agree on word boundaries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"  // ascii_lower, lower_ascii

namespace parley::nlu {

// A word is a maximal run of ASCII letters and digits and UTF-8 multibyte bytes (left as they
// are), with apostrophes allowed between two such characters ("don't"). Everything else
// (ASCII punctuation, whitespace, control characters) separates words.
struct Token {
  size_t start = 0, end = 0;  // byte offsets in the text
  std::string lower;          // the word with ASCII letters lower-cased
};

// True for the bytes that can be part of a word (apostrophes aside).
inline bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// The words of `text`, in order.
std::vector<Token> tokenize(std::string_view text);

}  // namespace parley::nlu
