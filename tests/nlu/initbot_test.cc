// The rasa-init assistant's intents: a copy of a few examples, and the real initbot data, must
// classify the messages of initbot's test stories.
#include <gtest/gtest.h>

#include "nlu/nlu.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::domain_for;

project::NluData initbot_style() {
  project::NluData d;
  add_intent(d, "greet", {"hey", "hello", "hi", "hello there", "good morning", "good evening", "hey there"});
  add_intent(d, "goodbye", {"cu", "good by", "cee you later", "good night", "bye", "goodbye", "have a nice day",
                            "see you around", "bye bye", "see you later"});
  add_intent(d, "affirm", {"yes", "y", "indeed", "of course", "that sounds good", "correct"});
  add_intent(d, "deny", {"no", "n", "never", "I don't think so", "don't like that", "no way", "not really"});
  add_intent(d, "mood_great", {"perfect", "great", "amazing", "feeling like a king", "wonderful",
                               "I am feeling very good", "I am great", "I am amazing", "so good"});
  add_intent(d, "mood_unhappy", {"my day was horrible", "I am sad", "I don't feel very well", "I am disappointed",
                                 "super sad", "I'm so sad", "sad", "very sad", "unhappy", "not good",
                                 "not very good"});
  add_intent(d, "bot_challenge", {"are you a bot?", "are you a human?", "am I talking to a bot?",
                                  "am I talking to a human?"});
  return d;
}

void expect_intent(const Model& m, const std::string& text, const std::string& intent) {
  auto r = m.parse(text);
  EXPECT_EQ(r.intent.name, intent) << "\"" << text << "\" (confidence " << r.intent.confidence << ", then "
                                   << (r.ranking.size() > 1 ? r.ranking[1].name : "-") << ")";
}

TEST(NluInitbot, CopyOfInitIntentsClassifiesTestStoryMessages) {
  auto d = initbot_style();
  TrainOptions opts;
  opts.fallback_enabled = true;
  opts.fallback_threshold = 0.3;
  auto m = train(d, domain_for(d), opts);
  ASSERT_TRUE(m.ok()) << m.status().message();
  expect_intent(*m.value(), "hello there!", "greet");
  expect_intent(*m.value(), "bye-bye!", "goodbye");
  expect_intent(*m.value(), "very terrible", "mood_unhappy");
  expect_intent(*m.value(), "not really", "deny");
  expect_intent(*m.value(), "amazing", "mood_great");
}

TEST(NluInitbot, SharedInitbotDataGeneralisesToItsTestStories) {
  auto d = testing::read_simple_nlu_yml(std::string(PARLEY_SOURCE_DIR) + "/../shared/rasa/initbot/data/nlu.yml");
  if (d.examples.empty()) GTEST_SKIP() << "shared/rasa/initbot is not next to the source tree";
  ASSERT_GT(d.examples.size(), 60u);
  TrainOptions opts;  // initbot's config.yml: FallbackClassifier, threshold 0.3
  opts.fallback_enabled = true;
  opts.fallback_threshold = 0.3;
  auto m = train(d, domain_for(d), opts);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::pair<const char*, const char*> cases[] = {
      {"hello there!", "greet"}, {"amazing", "mood_great"},   {"bye-bye!", "goodbye"},
      {"hello", "greet"},        {"not good", "mood_unhappy"}, {"yes", "affirm"},
      {"not really", "deny"},    {"hi", "greet"},              {"very terrible", "mood_unhappy"},
      {"no", "deny"},            {"are you a bot?", "bot_challenge"}};
  for (const auto& [text, intent] : cases) expect_intent(*m.value(), text, intent);
}

TEST(NluInitbot, GeneralisesToUnseenPhrasings) {
  // Not exact examples: typos and new words near known ones. Most, not all, must be right.
  auto d = initbot_style();
  TrainOptions opts;
  opts.fallback_enabled = false;
  auto m = train(d, domain_for(d), opts);
  ASSERT_TRUE(m.ok());
  const std::pair<const char*, const char*> cases[] = {
      {"helo", "greet"},          {"hello bot", "greet"},          {"goodbye then", "goodbye"},
      {"see ya later", "goodbye"}, {"yes please", "affirm"},         {"no thanks", "deny"},
      {"I am so sad", "mood_unhappy"}, {"feeling great", "mood_great"}, {"are you human", "bot_challenge"},
      {"sadly not good", "mood_unhappy"}};
  int right = 0;
  for (const auto& [text, intent] : cases) right += m.value()->parse(text).intent.name == intent;
  EXPECT_GE(right, 8) << right << " of 10";
}

}  // namespace
}  // namespace parley::nlu
