// G5 through the engine: a Duckling server that hangs (Rasa's 3 s timeout, the default 1 s turn
// budget) costs a turn at most half its budget, the turn answers in time, and the next turns do
// not wait at all.
#include <gtest/gtest.h>

#include <fstream>

#include "runtime/engine_fixture.h"
#include "runtime/stats.h"
#include "support/fake_duckling.h"

namespace parley::runtime {
namespace {

using parley::testing::EngineHarness;
using parley::testing::texts;
using namespace std::chrono_literals;

TEST(DucklingTurn, a_hanging_duckling_server_costs_a_turn_half_its_budget_and_never_the_answer) {
  parley::testing::FakeDuckling duckling("[]");
  duckling.set_delay(5000ms);
  EngineHarness h;  // turn_budget: 1 s
  std::ofstream(h.bot_dir() + "/config.yml") << "recipe: default.v1\nlanguage: en\npipeline:\n"
                                                "  - name: WhitespaceTokenizer\n"
                                                "  - name: DucklingEntityExtractor\n    url: "
                                             << duckling.url() << "\npolicies:\n  - name: RulePolicy\n";
  h.start();
  auto t0 = std::chrono::steady_clock::now();
  auto hi = h.send("c1", "hi");
  auto first = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(hi.ok()) << hi.status().to_string();
  EXPECT_EQ(texts(*hi), std::vector<std::string>{"Hello!"});
  EXPECT_LT(first, 900ms);  // about 500 ms: half of the budget, not Rasa's 3 s
  EXPECT_EQ(h.engine().stats().turn_count("clock", TurnOutcome::kOverBudget), 0u);

  auto t1 = std::chrono::steady_clock::now();
  auto other = h.send("c2", "message 2");
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  EXPECT_EQ(texts(*other), std::vector<std::string>{"Got message 2."});
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 300ms);  // the breaker is open: no wait
  EXPECT_EQ(duckling.requests().size(), 1u);
}

}  // namespace
}  // namespace parley::runtime
