// Intent classification: determinism, exact examples, the fallback threshold, degenerate data,
// and the fast input path agreeing with fastText's own reader.
#include <gtest/gtest.h>

#include <thread>

#include "nlu/intent_classifier.h"
#include "nlu/nlu.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::domain_for;

project::NluData small_data() {
  project::NluData d;
  add_intent(d, "greet", {"hey", "hello", "hi", "good morning", "good evening", "hey there"});
  add_intent(d, "goodbye", {"bye", "goodbye", "see you later", "good night", "see you around"});
  add_intent(d, "order_pizza", {"i want a pizza", "can i order a pizza", "one margherita please",
                                "i'd like to order food", "pizza delivery please", "get me a large pizza"});
  add_intent(d, "check_status", {"where is my order", "what is the status of my order", "is my pizza on its way",
                                 "how long until my food arrives", "track my order"});
  return d;
}

const char* kProbes[] = {"hello",        "hellooo",          "hey pizza",       "where's my food",
                         "bye now",      "I want to order",  "status?",         "good",
                         "zzz qqq",      "can I get a pizza", "see you tomorrow", "track it",
                         "GOOD MORNING!", "my order",         "pizza",           "x"};

std::shared_ptr<const Model> must_train(const project::NluData& data, const TrainOptions& opts = {}) {
  auto m = train(data, domain_for(data), opts);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.value() : nullptr;
}

TEST(NluIntent, TrainingTwiceGivesTheSameRankingsAndConfidences) {
  auto data = small_data();
  auto a = must_train(data);
  auto b = must_train(data);
  ASSERT_TRUE(a && b);
  for (const char* probe : kProbes) {
    auto ra = a->parse(probe), rb = b->parse(probe);
    EXPECT_EQ(ra.intent.name, rb.intent.name) << probe;
    EXPECT_EQ(ra.intent.confidence, rb.intent.confidence) << probe;
    ASSERT_EQ(ra.ranking.size(), rb.ranking.size()) << probe;
    for (size_t i = 0; i < ra.ranking.size(); ++i) {
      EXPECT_EQ(ra.ranking[i].name, rb.ranking[i].name) << probe;
      EXPECT_EQ(ra.ranking[i].confidence, rb.ranking[i].confidence) << probe;  // bit for bit
    }
  }
}

TEST(NluIntent, ParsingIsRepeatable) {
  auto m = must_train(small_data());
  ASSERT_TRUE(m);
  for (const char* probe : kProbes) EXPECT_EQ(m->parse(probe).intent.confidence, m->parse(probe).intent.confidence);
}

TEST(NluIntent, RankingIsProbabilitiesBestFirst) {
  TrainOptions opts;
  opts.fallback_enabled = false;
  auto m = must_train(small_data(), opts);
  ASSERT_TRUE(m);
  auto r = m->parse("how long is the wait for my pizza");
  ASSERT_EQ(r.ranking.size(), 4u);
  double sum = 0;
  for (size_t i = 0; i < r.ranking.size(); ++i) {
    EXPECT_GE(r.ranking[i].confidence, 0.0);
    EXPECT_LE(r.ranking[i].confidence, 1.0);
    if (i > 0) {
      EXPECT_GE(r.ranking[i - 1].confidence, r.ranking[i].confidence);
    }
    sum += r.ranking[i].confidence;
  }
  EXPECT_NEAR(sum, 1.0, 1e-3);
  EXPECT_EQ(r.intent.name, r.ranking[0].name);
}

TEST(NluIntent, RankingHasAtMostTenEntries) {
  project::NluData d;
  for (int i = 0; i < 14; ++i) {
    std::string intent = "intent" + std::to_string(i);
    std::string w = "word" + std::to_string(i);
    for (const char* suffix : {" alpha", " beta", " gamma"})
      d.examples.push_back(testing::annotated(intent, w + suffix));
  }
  auto m = must_train(d);
  ASSERT_TRUE(m);
  EXPECT_LE(m->parse("something else entirely").ranking.size(), 10u);
  EXPECT_EQ(m->parse("word3 alpha").intent.name, "intent3");
}

TEST(NluIntent, EveryExactTrainingExampleIsItsIntent) {
  auto data = small_data();
  auto m = must_train(data);
  ASSERT_TRUE(m);
  for (const auto& ex : data.examples) {
    auto r = m->parse(ex.text);
    EXPECT_EQ(r.intent.name, ex.intent) << ex.text;
    EXPECT_EQ(r.intent.confidence, 1.0) << ex.text;
    // Case, punctuation and spacing do not matter.
    std::string shouted = "  " + ex.text + "!!";
    for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(m->parse(shouted).intent.name, ex.intent) << shouted;
    EXPECT_EQ(m->parse(shouted).intent.confidence, 1.0) << shouted;
  }
}

TEST(NluIntent, ExactExampleWinsOverAMisleadingMajority) {
  // "pizza" alone is an example of goodbye, against many pizza examples elsewhere.
  auto data = small_data();
  add_intent(data, "goodbye", {"pizza"});
  auto m = must_train(data);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parse("Pizza!").intent.name, "goodbye");
  EXPECT_EQ(m->parse("Pizza!").intent.confidence, 1.0);
}

