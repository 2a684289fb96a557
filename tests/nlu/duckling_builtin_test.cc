// DucklingEntityExtractor without a url: the dimensions Parley finds itself, in Duckling's dim
// names and value shapes; and the conversion of a Duckling answer into Rasa's entities.
#include <gtest/gtest.h>

#include "nlu/duckling.h"

namespace parley::nlu {
namespace {

std::vector<Entity> builtin_of(const std::string& text, std::vector<std::string> dims = {}) {
  DucklingOptions o;
  o.dimensions = std::move(dims);
  o.dimensions_set = !o.dimensions.empty();
  return builtin_duckling_entities(text, o);
}

std::string info_of(const Entity& e) { return json::serialize(e.additional_info); }

TEST(DucklingBuiltin, finds_an_email_with_duckling_shape) {
  auto es = builtin_of("write to jane.doe+bots@example.co.uk, please");
  ASSERT_EQ(es.size(), 1u);
  const Entity& e = es[0];
  EXPECT_EQ(e.entity, "email");
  EXPECT_EQ(e.text, "jane.doe+bots@example.co.uk");
  EXPECT_EQ(e.start, 9u);
  EXPECT_EQ(e.end, 36u);
  EXPECT_EQ(e.structured_value, json::value("jane.doe+bots@example.co.uk"));
  EXPECT_EQ(info_of(e), R"({"value":"jane.doe+bots@example.co.uk"})");
  EXPECT_EQ(e.extractor, "DucklingEntityExtractor");
  EXPECT_DOUBLE_EQ(e.confidence, 1.0);
}

TEST(DucklingBuiltin, finds_urls_with_their_domain) {
  auto es = builtin_of("see https://www.rasa.com/docs?x=1. or example.org");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].entity, "url");
  EXPECT_EQ(es[0].text, "https://www.rasa.com/docs?x=1");
  EXPECT_EQ(info_of(es[0]), R"({"value":"https://www.rasa.com/docs?x=1","domain":"rasa.com"})");
  EXPECT_EQ(es[1].text, "example.org");
  // An email is not also a url.
  auto mail = builtin_of("me@example.org");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].entity, "email");
}

TEST(DucklingBuiltin, finds_phone_numbers_normalised_as_duckling_does) {
  auto es = builtin_of("call +33 1 46 64 79 98 or (650) 555-1234 ext 42 now");
  ASSERT_EQ(es.size(), 2u) << json::serialize(json::value(es.size()));
  EXPECT_EQ(es[0].entity, "phone-number");
  EXPECT_EQ(es[0].structured_value, json::value("(+33) 146647998"));
  EXPECT_EQ(es[1].structured_value, json::value("6505551234 ext 42"));
  EXPECT_EQ(es[1].text, "(650) 555-1234 ext 42");
  // Short digit runs are numbers, not phone numbers.
  auto n = builtin_of("room 1234");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].entity, "number");
}

TEST(DucklingBuiltin, numbers_in_digits_and_words) {
  auto es = builtin_of("I want 3 pizzas, twenty-five cokes, 1,000 napkins and 4.5 litres");
  ASSERT_EQ(es.size(), 4u);
  EXPECT_EQ(es[0].text, "3");
  EXPECT_EQ(info_of(es[0]), R"({"value":3,"type":"value"})");
  EXPECT_EQ(es[1].text, "twenty-five");
  EXPECT_EQ(es[1].structured_value, json::value(25));
  EXPECT_EQ(es[2].structured_value, json::value(1000));
  EXPECT_EQ(es[3].structured_value, json::value(4.5));
  auto big = builtin_of("three hundred and two thousand");
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0].structured_value, json::value(302000));
}

TEST(DucklingBuiltin, ordinals) {
  auto es = builtin_of("the 3rd one, not the twenty first or the second", {"ordinal"});
  ASSERT_EQ(es.size(), 3u);
  for (const auto& e : es) EXPECT_EQ(e.entity, "ordinal");
  EXPECT_EQ(info_of(es[0]), R"({"value":3,"type":"value"})");
  EXPECT_EQ(es[1].text, "twenty first");
  EXPECT_EQ(es[1].structured_value, json::value(21));
  EXPECT_EQ(es[2].structured_value, json::value(2));
}

