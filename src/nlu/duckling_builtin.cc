// The Duckling dimensions Parley finds without a Duckling server: hand-written scanners for
// email, url, phone-number, number (digits, through nlu/numbers.h, and English number words),
// ordinal and amount-of-money, each value in the shape Duckling gives it. Where candidates
// overlap, the longest wins ("$5" is an amount, not also the number 5), as in Duckling's answer.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "nlu/duckling.h"
#include "nlu/numbers.h"
#include "nlu/tokens.h"

namespace parley::nlu {

namespace {

struct Found {
  size_t start = 0, end = 0;
  std::string dim;
  json::object info;  // Duckling's value object
};

bool is_ascii_alnum(char c) { return is_word_byte(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80; }
bool is_dec_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A number as Duckling writes it: whole values as integers.
json::value number_json(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

// ---- email --------------------------------------------------------------------------------------

bool email_local(char c) { return is_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool host_char(char c) { return is_ascii_alnum(c) || c == '-' || c == '.'; }

// The end of a host name (labels with dots, a last label of two letters or more) at `i`, or npos.
size_t host_end(std::string_view t, size_t i) {
  size_t j = i;
  while (j < t.size() && host_char(t[j])) ++j;
  while (j > i && (t[j - 1] == '.' || t[j - 1] == '-')) --j;  // "mail me at a@b.com."
  std::string_view host = t.substr(i, j - i);
  size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || host.size() - dot - 1 < 2) return std::string_view::npos;
  for (size_t k = dot + 1; k < host.size(); ++k)
    if (!is_ascii_alpha(host[k])) return std::string_view::npos;
  return j;
}

void find_emails(std::string_view t, std::vector<Found>& out) {
  for (size_t at = t.find('@'); at != std::string_view::npos; at = t.find('@', at + 1)) {
    size_t s = at;
    while (s > 0 && email_local(t[s - 1])) --s;
    while (s < at && t[s] == '.') ++s;
    if (s == at) continue;
    size_t e = host_end(t, at + 1);
    if (e == std::string_view::npos) continue;
    std::string text(t.substr(s, e - s));
    out.push_back({s, e, "email", json::object{{"value", text}}});
  }
}

// ---- url ----------------------------------------------------------------------------------------

bool url_char(char c) {
  return is_ascii_alnum(c) || std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(c) != std::string_view::npos;
}

constexpr std::array<std::string_view, 12> kUrlTlds = {"com", "org", "net", "io", "edu", "gov",
                                                       "co",  "uk",  "de",  "fr", "ai",  "info"};

void find_urls(std::string_view t, std::vector<Found>& out) {
  size_t i = 0;
  while (i < t.size()) {
    if (i > 0 && (is_ascii_alnum(t[i - 1]) || t[i - 1] == '@' || t[i - 1] == '.')) {
      ++i;
      continue;
    }
    std::string_view rest = t.substr(i);
    std::string lower = lower_ascii(rest.substr(0, std::min<size_t>(rest.size(), 8)));
    size_t host_start = std::string_view::npos;
    bool explicit_url = false;
    if (lower.rfind("https://", 0) == 0) host_start = i + 8, explicit_url = true;
    else if (lower.rfind("http://", 0) == 0) host_start = i + 7, explicit_url = true;
    else if (lower.rfind("www.", 0) == 0) host_start = i, explicit_url = true;
    else if (is_ascii_alnum(t[i])) host_start = i;
    if (host_start == std::string_view::npos) {
      ++i;
      continue;
    }
    size_t he = host_end(t, host_start);
    if (he == std::string_view::npos || (he < t.size() && t[he] == '@')) {
      ++i;
      continue;
    }
    std::string host = lower_ascii(t.substr(host_start, he - host_start));
    std::string tld = host.substr(host.rfind('.') + 1);
    if (!explicit_url && std::find(kUrlTlds.begin(), kUrlTlds.end(), tld) == kUrlTlds.end()) {
      i = he;
      continue;
    }
    size_t e = he;
    if (e < t.size() && (t[e] == '/' || t[e] == ':' || t[e] == '?'))
      while (e < t.size() && url_char(t[e])) ++e;
    while (e > he && std::string_view(".,;:!?)'").find(t[e - 1]) != std::string_view::npos) --e;  // sentence end
    std::string domain = host.rfind("www.", 0) == 0 ? host.substr(4) : host;
    out.push_back({i, e, "url", json::object{{"value", std::string(t.substr(i, e - i))}, {"domain", domain}}});
    i = e;
  }
}

// ---- phone-number -------------------------------------------------------------------------------

void find_phones(std::string_view t, std::vector<Found>& out) {
  size_t i = 0;
  while (i < t.size()) {
    const bool plus = t[i] == '+' && i + 1 < t.size() && is_dec_digit(t[i + 1]);
    const bool open = t[i] == '(' && i + 1 < t.size() && (is_dec_digit(t[i + 1]) || t[i + 1] == '+');
    if ((!plus && !open && !is_dec_digit(t[i])) || (i > 0 && (is_ascii_alnum(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ','))) {
      ++i;
      continue;
    }
    // The run of digits and separators ("+1 (650) 555-1234").
    size_t e = i;
    std::string digits;
    std::optional<std::string> prefix;
    if (t[e] == '(') ++e;
    if (t[e] == '+') {
      size_t d = e + 1;
      while (d < t.size() && is_dec_digit(t[d])) ++d;
      std::string_view code = t.substr(e + 1, d - e - 1);
      // A code written apart ("+33 1 ...") is the digits before the separator; glued to the
      // number, its first two digits.
      size_t len = (d < t.size() && (t[d] == ' ' || t[d] == '-' || t[d] == '.' || t[d] == ')')) && code.size() <= 3
                       ? code.size()
                       : std::min<size_t>(2, code.size());
      prefix = std::string(code.substr(0, len));
      e += 1 + len;
      if (e < t.size() && t[e] == ')') ++e;
    }
    size_t last_digit = e;
    while (e < t.size()) {
      char c = t[e];
      if (is_dec_digit(c)) {
        digits.push_back(c);
        last_digit = ++e;
      } else if ((c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && e + 1 < t.size() &&
                 (is_dec_digit(t[e + 1]) || t[e + 1] == '(' || t[e + 1] == ' ')) {
        ++e;
      } else {
        break;
      }
    }
    e = last_digit;
    if (digits.size() < 7 || digits.size() > 15 || (e < t.size() && is_ascii_alnum(t[e]))) {
      i = std::max(e, i + 1);
      continue;
    }
    std::string value = prefix ? "(+" + *prefix + ") " + digits : digits;
    // An extension: "ext 12", "ext. 12", "x12".
    size_t k = e;
    while (k < t.size() && t[k] == ' ') ++k;
    std::string ext_word = lower_ascii(t.substr(k, std::min<size_t>(4, t.size() - k)));
    size_t d = std::string_view::npos;
    if (ext_word.rfind("ext.", 0) == 0) d = k + 4;
    else if (ext_word.rfind("ext", 0) == 0) d = k + 3;
    else if (ext_word.rfind("x", 0) == 0) d = k + 1;
    if (d != std::string_view::npos) {
      while (d < t.size() && t[d] == ' ') ++d;
      size_t de = d;
      while (de < t.size() && is_dec_digit(t[de])) ++de;
      if (de > d && (de == t.size() || !is_ascii_alnum(t[de]))) {
        std::string ext(t.substr(d, de - d));
        ext.erase(0, std::min(ext.find_first_not_of('0'), ext.size() - 1));
        value += " ext " + ext;
        e = de;
      }
    }
    out.push_back({i, e, "phone-number", json::object{{"value", value}}});
    i = e;
  }
}

// ---- numbers and ordinals -----------------------------------------------------------------------

struct NumberSpan {
  size_t start = 0, end = 0;
  double value = 0;
};

constexpr std::array<std::string_view, 20> kUnits = {"zero",    "one",     "two",       "three",    "four",
                                                     "five",    "six",     "seven",     "eight",    "nine",
                                                     "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                                     "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"", "", "twenty", "thirty", "forty",
                                                    "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 20> kUnitOrdinals = {
    "zeroth",    "first",      "second",     "third",      "fourth",     "fifth",      "sixth",
    "seventh",   "eighth",     "ninth",      "tenth",      "eleventh",   "twelfth",    "thirteenth",
    "fourteenth", "fifteenth", "sixteenth",  "seventeenth", "eighteenth", "nineteenth"};
constexpr std::array<std::string_view, 10> kTenOrdinals = {"", "", "twentieth", "thirtieth", "fortieth",
                                                           "fiftieth", "sixtieth", "seventieth", "eightieth",
                                                           "ninetieth"};

std::optional<int> index_of(std::string_view w, const auto& table) {
  for (size_t i = 0; i < table.size(); ++i)
    if (!table[i].empty() && table[i] == w) return static_cast<int>(i);
  return std::nullopt;
}

// Tokens i and i+1 are joined by spaces or one hyphen only ("twenty-five", "two hundred").
bool joined(std::string_view t, const std::vector<Token>& tokens, size_t i) {
  std::string_view gap = t.substr(tokens[i].end, tokens[i + 1].start - tokens[i].end);
  return gap == "-" || (!gap.empty() && gap.find_first_not_of(' ') == std::string_view::npos);
}

// English number words ("seven", "twenty-five", "three hundred and two", "two thousand") into
// `numbers`, and those ending in an ordinal word ("twenty first") into `ordinals`.
void find_number_words(std::string_view t, const std::vector<Token>& tokens, std::vector<NumberSpan>& numbers,
                       std::vector<NumberSpan>& ordinals) {
  size_t i = 0;
  while (i < tokens.size()) {
    double total = 0, current = 0;
    bool any = false, ordinal = false, last_small = false;  // last word a unit/ten (a ten may take a unit)
    int last_ten = -1;
    size_t j = i, end = i;
    while (j < tokens.size()) {
      const std::string& w = tokens[j].lower;
      bool took = true;
      if (auto u = index_of(w, kUnits); u && !(last_small && last_ten < 0) && !(last_ten >= 0 && (*u == 0 || *u >= 10))) {
        current += *u;
        last_small = true;
        last_ten = -1;
      } else if (auto o = index_of(w, kUnitOrdinals); o && !(last_small && last_ten < 0)) {
        current += *o;
        ordinal = true;
      } else if (auto n = index_of(w, kTens); n && !last_small) {
        current += 10 * *n;
        last_small = true;
        last_ten = *n;
      } else if (auto on = index_of(w, kTenOrdinals); on && !last_small) {
        current += 10 * *on;
        ordinal = true;
      } else if (any && w == "hundred") {
        current = (current == 0 ? 1 : current) * 100;
        last_small = false, last_ten = -1;
      } else if (any && (w == "thousand" || w == "million")) {
        total += (current == 0 ? 1 : current) * (w == "thousand" ? 1e3 : 1e6);
        current = 0;
        last_small = false, last_ten = -1;
      } else if (any && w == "and" && j + 1 < tokens.size() && !last_small) {
        // "three hundred and two": only between a multiplier and more number words.
        if (!index_of(tokens[j + 1].lower, kUnits) && !index_of(tokens[j + 1].lower, kTens)) break;
      } else {
        took = false;
      }
      if (!took) break;
      if (w != "and") {
        any = true;
        end = j;
      }
      if (ordinal || j + 1 >= tokens.size() || !joined(t, tokens, j)) break;
      ++j;
    }
    if (!any) {
      ++i;
      continue;
    }
    NumberSpan s{tokens[i].start, tokens[end].end, total + current};
    (ordinal ? ordinals : numbers).push_back(s);
    i = end + 1;
  }
}

// "1st", "22nd", "3rd", "11th".
void find_digit_ordinals(const std::vector<Token>& tokens, std::vector<NumberSpan>& ordinals) {
  for (const auto& tok : tokens) {
    const std::string& w = tok.lower;
    if (w.size() < 3 || !is_dec_digit(w[0])) continue;
    size_t d = 0;
    while (d < w.size() && is_dec_digit(w[d])) ++d;
    std::string_view suffix = std::string_view(w).substr(d);
    if (suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th") continue;
    if (d > 9) continue;
    ordinals.push_back({tok.start, tok.end, std::stod(w.substr(0, d))});
  }
}

// ---- amount-of-money ----------------------------------------------------------------------------

struct Currency {
  std::string_view word;  // lower case; symbols as UTF-8
  std::string_view unit;  // Duckling's unit
};

constexpr std::array<Currency, 14> kCurrencyWords = {{{"dollars", "$"}, {"dollar", "$"},  {"euros", "EUR"},
                                                      {"euro", "EUR"},  {"pounds", "\xC2\xA3"}, {"pound", "\xC2\xA3"},
                                                      {"cents", "cent"}, {"cent", "cent"}, {"usd", "USD"},
                                                      {"eur", "EUR"},   {"gbp", "GBP"},  {"jpy", "JPY"},
                                                      {"cad", "CAD"},   {"aud", "AUD"}}};
constexpr std::array<Currency, 3> kCurrencySymbols = {{{"$", "$"}, {"\xE2\x82\xAC", "EUR"}, {"\xC2\xA3", "\xC2\xA3"}}};

// A currency symbol ending at `end` (before a number), skipping one space; its start.
std::optional<std::pair<size_t, std::string_view>> currency_before(std::string_view t, size_t end) {
  size_t e = end;
  if (e > 0 && t[e - 1] == ' ') --e;
  for (const auto& c : kCurrencySymbols)
    if (e >= c.word.size() && t.substr(e - c.word.size(), c.word.size()) == c.word)
      return std::make_pair(e - c.word.size(), c.unit);
  // An ISO code before the number ("USD 20").
  size_t s = e;
  while (s > 0 && is_ascii_alpha(t[s - 1])) --s;
  if (e - s == 3) {
    std::string w = lower_ascii(t.substr(s, 3));
    for (const auto& c : kCurrencyWords)
      if (c.word.size() == 3 && c.word == w) return std::make_pair(s, c.unit);
  }
  return std::nullopt;
}

// A currency symbol or word starting at `start` (after a number), skipping spaces; its end.
std::optional<std::pair<size_t, std::string_view>> currency_after(std::string_view t, size_t start) {
  size_t s = start;
  while (s < t.size() && t[s] == ' ') ++s;
  for (const auto& c : kCurrencySymbols)
    if (t.substr(s, c.word.size()) == c.word) return std::make_pair(s + c.word.size(), c.unit);
  if (s == start && s < t.size() && is_ascii_alpha(t[s])) return std::nullopt;  // "5dollars" is not written
  size_t e = s;
  while (e < t.size() && is_ascii_alpha(t[e])) ++e;
  std::string w = lower_ascii(t.substr(s, e - s));
  for (const auto& c : kCurrencyWords)
    if (c.word == w) return std::make_pair(e, c.unit);
  return std::nullopt;
}

struct Money {
  size_t start = 0, end = 0;
  double value = 0;
  std::string unit;
};

json::object money_value(const Money& m) {
  return json::object{{"value", number_json(m.value)}, {"unit", m.unit}};
}

// The word (lower case) ending just before `pos` (skipping spaces) and where it starts.
std::pair<std::string, size_t> word_before(std::string_view t, size_t pos) {
  size_t e = pos;
  while (e > 0 && t[e - 1] == ' ') --e;
  size_t s = e;
  while (s > 0 && is_ascii_alpha(t[s - 1])) --s;
  return {lower_ascii(t.substr(s, e - s)), s};
}

void find_money(std::string_view t, const std::vector<NumberSpan>& numbers, std::vector<Found>& out) {
  std::vector<Money> amounts;
  for (const auto& n : numbers) {
    Money m{n.start, n.end, n.value, ""};
    if (auto before = currency_before(t, n.start)) {
      m.start = before->first;
      m.unit = before->second;
    } else if (auto after = currency_after(t, n.end)) {
      m.end = after->first;
      m.unit = after->second;
    } else {
      continue;
    }
    amounts.push_back(m);
  }
  for (size_t k = 0; k < amounts.size(); ++k) {
    const Money& m = amounts[k];
    // "between $10 and $20" (the first may leave out the currency: "between 10 and 20 euros").
    auto [w1, s1] = word_before(t, m.start);
    if (w1 == "and") {
      for (const auto& n : numbers) {
        if (n.end > s1 || t.substr(n.end, s1 - n.end).find_first_not_of(' ') != std::string_view::npos) continue;
        size_t lo_start = n.start;
        double lo = n.value;
        if (k > 0 && amounts[k - 1].end <= s1 && amounts[k - 1].start <= n.start && amounts[k - 1].end >= n.end)
          lo_start = amounts[k - 1].start;
        auto [w0, s0] = word_before(t, lo_start);
        if (w0 != "between" && w0 != "from") continue;
        Money lo_m{lo_start, n.end, lo, m.unit};
        out.push_back({s0, m.end, "amount-of-money",
                       json::object{{"type", "interval"}, {"from", money_value(lo_m)}, {"to", money_value(m)}}});
        break;
      }
    }
    // "under $20", "less than 20 euros", "more than $10", "at least 10 dollars".
    auto [w, s] = word_before(t, m.start);
    auto [w0, s0] = word_before(t, s);
    std::string two = w0 + " " + w;
    std::optional<size_t> open_start;
    bool above = false;
    if (w == "under" || w == "below" || two == "less than" || two == "at most" || two == "up to") {
      open_start = (w == "under" || w == "below") ? s : s0;
    } else if (w == "over" || w == "above" || two == "more than" || two == "at least") {
      open_start = (w == "over" || w == "above") ? s : s0;
      above = true;
    }
    if (open_start)
      out.push_back({*open_start, m.end, "amount-of-money",
                     json::object{{"type", "interval"}, {above ? "from" : "to", money_value(m)}}});
    json::object simple = money_value(m);
    simple["type"] = "value";
    out.push_back({m.start, m.end, "amount-of-money", std::move(simple)});
  }
}

}  // namespace

std::vector<Entity> builtin_duckling_entities(std::string_view text, const DucklingOptions& options) {
  auto want = [&](std::string_view dim) {
    return options.dimensions.empty() ||
           std::find(options.dimensions.begin(), options.dimensions.end(), dim) != options.dimensions.end();
  };
  std::vector<Found> found;
  if (want("email")) find_emails(text, found);
  if (want("url")) find_urls(text, found);
  if (want("phone-number")) find_phones(text, found);
  std::vector<Token> tokens = tokenize(text);
  std::vector<NumberSpan> numbers, ordinals;
  for (auto& m : find_numbers(text)) numbers.push_back({m.start, m.end, std::strtod(m.value.c_str(), nullptr)});
  find_number_words(text, tokens, numbers, ordinals);
  find_digit_ordinals(tokens, ordinals);
  if (want("amount-of-money")) find_money(text, numbers, found);
  if (want("number"))
    for (const auto& n : numbers)
      found.push_back({n.start, n.end, "number", json::object{{"value", number_json(n.value)}, {"type", "value"}}});
  if (want("ordinal"))
    for (const auto& n : ordinals)
      found.push_back({n.start, n.end, "ordinal", json::object{{"value", number_json(n.value)}, {"type", "value"}}});

  // The longest first; among equals, the earliest and then the first found (the order above).
  std::vector<size_t> order(found.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    size_t la = found[a].end - found[a].start, lb = found[b].end - found[b].start;
    if (la != lb) return la > lb;
    return found[a].start < found[b].start;
  });
  // Kept as Duckling's answer would have them, then converted as that answer is (duckling.cc).
  json::array matches;
  std::vector<std::pair<size_t, size_t>> kept;
  for (size_t idx : order) {
    Found& f = found[idx];
    if (std::any_of(kept.begin(), kept.end(), [&](const auto& k) { return f.start < k.second && k.first < f.end; }))
      continue;
    kept.emplace_back(f.start, f.end);
    matches.push_back(json::object{{"dim", f.dim},
                                   {"start", f.start},
                                   {"end", f.end},
                                   {"body", std::string(text.substr(f.start, f.end - f.start))},
                                   {"value", std::move(f.info)}});
  }
  auto entities = duckling_entities(matches, options);
  if (!entities.ok()) return {};
  std::vector<Entity> out = std::move(entities).value();
  std::sort(out.begin(), out.end(), [](const Entity& a, const Entity& b) { return a.start < b.start; });
  return out;
}

}  // namespace parley::nlu
