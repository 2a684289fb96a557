// Numbers in a message ("3", "-2", "4.5", "1,000"), for the `number` entity.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::nlu {

struct NumberMatch {
  size_t start = 0, end = 0;  // byte offsets of the number's text
  std::string value;          // canonical decimal text: no thousands separators, no leading zeros,
                              // no trailing fractional zeros ("1,000" -> "1000", "04.50" -> "4.5")
};

// Integers and decimals standing as words: not part of a longer word ("mp3", "3rd" are not
// numbers), with an optional leading minus sign, thousands separators only in groups of three
// ("1,000,000"), and a decimal point followed by digits. Digit runs glued together by other
// separators ("1,5", "1.2.3", "10,00") are not taken as numbers at all.
std::vector<NumberMatch> find_numbers(std::string_view text);

}  // namespace parley::nlu
