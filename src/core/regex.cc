// PCRE2 behind Regex: Python syntax translated, limits applied per search, the match data and
// the JIT's stack per thread.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/regex.h"

#include <pcre2.h>

#include <atomic>
#include <cctype>

#include "core/budget.h"

namespace parley {

namespace {

std::atomic<uint32_t> g_match_limit{RegexLimits{}.match_limit};
std::atomic<uint32_t> g_depth_limit{RegexLimits{}.depth_limit};
std::atomic<uint32_t> g_heap_limit_kib{RegexLimits{}.heap_limit_kib};

// Start positions one pcre2_match call may try (PCRE2's match limit counts per start position):
// between calls the search looks at the thread's budget again.
constexpr size_t kStartsPerCall = 64;

// What one thread needs to run any pattern: a match context holding the limits, match data for
// the whole match's offsets and a JIT stack (PCRE2's default of 32 KiB on the machine stack
// fails patterns such as (a|b)* on long texts).
struct ThreadMatcher {
  ThreadMatcher()
      : context(pcre2_match_context_create(nullptr)),
        data(pcre2_match_data_create(1, nullptr)),
        jit_stack(pcre2_jit_stack_create(32 << 10, 1 << 20, nullptr)) {
    if (jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~ThreadMatcher() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
  pcre2_match_context* context;
  pcre2_match_data* data;
  pcre2_jit_stack* jit_stack;
};

ThreadMatcher& thread_matcher(const RegexLimits& limits) {
  thread_local ThreadMatcher m;
  pcre2_set_match_limit(m.context, limits.match_limit);
  pcre2_set_depth_limit(m.context, limits.depth_limit);
  pcre2_set_heap_limit(m.context, limits.heap_limit_kib);
  return m;
}

bool is_limit(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
         rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY;
}

bool continuation_byte(std::string_view text, size_t i) {
  return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<const char*>(buffer), n);
}

// ---- Python's syntax where PCRE2 reads it differently -------------------------------------------

struct Translated {
  std::string pattern;
  uint32_t options = 0;  // PCRE2 compile options from leading global flags
  bool ascii = false;    // (?a): \w, \d, \b and case folding on ASCII only
};

// Python's global flags at the start of a pattern: "(?i)", "(?ms)", ...
Status take_global_flags(std::string_view& p, Translated& t) {
  while (p.size() >= 3 && p[0] == '(' && p[1] == '?') {
    size_t close = 2;
    while (close < p.size() && std::isalpha(static_cast<unsigned char>(p[close]))) ++close;
    if (close == 2 || close >= p.size() || p[close] != ')') return Status::ok();  // a group, not flags
    for (char f : p.substr(2, close - 2)) {
      switch (f) {
        case 'i': t.options |= PCRE2_CASELESS; break;
        case 'm': t.options |= PCRE2_MULTILINE; break;
        case 's': t.options |= PCRE2_DOTALL; break;
        case 'x': t.options |= PCRE2_EXTENDED; break;
        case 'a': t.ascii = true; break;
        case 'u': break;  // Unicode: the default
        case 'L': return Status::invalid("the locale flag (?L) is not supported");
        default: return Status::ok();  // not Python's; let PCRE2 judge it
      }
    }
    p.remove_prefix(close + 1);
  }
  return Status::ok();
}

bool hex_digits(std::string_view p, size_t at, size_t n) {
  if (at + n > p.size()) return false;
  for (size_t i = at; i < at + n; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

// A '{' that opens Python's "{,n}" (PCRE2 before 10.43 reads it as text).
bool opens_upto_quantifier(std::string_view p, size_t i) {
  size_t j = i + 2;
  while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
  return i + 1 < p.size() && p[i + 1] == ',' && j > i + 2 && j < p.size() && p[j] == '}';
}

// \Z (end of text: PCRE2's \z), \uXXXX and \UXXXXXXXX (PCRE2's \x{...}) and {,n} ({0,n}).
Result<Translated> translate_python(std::string_view p) {
  Translated t;
  if (Status s = take_global_flags(p, t); !s) return s;
  std::string& out = t.pattern;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[++i];
      if (n == 'Z' && !in_class) {
        out += "\\z";
      } else if (n == 'u' || n == 'U') {
        const size_t digits = n == 'u' ? 4 : 8;
        if (!hex_digits(p, i + 1, digits))
          return Status::invalid(std::string("\\") + n + " needs " + std::to_string(digits) +
                                 " hex digits at offset " + std::to_string(i - 1));
        out += "\\x{" + std::string(p.substr(i + 1, digits)) + "}";
        i += digits;
      } else {
        out += c;
        out += n;
      }
      continue;
    }
    out += c;
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // a leading ']' is a member
    } else if (c == '{' && opens_upto_quantifier(p, i)) {
      out += '0';
    }
  }
  return t;
}

}  // namespace

void set_regex_limits(const RegexLimits& limits) {
  g_match_limit = limits.match_limit;
  g_depth_limit = limits.depth_limit;
  g_heap_limit_kib = limits.heap_limit_kib;
}

RegexLimits regex_limits() {
  return {g_match_limit.load(std::memory_order_relaxed), g_depth_limit.load(std::memory_order_relaxed),
          g_heap_limit_kib.load(std::memory_order_relaxed)};
}

struct Regex::Compiled {
  ~Compiled() { pcre2_code_free(code); }
  std::string pattern;
  pcre2_code* code = nullptr;
  bool jit = false;
};

Result<Regex> Regex::compile(std::string_view pattern, const RegexOptions& options) {
  auto translated = translate_python(pattern);
  if (!translated.ok()) return translated.status();
  const Translated& t = *translated;
  uint32_t flags = t.options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C | PCRE2_USE_OFFSET_LIMIT;
  if (!t.ascii) flags |= PCRE2_UCP;
  if (options.caseless) flags |= PCRE2_CASELESS;
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(t.pattern.data()), t.pattern.size(), flags, &error,
                                   &offset, nullptr);
  if (!code) return Status::invalid(pcre2_message(error) + " at offset " + std::to_string(offset));
  auto c = std::make_shared<Compiled>();
  c->pattern = std::string(pattern);
  c->code = code;
  c->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return Regex(std::move(c));
}

