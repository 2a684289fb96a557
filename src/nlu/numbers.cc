// A hand-written scanner for numbers: cheaper than a regex on every message, and exact about
// separators and word boundaries.
#include "nlu/numbers.h"

#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string canonical(std::string_view int_part, std::string_view frac_part, bool negative) {
  std::string digits;
  for (char c : int_part)
    if (c != ',') digits.push_back(c);
  size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  std::string frac(frac_part);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out;
  if (negative && !(digits == "0" && frac.empty())) out.push_back('-');
  out += digits;
  if (!frac.empty()) out += "." + frac;
  return out;
}

}  // namespace

std::vector<NumberMatch> find_numbers(std::string_view text) {
  std::vector<NumberMatch> out;
  const size_t n = text.size();
  auto word_at = [&](size_t i) { return i < n && is_word_byte(static_cast<unsigned char>(text[i])); };
  size_t i = 0;
  while (i < n) {
    // A number starts at a digit that does not continue a word (or a minus sign before one).
    if (!is_digit(text[i]) || (i > 0 && (word_at(i - 1) || text[i - 1] == '.' || text[i - 1] == ','))) {
      ++i;
      continue;
    }
    size_t start = i;
    bool negative = false;
    if (start > 0 && text[start - 1] == '-' && (start < 2 || !word_at(start - 2))) {
      negative = true;
      --start;
    }
    size_t j = i;
    while (j < n && is_digit(text[j])) ++j;
    size_t lead = j - i;
    // Thousands separators: only after 1-3 leading digits, then exact groups of three.
    if (lead <= 3) {
      while (j + 3 < n && text[j] == ',' && is_digit(text[j + 1]) && is_digit(text[j + 2]) &&
             is_digit(text[j + 3]) && (j + 4 >= n || !is_digit(text[j + 4])))
        j += 4;
    }
    size_t int_end = j;
    size_t frac_start = j, frac_end = j;
    if (j + 1 < n && text[j] == '.' && is_digit(text[j + 1])) {
      frac_start = j + 1;
      frac_end = frac_start;
      while (frac_end < n && is_digit(text[frac_end])) ++frac_end;
      j = frac_end;
    }
    // Glued to a following word ("3rd", "10kg") or to more digits after a separator ("1.2.3",
    // "1,00"): not a number.
    bool glued = word_at(j) ||
                 (j + 1 < n && (text[j] == '.' || text[j] == ',') && is_digit(text[j + 1]));
    if (!glued) {
      NumberMatch m;
      m.start = start;
      m.end = j;
      m.value = canonical(text.substr(i, int_end - i), text.substr(frac_start, frac_end - frac_start), negative);
      out.push_back(std::move(m));
    }
    // Skip the rest of this run of number-like characters.
    while (j < n && (word_at(j) || ((text[j] == '.' || text[j] == ',') && j + 1 < n && is_digit(text[j + 1])))) ++j;
    i = j;
  }
  return out;
}

}  // namespace parley::nlu