TEST(NluIntent, ATextUnderTwoIntentsIsLeftToTheClassifier) {
  auto data = small_data();
  add_intent(data, "greet", {"ciao"});
  add_intent(data, "goodbye", {"ciao"});
  auto m = must_train(data);
  ASSERT_TRUE(m);
  auto r = m->parse("ciao");
  EXPECT_LT(r.intent.confidence, 1.0);
}

TEST(NluIntent, BelowTheThresholdIsNluFallbackFirstInRanking) {
  TrainOptions opts;
  opts.fallback_enabled = true;
  opts.fallback_threshold = 0.99;  // nothing that is not an exact example reaches it
  auto m = must_train(small_data(), opts);
  ASSERT_TRUE(m);
  auto r = m->parse("zzz qqq");
  EXPECT_EQ(r.intent.name, "nlu_fallback");
  EXPECT_DOUBLE_EQ(r.intent.confidence, 0.99);
  ASSERT_EQ(r.ranking.size(), 5u);
  EXPECT_EQ(r.ranking[0].name, "nlu_fallback");
  EXPECT_DOUBLE_EQ(r.ranking[0].confidence, 0.99);
  EXPECT_NE(r.ranking[1].name, "nlu_fallback");
  EXPECT_LT(r.ranking[1].confidence, 0.99);
  // An exact example has confidence 1 and is not a fallback.
  EXPECT_EQ(m->parse("hello").intent.name, "greet");
}

TEST(NluIntent, NoFallbackWhenDisabled) {
  TrainOptions opts;
  opts.fallback_enabled = false;
  opts.fallback_threshold = 0.99;
  auto m = must_train(small_data(), opts);
  ASSERT_TRUE(m);
  auto r = m->parse("zzz qqq");
  EXPECT_NE(r.intent.name, "nlu_fallback");
  EXPECT_EQ(r.intent.name, r.ranking[0].name);
}

TEST(NluIntent, NoExamplesMeansEveryMessageIsFallback) {
  project::NluData empty;
  auto m = train(empty, project::Domain{}, TrainOptions{});
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto r = m.value()->parse("hello");
  EXPECT_EQ(r.intent.name, "nlu_fallback");
  EXPECT_EQ(m.value()->parse("").intent.name, "nlu_fallback");
  EXPECT_EQ(m.value()->intents(), (std::vector<std::string>{"restart", "session_start", "back", "nlu_fallback"}));
}

TEST(NluIntent, OneIntentIsAlwaysPredicted) {
  project::NluData d;
  add_intent(d, "greet", {"hi", "hello"});
  auto m = must_train(d);
  ASSERT_TRUE(m);
  auto r = m->parse("what is the weather");
  EXPECT_EQ(r.intent.name, "greet");
  EXPECT_EQ(r.intent.confidence, 1.0);
}

TEST(NluIntent, ExamplesWithoutWordsDoNotBreakTraining) {
  project::NluData d;
  add_intent(d, "greet", {"?!", "..."});
  add_intent(d, "bye", {"!!!"});
  auto m = must_train(d);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parse("hello").intent.name, "nlu_fallback");
  d.examples.clear();
  add_intent(d, "greet", {"?!", "hello"});
  add_intent(d, "bye", {"!!!"});
  m = must_train(d);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parse("hello").intent.name, "greet");
}

TEST(NluIntent, EmptyMessageIsFallback) {
  auto m = must_train(small_data());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parse("").intent.name, "nlu_fallback");
  EXPECT_EQ(m->parse("  ?! ").intent.name, "nlu_fallback");
}

TEST(NluIntent, IntentsListsTrainedAndDefaultIntents) {
  auto m = must_train(small_data());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->intents(), (std::vector<std::string>{"greet", "goodbye", "order_pizza", "check_status", "restart",
                                                    "session_start", "back", "nlu_fallback"}));
}

TEST(NluIntent, ConcurrentParsesGiveTheSequentialResults) {
  auto m = must_train(small_data());
  ASSERT_TRUE(m);
  std::vector<ParseResult> expected;
  for (const char* probe : kProbes) expected.push_back(m->parse(probe));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round)
        for (size_t i = 0; i < std::size(kProbes); ++i) {
          auto r = m->parse(kProbes[i]);
          if (r.intent.name != expected[i].intent.name || r.intent.confidence != expected[i].intent.confidence)
            ++mismatches[t];
        }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(NluIntent, FastInputPathMatchesFastTextsReader) {
  std::vector<LabeledText> examples;
  for (const auto& ex : small_data().examples) examples.push_back({ex.intent, normalize(ex.text)});
  auto c = IntentClassifier::train(examples, ClassifierOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (const char* probe : kProbes) {
    std::string norm = normalize(probe);
    if (norm.empty()) continue;
    auto fast = c.value()->predict(norm, 10);
    auto slow = c.value()->predict_via_stream(norm, 10);
    ASSERT_EQ(fast.size(), slow.size()) << probe;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].name, slow[i].name) << probe;
      EXPECT_NEAR(fast[i].confidence, slow[i].confidence, 1e-5) << probe;
    }
  }
}

}  // namespace
}  // namespace parley::nlu