TEST(DucklingBuiltin, amounts_of_money_with_duckling_units_and_intervals) {
  auto es = builtin_of("send $20 and 15 euros, or 30 GBP");
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[0].entity, "amount-of-money");
  EXPECT_EQ(es[0].text, "$20");
  EXPECT_EQ(info_of(es[0]), R"({"value":20,"unit":"$","type":"value"})");
  EXPECT_EQ(es[1].text, "15 euros");
  EXPECT_EQ(es[1].additional_info.at("unit"), json::value("EUR"));
  EXPECT_EQ(es[2].additional_info.at("unit"), json::value("GBP"));

  auto between = builtin_of("between 10 and 20 dollars");
  ASSERT_EQ(between.size(), 1u);
  EXPECT_EQ(between[0].text, "between 10 and 20 dollars");
  // Rasa's value of an interval: {"to", "from"}; Duckling's object in additional_info.
  EXPECT_EQ(json::serialize(between[0].structured_value), R"({"to":20,"from":10})");
  EXPECT_EQ(between[0].additional_info.at("type"), json::value("interval"));

  auto under = builtin_of("something under $50");
  ASSERT_EQ(under.size(), 1u);
  EXPECT_EQ(under[0].text, "under $50");
  EXPECT_EQ(json::serialize(under[0].structured_value), R"({"to":50,"from":null})");
}

TEST(DucklingBuiltin, only_the_configured_dimensions) {
  auto es = builtin_of("mail a@b.com about 3 things for $4", {"number"});
  // Without amount-of-money, "$4" holds the number 4.
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].text, "3");
  EXPECT_EQ(es[1].text, "4");
  es = builtin_of("mail a@b.com about 3 things for $4", {"email", "amount-of-money"});
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].entity, "email");
  EXPECT_EQ(es[1].entity, "amount-of-money");
}

TEST(DucklingAnswer, is_converted_as_rasa_converts_it) {
  DucklingOptions o;
  json::value answer = json::parse(R"([
    {"body": "tomorrow at 8", "start": 5, "end": 18, "dim": "time", "latent": false,
     "value": {"value": "2024-05-02T08:00:00.000+02:00", "grain": "hour", "type": "value", "values": []}},
    {"body": "from 9 to 11", "start": 20, "end": 32, "dim": "time",
     "value": {"type": "interval", "from": {"value": "2024-05-02T09:00:00.000+02:00", "grain": "hour"},
               "to": {"value": "2024-05-02T12:00:00.000+02:00", "grain": "hour"}}},
    {"body": "three", "start": 40, "end": 45, "dim": "number", "value": {"value": 3, "type": "value"}}
  ])");
  auto es = duckling_entities(answer, o);
  ASSERT_TRUE(es.ok()) << es.status().message();
  ASSERT_EQ(es->size(), 3u);
  const Entity& t = (*es)[0];
  EXPECT_EQ(t.entity, "time");
  EXPECT_EQ(t.text, "tomorrow at 8");
  EXPECT_EQ(t.start, 5u);
  EXPECT_EQ(t.end, 18u);
  EXPECT_EQ(t.structured_value, json::value("2024-05-02T08:00:00.000+02:00"));
  EXPECT_EQ(t.additional_info.at("grain"), json::value("hour"));
  EXPECT_EQ(t.extractor, "DucklingEntityExtractor");
  EXPECT_EQ(json::serialize((*es)[1].structured_value),
            R"({"to":"2024-05-02T12:00:00.000+02:00","from":"2024-05-02T09:00:00.000+02:00"})");
  EXPECT_EQ((*es)[2].structured_value, json::value(3));

  o.dimensions = {"number"};
  o.dimensions_set = true;
  auto only = duckling_entities(answer, o);
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ((*only)[0].entity, "number");

  EXPECT_FALSE(duckling_entities(json::parse(R"({"error": "x"})"), o).ok());
  EXPECT_FALSE(duckling_entities(json::parse(R"([{"dim": "number"}])"), o).ok());
}

TEST(DucklingRequest, is_the_form_rasa_posts) {
  DucklingOptions o;
  EXPECT_EQ(duckling_request_body("3 pizzas & tea", o, 1700000000000),
            "text=3+pizzas+%26+tea&dims=null&reftime=1700000000000");
  o.locale = "en_GB";
  o.timezone = "Europe/Berlin";
  o.dimensions = {"time", "number"};
  o.dimensions_set = true;
  EXPECT_EQ(duckling_request_body("hi", o, 5000),
            "text=hi&locale=en_GB&tz=Europe%2FBerlin&dims=%5B%22time%22%2C+%22number%22%5D&reftime=5000");
}

}  // namespace
}  // namespace parley::nlu
