// find_numbers(): what counts as a number and its canonical value.
#include <gtest/gtest.h>

#include "nlu/numbers.h"

namespace parley::nlu {
namespace {

std::vector<std::string> values(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& m : find_numbers(text)) out.push_back(m.value);
  return out;
}

TEST(NluNumbers, IntegersDecimalsAndSigns) {
  EXPECT_EQ(values("3 pizzas"), std::vector<std::string>{"3"});
  EXPECT_EQ(values("it is -2 outside"), std::vector<std::string>{"-2"});
  EXPECT_EQ(values("4.5 stars"), std::vector<std::string>{"4.5"});
  EXPECT_EQ(values("between 10 and 20."), (std::vector<std::string>{"10", "20"}));
}

TEST(NluNumbers, ThousandsSeparatorsAndCanonicalText) {
  EXPECT_EQ(values("1,000 people"), std::vector<std::string>{"1000"});
  EXPECT_EQ(values("12,345,678.90"), std::vector<std::string>{"12345678.9"});
  EXPECT_EQ(values("007"), std::vector<std::string>{"7"});
  EXPECT_EQ(values("4.50"), std::vector<std::string>{"4.5"});
  EXPECT_EQ(values("2.0"), std::vector<std::string>{"2"});
  EXPECT_EQ(values("-0"), std::vector<std::string>{"0"});
}

TEST(NluNumbers, NotPartOfWordsOrOtherNotations) {
  EXPECT_TRUE(values("mp3 player").empty());
  EXPECT_TRUE(values("the 3rd time").empty());
  EXPECT_TRUE(values("version 1.2.3").empty());
  EXPECT_TRUE(values("1,5").empty());
  EXPECT_TRUE(values("1000,000").empty());
  EXPECT_EQ(values("5-3"), (std::vector<std::string>{"5", "3"}));
}

TEST(NluNumbers, OffsetsCoverTheNumberText) {
  auto m = find_numbers("pay -1,250.75 now");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].start, 4u);
  EXPECT_EQ(m[0].end, 13u);
  EXPECT_EQ(m[0].value, "-1250.75");
}

}  // namespace
}  // namespace parley::nlu
