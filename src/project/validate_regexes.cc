// The project's regexes as the NLU will run them (compile_rasa_regex, PCRE2): what does not
// compile, and what reaches its match limit on a short text, reported where it is written.
#include <cctype>
#include <optional>
#include <string>

#include "core/regex.h"
#include "project/readers.h"

namespace parley::project {

namespace {

// Patterns that backtrack exponentially, such as (a+)+$ or (\w+\s?)*$, do so on a run of one
// character they repeat followed by one that ends the match: texts of this length make them
// reach any sane match limit, while every other pattern answers them in microseconds.
constexpr size_t kProbeRun = 64;

// The characters a probe repeats: those the pattern names, and one of each class it may use.
std::string probe_characters(const std::string& pattern) {
  std::string chars = "a1 -.";
  for (char c : pattern) {
    const auto u = static_cast<unsigned char>(c);
    if ((std::isalnum(u) || c == '_' || c == '@') && chars.find(static_cast<char>(std::tolower(u))) == std::string::npos)
      chars.push_back(static_cast<char>(std::tolower(u)));
  }
  return chars;
}

// A description of a probe on which `re` reaches the default match limit, or nothing. (The
// default, whatever regex_match_limit is: a limit raised for some costly pattern must not make
// the probes themselves slow.)
std::optional<std::string> runaway_probe(const Regex& re) {
  const RegexLimits defaults;
  for (char c : probe_characters(re.pattern()))
    for (char end : {'!', '\x01'}) {
      std::string text(kProbeRun, c);
      text.push_back(end);
      if (re.find(text, &defaults) == Regex::Outcome::kLimit)
        return std::to_string(kProbeRun) + " times '" + std::string(1, c) + "' then " +
               (end == '!' ? std::string("'!'") : std::string("a control character"));
    }
  return std::nullopt;
}

}  // namespace

void validate_regexes(const Domain& domain, const NluData& nlu, Diags& diags) {
  for (const auto& rf : nlu.regexes) {
    const bool entity = domain.has_entity(rf.name);
    for (size_t i = 0; i < rf.patterns.size(); ++i) {
      const std::string& pattern = rf.patterns[i];
      const SourceLoc& at = i < rf.pattern_locs.size() ? rf.pattern_locs[i] : rf.loc;
      const std::string what = "regex '" + rf.name + "': pattern \"" + pattern + "\"";
      auto re = compile_rasa_regex(pattern);
      if (!re.ok()) {
        if (entity)
          diags.error(at, what + " is not a valid regular expression (" + re.status().message() + ")");
        else
          diags.warning(at, what + " is not a valid regular expression (" + re.status().message() +
                                "); it is left out of the NLU's features");
        continue;
      }
      if (auto probe = runaway_probe(*re))
        diags.warning(at, what + " reaches the default match limit on a text of " + *probe +
                              " (it backtracks exponentially, as nested quantifiers such as (a+)+ do): a message "
                              "like it stops its turn with turn_budget_exceeded");
    }
  }
}

}  // namespace parley::project
