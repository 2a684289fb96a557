// Lookup tables and regexes as intent features (Rasa's RegexFeaturizer): a message made only of
// a table's value is classified by the examples that use that table.
#include <gtest/gtest.h>

#include "nlu/nlu.h"
#include "nlu/pattern_features.h"
#include "nlu_test_data.h"

namespace parley::nlu {
namespace {

using testing::add_intent;
using testing::annotated;
using testing::domain_for;

// Two intents whose examples mention cities and cuisines; the lookup tables list values that
// no example contains.
project::NluData travel_and_food() {
  project::NluData d;
  add_intent(d, "book_trip", {"i want to travel to [berlin](city)", "book me a trip to [paris](city)",
                              "flights to [rome](city) please", "how do i get to [madrid](city)",
                              "i am going to [vienna](city) next week", "a ticket for [lisbon](city)"});
  add_intent(d, "order_food", {"i want [sushi](cuisine)", "order some [pizza](cuisine)",
                               "get me [tacos](cuisine) please", "i feel like [curry](cuisine) tonight",
                               "can i have [ramen](cuisine)", "deliver [pasta](cuisine) to me"});
  add_intent(d, "greet", {"hello", "hi there", "good morning", "hey", "good evening"});
  d.lookups.push_back({"city", {"oslo", "helsinki", "reykjavik", "tallinn", "riga"}, {}});
  d.lookups.push_back({"cuisine", {"bibimbap", "goulash", "pierogi", "shakshuka", "falafel"}, {}});
  d.regexes.push_back({"zipcode", {"\\b[0-9]{5}\\b"}, {}});
  return d;
}

TEST(NluPatternFeatures, TokensNameTheTablesAndRegexesAMessageMatches) {
  auto f = PatternFeatures::build(travel_and_food());
  EXPECT_EQ(f.tokens("Oslo"), "__lookup_city");
  EXPECT_EQ(f.tokens("goulash in helsinki, 10115"), "__lookup_city __lookup_cuisine __regex_zipcode");
  EXPECT_EQ(f.tokens("nothing here"), "");
  EXPECT_EQ(f.tokens("oslofjord"), "");  // whole words only
  // A training example also gets the table of its annotated entity.
  EXPECT_EQ(f.tokens(annotated("book_trip", "to [berlin](city)")), "__lookup_city");
  // A user cannot type a feature token: normalisation drops the underscores.
  EXPECT_EQ(normalize("__lookup_city"), "lookup city");
}

TEST(NluPatternFeatures, ALookupOnlyMessageIsClassifiedByItsTable) {
  auto data = travel_and_food();
  TrainOptions opts;
  opts.fallback_enabled = true;
  auto model = train(data, domain_for(data), opts);
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (const char* city : {"oslo", "Reykjavik", "tallinn", "riga"}) {
    auto r = (*model)->parse(city);
    EXPECT_EQ(r.intent.name, "book_trip") << city << " " << r.intent.confidence;
  }
  for (const char* dish : {"bibimbap", "Pierogi", "shakshuka", "falafel"}) {
    auto r = (*model)->parse(dish);
    EXPECT_EQ(r.intent.name, "order_food") << dish << " " << r.intent.confidence;
  }
}

TEST(NluPatternFeatures, WithoutTheFeaturizerALookupOnlyMessageIsNotUnderstood) {
  // The same data with regex_features off (no RegexFeaturizer in config.yml): the unseen values
  // carry no signal, so the test above fails for at least some of them. This guards the test
  // above against passing by chance.
  auto data = travel_and_food();
  TrainOptions opts;
  opts.regex_features = false;
  auto model = train(data, domain_for(data), opts);
  ASSERT_TRUE(model.ok());
  int right = 0;
  for (const char* city : {"oslo", "Reykjavik", "tallinn", "riga"})
    right += (*model)->parse(city).intent.name == "book_trip";
  for (const char* dish : {"bibimbap", "Pierogi", "shakshuka", "falafel"})
    right += (*model)->parse(dish).intent.name == "order_food";
  EXPECT_LT(right, 8);
}

}  // namespace
}  // namespace parley::nlu