Regex::Outcome Regex::search(std::string_view text, size_t from, Match* match, const RegexLimits* limits) const {
  ThreadMatcher& m = thread_matcher(limits ? *limits : regex_limits());
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.empty() ? "" : text.data());
  size_t start = from;
  while (continuation_byte(text, start)) ++start;
  while (start <= text.size()) {
    if (budget_spent()) return Outcome::kLimit;
    const size_t last = std::min(text.size(), start + kStartsPerCall - 1);
    pcre2_set_offset_limit(m.context, last);
    const int rc = pcre2_match(compiled_->code, subject, text.size(), start, 0, m.data, m.context);
    if (rc >= 0) {
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(m.data);
      match->begin = ov[0];
      match->end = ov[1];
      return Outcome::kFound;
    }
    if (is_limit(rc)) {
      spend_budget("the regex \"" + compiled_->pattern + "\" hit its match limit");
      return Outcome::kLimit;
    }
    if (rc != PCRE2_ERROR_NOMATCH) return Outcome::kNotFound;  // e.g. a text PCRE2 refuses: no match
    start = last + 1;
    while (continuation_byte(text, start)) ++start;
  }
  return Outcome::kNotFound;
}

Regex::Outcome Regex::find(std::string_view text, const RegexLimits* limits) const {
  Match m;
  return search(text, 0, &m, limits);
}

const std::string& Regex::pattern() const { return compiled_->pattern; }

bool Regex::jit() const { return compiled_->jit; }

Result<Regex> compile_rasa_regex(const std::string& pattern) { return Regex::compile(pattern, {.caseless = true}); }

size_t next_code_point(std::string_view text, size_t offset) {
  size_t next = offset + 1;
  while (continuation_byte(text, next)) ++next;
  return next;
}

}  // namespace parley
