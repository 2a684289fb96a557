// Regex (core/regex.h): Python's syntax as Rasa projects write it, errors that say where, and
// searches that end at their limit or at the thread's budget instead of running away.
#include "core/regex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/budget.h"

namespace parley {
namespace {

using Outcome = Regex::Outcome;

Regex compiled(std::string_view pattern, bool caseless = false) {
  auto re = Regex::compile(pattern, {.caseless = caseless});
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status().message();
  return std::move(re).value();
}

// The first match as "begin,end", or "none" / "limit".
std::string first(std::string_view pattern, std::string_view text, bool caseless = false) {
  Regex::Match m;
  switch (compiled(pattern, caseless).search(text, 0, &m)) {
    case Outcome::kFound: return std::to_string(m.begin) + "," + std::to_string(m.end);
    case Outcome::kNotFound: return "none";
    case Outcome::kLimit: return "limit";
  }
  return "?";
}

std::string runaway_text() { return std::string(34, 'a') + "!"; }

TEST(Regex, python_named_groups_backreferences_and_lookaround) {
  EXPECT_EQ(first(R"((?P<num>\d+))", "abc 123"), "4,7");
  EXPECT_EQ(first(R"((?P<w>\w)(?P=w))", "abccd"), "2,4");
  EXPECT_EQ(first(R"((?<=\$)\d+)", "cost $45"), "6,8");
  EXPECT_EQ(first(R"((?<!\$)\b\d+)", "$45 or 7"), "7,8");
  EXPECT_EQ(first(R"(\d+(?= euro))", "12 dollars, 30 euro"), "12,14");
}

TEST(Regex, python_global_flags_at_the_start) {
  EXPECT_EQ(first("(?i)hello", "say HeLLo"), "4,9");
  EXPECT_EQ(first("hello", "say HeLLo"), "none");
  EXPECT_EQ(first("(?ix) h e l l o", "HELLO"), "0,5");
  EXPECT_EQ(first("(?s)a.b", "a\nb"), "0,3");
  EXPECT_EQ(first("(?m)^b", "a\nb"), "2,3");
  EXPECT_EQ(first("(?a)\\d+", "x\u0661\u0662 42"), "6,8");  // ASCII: Arabic-Indic digits are not \d
  auto locale = Regex::compile("(?L)abc");
  ASSERT_FALSE(locale.ok());
  EXPECT_NE(locale.status().message().find("(?L)"), std::string::npos);
}

TEST(Regex, python_escapes_and_quantifiers_pcre2_reads_differently) {
  EXPECT_EQ(first(R"(end\Z)", "the end"), "4,7");
  EXPECT_EQ(first(R"(end\Z)", "the end\n"), "none");  // Python's \Z is the very end, not before a newline
  EXPECT_EQ(first(R"(caf\u00e9)", "un café"), "3,8");
  EXPECT_EQ(first(R"(\U0001F600)", "hi 😀"), "3,7");
  EXPECT_EQ(first("a{,2}b", "aaab"), "1,4");
  EXPECT_EQ(first("[{,2}]+", "x{,2}"), "1,5");  // inside a class, {,2} is text
  EXPECT_EQ(first(R"([\]a]+)", "x]a]"), "1,4");
  auto short_escape = Regex::compile(R"(\u12)");
  ASSERT_FALSE(short_escape.ok());
  EXPECT_NE(short_escape.status().message().find("4 hex digits"), std::string::npos);
}

TEST(Regex, unicode_classes_and_case_as_python_3) {
  EXPECT_EQ(first(R"(\d+)", "x\u0661\u0662\u0663"), "1,7");   // \d is any decimal digit
  EXPECT_EQ(first(R"(\w+)", "naïve!"), "0,6");                 // \w takes letters of any script
  EXPECT_EQ(first(R"(\bcat\b)", "a cat!"), "2,5");
  EXPECT_EQ(first(R"(\bcat\b)", "concatenate"), "none");
  EXPECT_EQ(first("ÉTÉ", "un été", /*caseless=*/true), "3,8");
  EXPECT_EQ(first(R"(\s)", "a\u00a0b"), "1,3");                // no-break space is \s
}

TEST(Regex, invalid_pattern_says_why_and_where) {
  auto r = Regex::compile("[0-9");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("missing terminating ]"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("at offset 4"), std::string::npos) << r.status().message();
  auto paren = Regex::compile("(ab");
  ASSERT_FALSE(paren.ok());
  EXPECT_NE(paren.status().message().find("missing closing parenthesis"), std::string::npos);
}

TEST(Regex, every_match_left_to_right_without_empty_ones) {
  std::vector<std::string> found;
  Outcome o = compiled(R"(\d*)").for_each_match("a12b3", [&](const Regex::Match& m) {
    found.push_back(std::to_string(m.begin) + "," + std::to_string(m.end));
  });
  EXPECT_EQ(o, Outcome::kFound);
  EXPECT_EQ(found, (std::vector<std::string>{"1,3", "4,5"}));
  EXPECT_EQ(compiled("x").for_each_match("abc", [](const Regex::Match&) {}), Outcome::kNotFound);
}

TEST(Regex, matches_past_the_first_window_of_start_positions) {
  std::string text(1000, 'b');
  text += "needle";
  EXPECT_EQ(first("needle", text), "1000,1006");
  std::string wide;
  for (int i = 0; i < 300; ++i) wide += "é";  // two bytes each: windows never split a character
  wide += "x";
  EXPECT_EQ(first("x", wide), "600,601");
}

TEST(Regex, invalid_utf8_in_the_text_never_matches_and_never_breaks) {
  EXPECT_EQ(first("abc", "\xff\xfe" "abc"), "2,5");
  EXPECT_EQ(first(".", "\xff"), "none");
  EXPECT_EQ(first("a", ""), "none");
  EXPECT_EQ(first("^$", ""), "0,0");
}

TEST(Regex, catastrophic_backtracking_stops_at_the_match_limit) {
  Regex re = compiled("(a+)+$");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(re.find(runaway_text()), Outcome::kLimit);
  // std::regex takes minutes here; the limit makes it milliseconds (generous bound: no hang).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(re.find(std::string(34, 'a')), Outcome::kFound);
}

TEST(Regex, a_search_at_its_limit_spends_the_threads_budget) {
  Budget budget;
  {
    BudgetScope scope(budget);
    EXPECT_FALSE(budget_spent());
    EXPECT_EQ(compiled("(a+)+$").find(runaway_text()), Outcome::kLimit);
    EXPECT_TRUE(budget_spent());
    // Once spent, every search stops at once, even one that would match.
    EXPECT_EQ(compiled("a").find("a"), Outcome::kLimit);
  }
  EXPECT_NE(budget.reason().find("(a+)+$"), std::string::npos) << budget.reason();
  EXPECT_NE(budget.reason().find("match limit"), std::string::npos) << budget.reason();
  EXPECT_FALSE(budget_spent());  // the scope is gone
  EXPECT_EQ(compiled("a").find("a"), Outcome::kFound);
}

TEST(Regex, a_search_stops_at_the_budgets_deadline) {
  Budget budget;
  budget.set_deadline(Budget::Clock::now() - std::chrono::milliseconds(1));
  BudgetScope scope(budget);
  EXPECT_EQ(compiled("a").find("a"), Outcome::kLimit);
  EXPECT_TRUE(budget.reason().empty());  // the deadline, not a limit
}

TEST(Regex, the_match_limit_is_a_setting) {
  const RegexLimits saved = regex_limits();
  RegexLimits low = saved;
  low.match_limit = 1000;
  set_regex_limits(low);
  // 2^14 steps: under the default limit, over 1,000.
  std::string text = std::string(14, 'a') + "!";
  EXPECT_EQ(compiled("(a+)+$").find(text), Outcome::kLimit);
  set_regex_limits(saved);
  EXPECT_EQ(compiled("(a+)+$").find(text), Outcome::kNotFound);
}

TEST(Regex, one_compiled_pattern_searched_from_many_threads) {
  Regex re = compiled(R"(\b\d{5}\b)");
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) found += re.find("zip 12345 here") == Outcome::kFound;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(found.load(), 2000);
}

}  // namespace
}  // namespace parley
