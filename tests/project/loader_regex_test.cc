// Regexes at load time: a pattern the regex engine cannot compile is reported on its own line (an
// error for an entity's regex, a warning for a feature's), and one that backtracks exponentially
// is warned about before a message can trip it.
#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::expect_error_at;
using testing::expect_warning_at;
using testing::load;
using testing::with;

// data/nlu.yml with a regex item; its patterns are on lines 8 and 9.
LoadResult load_regexes(const std::string& name, const std::string& first, const std::string& second) {
  return load(with({{"domain.yml",
                     "intents: [greet, goodbye]\nentities: [zipcode]\nresponses:\n  utter_greet:\n  - text: hi\n"
                     "  utter_goodbye:\n  - text: bye\n"},
                    {"data/nlu.yml", "version: \"3.1\"\n"
                                     "nlu:\n"
                                     "- intent: greet\n"
                                     "  examples: |\n"
                                     "    - hello\n"
                                     "- regex: " + name + "\n  examples: |\n"
                                     "    - " + first + "\n"
                                     "    - " + second + "\n"}}));
}

TEST(LoaderRegex, patterns_keep_their_lines) {
  LoadResult r = load_regexes("zipcode", R"(\b[0-9]{5}\b)", R"((?<=zip )\d+)");
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& rf = r.project.nlu.regexes.at(0);
  ASSERT_EQ(rf.pattern_locs.size(), 2u);
  EXPECT_EQ(rf.pattern_locs[0].to_string(), "data/nlu.yml:8");
  EXPECT_EQ(rf.pattern_locs[1].to_string(), "data/nlu.yml:9");
  EXPECT_EQ(testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "regex").size(), 0u)
      << all(r.diagnostics);
}

TEST(LoaderRegex, an_entity_regex_that_does_not_compile_is_an_error_on_its_line) {
  LoadResult r = load_regexes("zipcode", R"(\d{5})", "[0-9");
  EXPECT_FALSE(r.ok());
  expect_error_at(r.diagnostics, "data/nlu.yml", 9,
                  {"regex 'zipcode'", "\"[0-9\"", "not a valid regular expression", "missing terminating ]"});
}

TEST(LoaderRegex, a_feature_regex_that_does_not_compile_is_left_out_with_a_warning) {
  LoadResult r = load_regexes("greeting_word", "(hello", "hi");
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "data/nlu.yml", 8, {"regex 'greeting_word'", "missing closing parenthesis", "left out"});
}

TEST(LoaderRegex, python_syntax_that_std_regex_refused_now_loads) {
  LoadResult r = load_regexes("zipcode", R"((?i)(?<=zip )(?P<code>\d{5})\Z)", R"(\u00e9t\u00e9)");
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_EQ(testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "regex").size(), 0u)
      << all(r.diagnostics);
}

TEST(LoaderRegex, a_regex_that_backtracks_exponentially_is_warned_about) {
  LoadResult r = load_regexes("zipcode", "(a+)+$", R"(^(\w+\s?)*$)");
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);  // it runs: the limits keep it from hanging
  expect_warning_at(r.diagnostics, "data/nlu.yml", 8, {"\"(a+)+$\"", "reaches the default match limit", "turn_budget_exceeded"});
  expect_warning_at(r.diagnostics, "data/nlu.yml", 9, {"reaches the default match limit"});
}

}  // namespace
}  // namespace parley::project
