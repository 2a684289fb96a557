// NLU evaluation: intent and exact-span entity scores, character offsets, cross-validation folds.
#include <gtest/gtest.h>

#include "nlu/evaluate.h"
#include "nlu_test_data.h"
#include "project/loader.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::annotated;
using testing::domain_for;

// A model that answers from a table, so the scores are known exactly.
class TableModel final : public Model {
 public:
  std::map<std::string, ParseResult> answers;
  ParseResult parse(std::string_view text) const override {
    auto it = answers.find(std::string(text));
    return it == answers.end() ? ParseResult{} : it->second;
  }
  const std::vector<std::string>& intents() const override { return names_; }

 private:
  std::vector<std::string> names_;
};

Entity entity(const std::string& name, size_t start, size_t end) {
  Entity e;
  e.entity = name;
  e.start = start;
  e.end = end;
  return e;
}

TEST(NluEvaluate, CountsIntentsAndExactSpans) {
  TableModel m;
  m.answers["fly to rome"] = {"fly to rome", {"book", 0.9}, {}, {entity("city", 7, 11)}};
  m.answers["fly to new york"] = {"fly to new york", {"book", 0.9}, {}, {entity("city", 7, 10)}};  // "new" only
  m.answers["hi"] = {"hi", {"book", 0.9}, {}, {entity("city", 0, 2)}};
  std::vector<project::NluExample> gold = {annotated("book", "fly to [rome](city)"),
                                       annotated("book", "fly to [new york](city)"), annotated("greet", "hi")};
  NluReport r;
  evaluate(m, gold, r);
  EXPECT_EQ(r.examples, 3u);
  EXPECT_EQ(r.intent_correct, 2u);
  EXPECT_EQ(r.entities.tp, 1u);
  EXPECT_EQ(r.entities.fp, 2u);
  EXPECT_EQ(r.entities.fn, 1u);
  EXPECT_DOUBLE_EQ(r.entities.precision(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.entities.recall(), 0.5);
  // "new" overlaps "new york": found by the overlap measure; "hi" is still a false positive.
  EXPECT_EQ(r.entities_overlap.tp, 2u);
  EXPECT_EQ(r.entities_overlap.fp, 1u);
  EXPECT_EQ(r.entities_overlap.fn, 0u);
  EXPECT_EQ(r.intents["book"].tp, 2u);
  EXPECT_EQ(r.intents["book"].fp, 1u);
  EXPECT_EQ(r.intents["greet"].fn, 1u);
  EXPECT_EQ((r.confusions[{"greet", "book"}]), 1u);
  auto j = report_json(r);
  EXPECT_NEAR(j.at("intent").at("accuracy").as_double(), 2.0 / 3, 1e-9);
  // The misclassified example, as Rasa's intent_errors.json has it.
  const auto& errors = j.at("intent").at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("text"), "hi");
  EXPECT_EQ(errors[0].at("intent"), "greet");
  EXPECT_EQ(errors[0].at("intent_prediction").at("name"), "book");
  EXPECT_NE(report_text(r).find("greet -> book"), std::string::npos);
}

TEST(NluEvaluate, OffsetsAreBytesAsTheLoaderReadsThem) {
  // "zürich" has a two-byte character; the loader's annotation offsets count bytes, like the model's.
  TableModel m;
  std::string text = "nach zürich bitte";
  m.answers[text] = {text, {"book", 1}, {}, {entity("city", 5, 12)}};  // bytes 5..12 = "zürich"
  project::NluExample ex;
  ex.intent = "book";
  ex.text = text;
  std::vector<project::EntityAnnotation> gold;
  std::string plain, error;
  ASSERT_TRUE(project::parse_annotated_text("nach [zürich](city) bitte", plain, gold, error)) << error;
  ASSERT_EQ(plain, text);
  ASSERT_EQ(gold.size(), 1u);
  EXPECT_EQ(gold[0].end, 12u);
  ex.entities = gold;
  NluReport r;
  evaluate(m, {ex}, r);
  EXPECT_EQ(r.entities.tp, 1u);
}

TEST(NluEvaluate, CrossValidationTestsEveryExampleOnceOnModelsThatNeverSawIt) {
  project::NluData data;
  add_intent(data, "greet", {"hi", "hello", "hey", "good morning", "good evening", "hey there"});
  add_intent(data, "bye", {"bye", "goodbye", "see you", "good night", "later", "see you soon"});
  int trainings = 0;
  NluReport r;
  Status s = cross_validate(data, 3, [&](const project::NluData& train_data) {
    ++trainings;
    EXPECT_EQ(train_data.examples.size(), 8u);  // two of each intent held out per fold
    return train(train_data, domain_for(data), TrainOptions{});
  }, r);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(trainings, 3);
  EXPECT_EQ(r.examples, data.examples.size());
  EXPECT_FALSE(cross_validate(data, 1, nullptr, r).is_ok());
}

}  // namespace
}  // namespace parley::nlu
