// Entity extraction through the model: each source, synonyms, offsets, overlaps, domain filter.
#include <gtest/gtest.h>

#include "nlu/entity_extractor.h"
#include "nlu/nlu.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::domain_for;

// The exact extractors alone, as with a config.yml whose pipeline has no DIETClassifier or
// CRFEntityExtractor (the learned extractor's own tests are in crf_test.cc and
// combined_entities_test.cc).
std::shared_ptr<const Model> must_train(const project::NluData& data, const project::Domain& domain) {
  TrainOptions opts;
  opts.entity_learner = false;
  auto m = train(data, domain, opts);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.value() : nullptr;
}

project::NluData travel_data() {
  project::NluData d;
  add_intent(d, "inform", {"I live in [Berlin](city)", "i am from [New York](city)",
                           "going to [NYC]{\"entity\": \"city\", \"value\": \"New York\"}",
                           "I want [2](count) tickets"});
  add_intent(d, "greet", {"hi", "hello"});
  return d;
}

TEST(NluEntities, AnnotatedTextIsFoundCaseInsensitivelyWithByteOffsets) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  std::string text = "Fly me to new york, then BERLIN.";
  auto r = m->parse(text);
  ASSERT_EQ(r.entities.size(), 2u);
  EXPECT_EQ(r.entities[0].entity, "city");
  EXPECT_EQ(r.entities[0].text, "new york");
  EXPECT_EQ(r.entities[0].value, "new york");
  EXPECT_EQ(r.entities[0].start, 10u);
  EXPECT_EQ(r.entities[0].end, 18u);
  EXPECT_EQ(text.substr(r.entities[0].start, r.entities[0].end - r.entities[0].start), "new york");
  EXPECT_EQ(r.entities[0].extractor, "annotated");
  EXPECT_EQ(r.entities[1].text, "BERLIN");
  EXPECT_EQ(text.substr(r.entities[1].start, r.entities[1].end - r.entities[1].start), "BERLIN");
}

TEST(NluEntities, OffsetsAreBytesAfterMultibyteText) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  std::string text = "Grüße aus Berlin";
  auto r = m->parse(text);
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].start, 12u);  // "Grüße" is 7 bytes
  EXPECT_EQ(text.substr(r.entities[0].start, r.entities[0].end - r.entities[0].start), "Berlin");
}

TEST(NluEntities, OnlyWholeWordsMatch) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->parse("berliners are nice").entities.empty());
  EXPECT_TRUE(m->parse("new yorkshire").entities.empty());
}

TEST(NluEntities, AnnotationValueDifferentFromTextIsASynonym) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  auto r = m->parse("a trip to nyc please");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].text, "nyc");
  EXPECT_EQ(r.entities[0].value, "New York");
}

TEST(NluEntities, EntitiesOutsideTheDomainAreNotExtracted) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {}));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->parse("I live in Berlin").entities.empty());
}

TEST(NluEntities, LookupTablesAndSynonymsSection) {
  auto d = travel_data();
  d.lookups.push_back({"city", {"Paris", "San Francisco", "Rio de Janeiro", "SF", "san fran"}, {}});
  d.synonyms.push_back({"San Francisco", {"SF", "san fran"}, {}});
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  auto r = m->parse("from rio de janeiro to SF via Paris or San Fran");
  ASSERT_EQ(r.entities.size(), 4u);
  EXPECT_EQ(r.entities[0].value, "rio de janeiro");
  EXPECT_EQ(r.entities[0].extractor, "lookup");
  EXPECT_EQ(r.entities[1].text, "SF");
  EXPECT_EQ(r.entities[1].value, "San Francisco");
  EXPECT_EQ(r.entities[2].value, "Paris");
  EXPECT_EQ(r.entities[3].text, "San Fran");
  EXPECT_EQ(r.entities[3].value, "San Francisco");
}

TEST(NluEntities, SynonymsAloneDoNotExtract) {
  auto d = travel_data();
  d.synonyms.push_back({"San Francisco", {"SF"}, {}});
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->parse("to SF").entities.empty());
}

TEST(NluEntities, SynonymTargetWrittenDifferentlyMapsToTheTarget) {
  auto d = travel_data();
  d.lookups.push_back({"city", {"san francisco"}, {}});
  d.synonyms.push_back({"San Francisco", {"SF"}, {}});
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  auto r = m->parse("to san francisco");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].value, "San Francisco");
}

TEST(NluEntities, RegexForADomainEntity) {
  auto d = travel_data();
  d.regexes.push_back({"zipcode", {"[0-9]{5}"}, {}});
  d.regexes.push_back({"not_an_entity", {"hello"}, {}});
  auto m = must_train(d, domain_for(d, {"zipcode"}));
  ASSERT_TRUE(m);
  auto r = m->parse("my zip is 10115, not 123456");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].entity, "zipcode");
  EXPECT_EQ(r.entities[0].value, "10115");
  EXPECT_EQ(r.entities[0].start, 10u);
  EXPECT_EQ(r.entities[0].end, 15u);
  EXPECT_EQ(r.entities[0].extractor, "regex");
  EXPECT_TRUE(m->parse("hello").entities.empty());
}

