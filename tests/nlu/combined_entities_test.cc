// The learned extractor inside the model: unseen values found by context, values mapped through
// synonyms, and the exact extractors (lookups, regexes, numbers) added without duplicates.
#include <gtest/gtest.h>

#include "nlu/nlu.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::domain_for;

project::NluData trips() {
  project::NluData d;
  add_intent(d, "book", {"i want to fly to [berlin](city)", "book a flight to [paris](city) please",
                         "fly me to [rome](city)", "a ticket to [madrid](city) for [two](number) people",
                         "i need to get to [vienna](city) tomorrow", "flights to [lisbon](city)",
                         "can i fly to [nyc](city) on monday", "to [athens](city) please"});
  add_intent(d, "greet", {"hello", "hi there", "good morning", "hey"});
  d.synonyms.push_back({"New York", {"nyc", "big apple"}, {}});
  d.lookups.push_back({"airport", {"tegel", "heathrow"}, {}});
  d.regexes.push_back({"zipcode", {"[0-9]{5}"}, {}});
  return d;
}

std::shared_ptr<const Model> model_of(const project::NluData& d) {
  auto m = train(d, domain_for(d, {"city", "number", "airport", "zipcode"}), TrainOptions{});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.value() : nullptr;
}

const Entity* find(const ParseResult& r, const std::string& entity) {
  for (const auto& e : r.entities)
    if (e.entity == entity) return &e;
  return nullptr;
}

TEST(NluCombinedEntities, AValueNeverAnnotatedIsFoundByItsContext) {
  auto m = model_of(trips());
  auto r = m->parse("i want to fly to oslo");
  const Entity* city = find(r, "city");
  ASSERT_TRUE(city) << r.entities.size();
  EXPECT_EQ(city->text, "oslo");
  EXPECT_EQ(city->extractor, "DIETClassifier");  // the config.yml name of the learner
  EXPECT_GT(city->confidence, 0.3);
  EXPECT_LE(city->confidence, 1.0);
}

TEST(NluCombinedEntities, LearnedValuesGoThroughSynonyms) {
  auto m = model_of(trips());
  auto r = m->parse("fly me to nyc");
  const Entity* city = find(r, "city");
  ASSERT_TRUE(city);
  EXPECT_EQ(city->text, "nyc");
  EXPECT_EQ(city->value, "New York");
}

TEST(NluCombinedEntities, ExactExtractorsAddWhatTheLearnerDoesNotCoverWithoutDuplicates) {
  auto m = model_of(trips());
  auto r = m->parse("to paris from heathrow, zip 10115");
  EXPECT_TRUE(find(r, "airport"));
  EXPECT_TRUE(find(r, "zipcode"));
  // No two entities share a character.
  for (size_t i = 0; i < r.entities.size(); ++i)
    for (size_t j = i + 1; j < r.entities.size(); ++j)
      EXPECT_FALSE(r.entities[i].start < r.entities[j].end && r.entities[j].start < r.entities[i].end)
          << r.entities[i].entity << " / " << r.entities[j].entity;
  for (size_t i = 1; i < r.entities.size(); ++i) EXPECT_LE(r.entities[i - 1].start, r.entities[i].start);
}

TEST(NluCombinedEntities, ARegexFeatureThatDoesNotCompileDoesNotStopTraining) {
  // A lookbehind of variable width compiles neither in Python nor in PCRE2. A regex that names
  // no domain entity is only a feature: the project trains without it (one that names an entity
  // is an error, with its file and line; the loader reports both).
  auto d = trips();
  d.regexes.push_back({"after_a", {"(?<=a+)b"}, {}});
  EXPECT_TRUE(model_of(d));
}

TEST(NluCombinedEntities, WithoutTheLearnerOnlyAnnotatedTextsAreFound) {
  TrainOptions opts;
  opts.entity_learner = false;
  auto d = trips();
  auto m = train(d, domain_for(d, {"city"}), opts);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(find((*m)->parse("i want to fly to oslo"), "city"));
  EXPECT_TRUE(find((*m)->parse("i want to fly to rome"), "city"));
}

}  // namespace
}  // namespace parley::nlu
