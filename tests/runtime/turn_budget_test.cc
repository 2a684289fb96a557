// The turn budget: a turn whose regex search reaches its match limit, or that computes past
// turn_budget, is stopped with Code::kBudgetExceeded and leaves only an error event; a stretch
// that keeps its thread is answered meanwhile by the watchdog, while the conversation's later
// messages wait their turn and other conversations go on.
#include <gtest/gtest.h>

#include <fstream>

#include "core/regex.h"
#include "runtime/engine_fixture.h"
#include "runtime/stats.h"

namespace parley::runtime {
namespace {

using parley::testing::EngineHarness;
using parley::testing::texts;
using namespace std::chrono_literals;

std::string budget_runaway_text() { return std::string(34, 'a') + "!"; }

// The clock bot with a regex feature that backtracks exponentially, run at every parse.
void add_runaway_regex(const EngineHarness& h) {
  std::ofstream(h.bot_dir() + "/data/regex.yml") << "version: \"3.1\"\nnlu:\n- regex: runaway\n  examples: |\n"
                                                    "    - (a+)+$\n";
  std::ofstream(h.bot_dir() + "/config.yml") << "recipe: default.v1\nlanguage: en\npipeline:\n"
                                                "  - name: WhitespaceTokenizer\n  - name: RegexFeaturizer\n"
                                                "policies:\n  - name: RulePolicy\n";
}

std::vector<json::object> error_events(EngineHarness& h, const std::string& conversation) {
  std::vector<json::object> out;
  for (auto& e : h.stored_events(conversation))
    if (e.at("event") == "parley_error") out.push_back(e);
  return out;
}

TEST(TurnBudget, a_regex_at_its_match_limit_stops_the_turn_and_leaves_an_error_event) {
  EngineHarness h;
  add_runaway_regex(h);
  h.start();
  auto r = h.send("bad", budget_runaway_text(), "m1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBudgetExceeded) << r.status().to_string();

  // Nothing of the turn is kept but the error event; no dedup record, so a retry runs again.
  auto events = h.stored_events("bad");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("event"), "parley_error");
  EXPECT_EQ(events[0].at("code"), "turn_budget_exceeded");
  EXPECT_NE(events[0].at("message").as_string().find("match limit"), std::string::npos);
  auto again = h.send("bad", budget_runaway_text(), "m1");
  EXPECT_EQ(again.status().code(), Code::kBudgetExceeded);
  EXPECT_EQ(error_events(h, "bad").size(), 2u);
  EXPECT_EQ(h.engine().stats().turn_count("clock", TurnOutcome::kOverBudget), 2u);

  // The conversation goes on, and so do others.
  auto hi = h.send("bad", "hi");
  ASSERT_TRUE(hi.ok()) << hi.status().to_string();
  EXPECT_EQ(texts(*hi), std::vector<std::string>{"Hello!"});
  EXPECT_EQ(h.user_texts("bad"), std::vector<std::string>{"hi"});
  auto other = h.send("good", "message 2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(texts(*other), std::vector<std::string>{"Got message 2."});
}

TEST(TurnBudget, a_turn_computing_past_its_budget_is_answered_while_it_computes) {
  // A match limit this high lets the runaway search keep its thread for a second or more: a step
  // that does not look at its budget.
  const RegexLimits saved = regex_limits();
  RegexLimits high = saved;
  high.match_limit = 400'000'000;
  set_regex_limits(high);
  EngineOptions options;
  options.turn_budget = 100ms;
  EngineHarness h(options);
  add_runaway_regex(h);
  h.start();

  auto stuck = h.send_async("stuck", budget_runaway_text());
  auto r = stuck.wait_for(30s) == std::future_status::ready ? stuck.get() : Status::timeout("no answer");
  EXPECT_EQ(r.status().code(), Code::kBudgetExceeded) << r.status().to_string();
  // The conversation's next message waits for the stopped stretch, then runs as usual.
  auto next = h.send_async("stuck", "hi");
  auto other = h.send("free", "hi");
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  EXPECT_EQ(texts(*other), std::vector<std::string>{"Hello!"});
  ASSERT_EQ(next.wait_for(60s), std::future_status::ready);
  auto after = next.get();
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(texts(*after), std::vector<std::string>{"Hello!"});

  auto errors = error_events(h, "stuck");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("code"), "turn_budget_exceeded");
  EXPECT_EQ(h.user_texts("stuck"), std::vector<std::string>{"hi"});
  set_regex_limits(saved);
}

}  // namespace
}  // namespace parley::runtime
