// Regular expressions that cannot hang: PCRE2 (compiled to machine code by its JIT where the
// platform has one) with hard limits on the work of every search, in UTF-8 mode. Patterns are
// written in the syntax of Python's `re`, as Rasa projects write them; the few places where PCRE2
// differs are translated (leading global flags, \Z, \uXXXX, {,n}). A search either answers or
// says that it hit its limit: none runs away. Searches also stop, as if at their limit, when the
// thread's Budget (core/budget.h) is spent, and a search that hits its limit spends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace parley {

struct RegexLimits {
  // Backtracking steps one start position may take (PCRE2's match limit). 100,000 steps take
  // about 0.3 ms with the JIT and a few ms without; ordinary patterns need a few hundred.
  uint32_t match_limit = 100000;
  // Nested backtracking points (PCRE2's depth limit; the interpreter only, the JIT's stack is
  // bounded by its size) and the interpreter's backtracking memory.
  uint32_t depth_limit = 10000;
  uint32_t heap_limit_kib = 20480;
};

// The limits of every search from now on (set once at start: `regex_match_limit` of parley serve).
void set_regex_limits(const RegexLimits& limits);
RegexLimits regex_limits();

struct RegexOptions {
  bool caseless = false;
};

class Regex {
 public:
  enum class Outcome { kFound, kNotFound, kLimit };
  struct Match {
    size_t begin = 0, end = 0;  // byte offsets into the text
  };

  // Compiles a pattern in Python's syntax. kInvalidArgument with PCRE2's message and the offset
  // in the pattern where it stopped ("missing closing parenthesis at offset 4").
  static Result<Regex> compile(std::string_view pattern, const RegexOptions& options = {});

  // The leftmost match that starts at or after byte `from` (a match may be empty). kLimit when
  // the search hit its match, depth or memory limit, or the thread's budget is spent: then
  // nothing is known about a match. Invalid UTF-8 in `text` never matches. Thread-safe.
  // `limits`: these instead of the process's (set_regex_limits).
  Outcome search(std::string_view text, size_t from, Match* match, const RegexLimits* limits = nullptr) const;
  // Whether the pattern matches anywhere in `text` (kFound / kNotFound / kLimit).
  Outcome find(std::string_view text, const RegexLimits* limits = nullptr) const;
  // Calls fn(match) for each non-empty, non-overlapping match, left to right, as Python's
  // re.finditer does without its empty matches. kLimit when a search hit its limit (the matches
  // before it were given), else kFound or kNotFound.
  template <typename Fn>
  Outcome for_each_match(std::string_view text, Fn&& fn) const;

  // The pattern as written (before translation).
  const std::string& pattern() const;
  // Whether PCRE2's JIT compiled it (else the interpreter runs it, with the same limits).
  bool jit() const;

 private:
  struct Compiled;
  explicit Regex(std::shared_ptr<const Compiled> c) : compiled_(std::move(c)) {}
  std::shared_ptr<const Compiled> compiled_;
};

// A regex of a Rasa project compiled for matching: Python's syntax, case-insensitively as Parley
// matches every regex. The one place project regexes are compiled: the entity extractor, the
// intent features, the CRF's attributes and the loader's checks. kInvalidArgument with PCRE2's
// reason for a pattern that does not compile.
Result<Regex> compile_rasa_regex(const std::string& pattern);

// The offset of the code point after the one at `offset` (for stepping over an empty match).
size_t next_code_point(std::string_view text, size_t offset);

template <typename Fn>
Regex::Outcome Regex::for_each_match(std::string_view text, Fn&& fn) const {
  Outcome any = Outcome::kNotFound;
  Match m;
  for (size_t from = 0; from <= text.size();) {
    Outcome o = search(text, from, &m);
    if (o != Outcome::kFound) return o == Outcome::kLimit ? o : any;
    if (m.end > m.begin) {
      any = Outcome::kFound;
      fn(m);
      from = m.end;
    } else {
      from = next_code_point(text, m.end);
    }
  }
  return any;
}

}  // namespace parley
