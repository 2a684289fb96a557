// DucklingEntityExtractor end to end: its entities fill from_entity slot mappings like any other
// entity, go into parse data in Rasa's Duckling shape, and a dead or slow Duckling server costs a
// turn at most its bounded wait, never the answer.
#include <gtest/gtest.h>

#include <chrono>

#include "dialogue/convo.h"
#include "support/fake_duckling.h"

namespace parley {
namespace {

using testing::Convo;

const char* const kDucklingDomain = R"(version: "3.1"
intents:
  - greet
  - inform
entities:
  - number
  - email
slots:
  guests:
    type: float
    mappings:
    - type: from_entity
      entity: number
  contact:
    type: text
    mappings:
    - type: from_entity
      entity: email
responses:
  utter_greet:
  - text: hello
  utter_noted:
  - text: "noted {guests} guests, mail to {contact}"
)";

const char* const kDucklingNlu = R"(version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: inform
  examples: |
    - we are 4 people, write to a@b.org
    - table for 2, my mail is x@y.com
    - 6 of us, contact me at me@mine.net
)";

const char* const kDucklingRules = R"(version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: noted
  steps:
  - intent: inform
  - action: utter_noted
)";

std::map<std::string, std::string> duckling_project(const std::string& duckling_item) {
  return {{"domain.yml", kDucklingDomain},
          {"data/nlu.yml", kDucklingNlu},
          {"data/rules.yml", kDucklingRules},
          {"config.yml", "language: en\npipeline:\n  - name: WhitespaceTokenizer\n  - name: DIETClassifier\n" +
                             duckling_item + "  - name: FallbackClassifier\n    threshold: 0.1\n"
                             "policies:\n  - name: RulePolicy\n"}};
}

TEST(DucklingSlots, builtin_number_and_email_fill_from_entity_slots) {
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  auto bot = testing::build(duckling_project("  - name: DucklingEntityExtractor\n    dimensions: [number, email]\n"));
  ASSERT_TRUE(bot);
  Convo c(bot);
  auto said = c.say("we are 5 people, write to jo@example.com");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "noted 5 guests, mail to jo@example.com");
  EXPECT_EQ(c.tracker.slot("guests"), json::value(5));  // as Duckling gives it, as Rasa keeps it
  EXPECT_EQ(c.tracker.slot("contact"), json::value("jo@example.com"));

  // The parse data carries the entities as Rasa's DucklingEntityExtractor writes them.
  const auto& entities = c.tracker.latest_message()->value.as_object().at("entities").as_array();
  const json::object* number = nullptr;
  for (const auto& e : entities)
    if (e.as_object().at("extractor") == "DucklingEntityExtractor" && e.as_object().at("entity") == "number")
      number = &e.as_object();
  ASSERT_NE(number, nullptr) << json::serialize(entities);
  EXPECT_EQ(number->at("text"), "5");
  EXPECT_EQ(number->at("confidence"), json::value(1.0));
  EXPECT_EQ(json::serialize(number->at("additional_info")), R"({"value":5,"type":"value"})");
  EXPECT_FALSE(number->contains("confidence_entity"));
}

TEST(DucklingSlots, entities_from_a_duckling_server_fill_slots) {
  testing::FakeDuckling duckling(R"([
    {"body": "five", "start": 7, "end": 11, "dim": "number", "value": {"value": 5, "type": "value"}},
    {"body": "jo@example.com", "start": 29, "end": 43, "dim": "email", "value": {"value": "jo@example.com"}}
  ])");
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  auto bot = testing::build(duckling_project("  - name: DucklingEntityExtractor\n    url: " + duckling.url() + "\n"));
  ASSERT_TRUE(bot);
  Convo c(bot);
  auto said = c.say("we are five people, write to jo@example.com");
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "noted 5 guests, mail to jo@example.com");
  EXPECT_EQ(duckling.requests().size(), 1u);
}

TEST(DucklingSlots, a_slow_duckling_server_costs_the_turn_its_timeout_and_the_turn_still_answers) {
  testing::FakeDuckling duckling("[]");
  duckling.set_delay(std::chrono::milliseconds(3000));
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  auto bot = testing::build(
      duckling_project("  - name: DucklingEntityExtractor\n    url: " + duckling.url() + "\n    timeout: 0.2\n"));
  ASSERT_TRUE(bot);
  Convo c(bot);
  auto t0 = std::chrono::steady_clock::now();
  auto said = c.say("hello");
  auto first = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "hello");
  EXPECT_LT(first, std::chrono::milliseconds(1000));
  // The breaker is open now: the next turn does not wait at all.
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.say("hi there"), std::vector<std::string>{"hello"});
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(150));
  EXPECT_EQ(duckling.requests().size(), 1u);
}

}  // namespace
}  // namespace parley