TEST(NluEntities, RegexInPythonSyntaxWithLookbehindAndNamedGroup) {
  auto d = travel_data();
  d.regexes.push_back({"zipcode", {R"((?<=zip )(?P<code>\d{5})\b)"}, {}});
  auto m = must_train(d, domain_for(d, {"zipcode"}));
  ASSERT_TRUE(m);
  auto r = m->parse("ship 12345 to zip 10115");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].value, "10115");
  EXPECT_EQ(r.entities[0].start, 18u);
}

TEST(NluEntities, RegexIsCaseInsensitive) {
  auto d = travel_data();
  d.regexes.push_back({"account", {"(?i)acc-[a-z]{3}"}, {}});
  auto m = must_train(d, domain_for(d, {"account"}));
  ASSERT_TRUE(m);
  auto r = m->parse("account ACC-XYZ please");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].value, "ACC-XYZ");
}

TEST(NluEntities, RegexesSkipOverlongMessagesButOtherSourcesDoNot) {
  auto d = travel_data();
  d.regexes.push_back({"zipcode", {"[0-9]{5}"}, {}});
  auto m = must_train(d, domain_for(d, {"zipcode", "city"}));
  ASSERT_TRUE(m);
  std::string text = "10115 Berlin " + std::string(kMaxRegexInputBytes, 'x');
  auto r = m->parse(text);
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].entity, "city");
  EXPECT_EQ(m->parse("10115 Berlin").entities.size(), 2u);
}

TEST(NluEntities, InvalidRegexIsAnErrorNamingIt) {
  auto d = travel_data();
  d.regexes.push_back({"zipcode", {"[0-9"}, {"data/nlu.yml", 12}});
  auto m = train(d, domain_for(d, {"zipcode"}), TrainOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("zipcode"), std::string::npos);
  EXPECT_NE(m.status().message().find("data/nlu.yml:12"), std::string::npos);
}

TEST(NluEntities, NumbersWhenTheDomainDeclaresNumber) {
  auto d = travel_data();
  auto with = must_train(d, domain_for(d, {"number"}));
  auto without = must_train(d, domain_for(d, {}));
  ASSERT_TRUE(with && without);
  auto r = with->parse("2 adults, 1,000 miles and 4.5 stars");
  ASSERT_EQ(r.entities.size(), 3u);
  EXPECT_EQ(r.entities[0].value, "2");
  EXPECT_EQ(r.entities[1].value, "1000");
  EXPECT_EQ(r.entities[1].text, "1,000");
  EXPECT_EQ(r.entities[1].start, 10u);
  EXPECT_EQ(r.entities[2].value, "4.5");
  EXPECT_EQ(r.entities[2].extractor, "number");
  EXPECT_TRUE(without->parse("2 adults").entities.empty());
}

TEST(NluEntities, LongestMatchWinsAndEntitiesDoNotOverlap) {
  auto d = travel_data();
  d.lookups.push_back({"city", {"York"}, {}});
  d.lookups.push_back({"place", {"New York City Hall"}, {}});
  auto m = must_train(d, domain_for(d, {"city", "place"}));
  ASSERT_TRUE(m);
  auto r = m->parse("meet at new york city hall or in york");
  ASSERT_EQ(r.entities.size(), 2u);
  EXPECT_EQ(r.entities[0].entity, "place");
  EXPECT_EQ(r.entities[0].text, "new york city hall");
  EXPECT_EQ(r.entities[1].entity, "city");
  EXPECT_EQ(r.entities[1].text, "york");
}

TEST(NluEntities, AnnotatedBeatsNumberOnTheSameText) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"count", "number"}));
  ASSERT_TRUE(m);
  auto r = m->parse("2 please");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].entity, "count");
}

TEST(NluEntities, RolesAndGroupsCarryOverWhenUnambiguous) {
  project::NluData d;
  add_intent(d, "book", {"from [Berlin]{\"entity\": \"city\", \"role\": \"departure\"} by train",
                         "a [large]{\"entity\": \"size\", \"group\": \"1\"} pizza",
                         "[Oslo]{\"entity\": \"city\", \"role\": \"departure\"} or "
                         "[Oslo]{\"entity\": \"city\", \"role\": \"destination\"}"});
  add_intent(d, "greet", {"hi"});
  auto m = must_train(d, domain_for(d, {"city", "size"}));
  ASSERT_TRUE(m);
  auto r = m->parse("berlin, a large one, and oslo");
  ASSERT_EQ(r.entities.size(), 3u);
  EXPECT_EQ(r.entities[0].role, std::optional<std::string>("departure"));
  EXPECT_EQ(r.entities[1].group, std::optional<std::string>("1"));
  EXPECT_FALSE(r.entities[1].role.has_value());
  EXPECT_FALSE(r.entities[2].role.has_value()) << "Oslo has two roles in the data";
}

TEST(NluEntities, EntitiesAreFoundWhatEverTheIntent) {
  auto d = travel_data();
  auto m = must_train(d, domain_for(d, {"city"}));
  ASSERT_TRUE(m);
  auto r = m->parse("hello Berlin");
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].confidence, 1.0);
}

}  // namespace
}  // namespace parley::nlu
