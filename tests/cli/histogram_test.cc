// The bench histogram keeps percentiles within about 1% of the true values.
#include "cli/histogram.h"

#include <gtest/gtest.h>

#include "cli/load_generator.h"
#include "support/temp_project.h"

namespace parley::cli {
namespace {

TEST(BenchHistogram, percentiles_are_within_one_percent) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 50000, 500);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 99000, 990);
  EXPECT_EQ(h.quantile(1.0), 100000u);
  EXPECT_EQ(h.max(), 100000u);
}

TEST(BenchHistogram, small_values_are_exact_and_merge_adds_counts) {
  Histogram a, b;
  a.record(3);
  b.record(7);
  b.record(7);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.quantile(0.0), 3u);
  EXPECT_EQ(a.quantile(1.0), 7u);
}

TEST(BenchScript, reads_turns_with_expected_replies_and_test_stories) {
  testing::TempProject p({{"script.yml", "- text: hi\n  expect: Hello!\n- text: bye\n  expect: [Bye, See you]\n"},
                          {"stories.yml", "stories:\n- story: s\n  steps:\n  - user: |\n      hello there\n    intent: greet\n  - action: utter_greet\n"},
                          {"bad.yml", "{not: [a script"}});
  auto s = load_script(p.dir() + "/script.yml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[1].expect, (std::vector<std::string>{"Bye", "See you"}));
  auto t = load_script(p.dir() + "/stories.yml");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].text, "hello there");
  EXPECT_FALSE(load_script(p.dir() + "/bad.yml").ok());
  EXPECT_EQ(pizza_script().size(), 4u);
}

}  // namespace
}  // namespace parley::cli
