// Retrieval intents and response selectors, as Rasa has them: NLU examples of faq/ask_name, the
// responses utter_faq/ask_name (here in a data file, where Rasa projects keep them), one rule
// `intent: faq -> action: utter_faq`, and the selector choosing which response answers.
#include <gtest/gtest.h>

#include "core/json.h"
#include "dialogue/convo.h"
#include "dialogue/story_eval.h"
#include "project/loader.h"
#include "support/temp_project.h"

namespace parley::dialogue {
namespace {

const char* kRetrievalDomain = R"(version: "3.1"
intents:
- greet
- chitchat:
    is_retrieval_intent: true
responses:
  utter_greet:
  - text: "Hi!"
)";

const char* kRetrievalNlu = R"(version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: chitchat/ask_name
  examples: |
    - what is your name
    - who are you
    - tell me your name
- intent: chitchat/ask_weather
  examples: |
    - how is the weather
    - is it raining
    - will it be sunny today
responses:
  utter_chitchat/ask_name:
  - text: "I am Parley."
  utter_chitchat/ask_weather:
  - text: "Sunny, as always."
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: chitchat
  steps:
  - intent: chitchat
  - action: utter_chitchat
)";

const char* kRetrievalConfig = R"(pipeline:
- name: WhitespaceTokenizer
- name: DIETClassifier
- name: ResponseSelector
  retrieval_intent: chitchat
  epochs: 100
policies:
- name: RulePolicy
)";

std::map<std::string, std::string> retrieval_files(const char* config = kRetrievalConfig) {
  return {{"domain.yml", kRetrievalDomain}, {"data/nlu.yml", kRetrievalNlu}, {"config.yml", config}};
}

using Lines = std::vector<std::string>;

TEST(Retrieval, the_selector_chooses_the_response_of_the_full_retrieval_intent) {
  auto bot = testing::build(retrieval_files());
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  EXPECT_EQ(c.say("what is your name"), Lines{"I am Parley."});
  EXPECT_EQ(c.say("is it raining"), Lines{"Sunny, as always."});
  EXPECT_EQ(c.say("hello"), Lines{"Hi!"});
}

TEST(Retrieval, parse_data_carries_the_response_selector_as_rasa_writes_it) {
  auto bot = testing::build(retrieval_files());
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  c.say("who are you");
  const Event* msg = c.tracker.latest_message();
  ASSERT_TRUE(msg);
  const json::object& parse = msg->value.as_object();
  EXPECT_EQ(parse.at("intent").at("name"), json::value("chitchat"));
  const json::object& rs = parse.at("response_selector").as_object();
  EXPECT_EQ(rs.at("all_retrieval_intents"), json::parse(R"(["chitchat"])"));
  const json::object& sel = rs.at("chitchat").as_object();  // the key is the configured retrieval_intent
  EXPECT_EQ(sel.at("response").at("intent_response_key"), json::value("chitchat/ask_name"));
  EXPECT_EQ(sel.at("response").at("utter_action"), json::value("utter_chitchat/ask_name"));
  EXPECT_EQ(sel.at("response").at("responses"), json::parse(R"([{"text": "I am Parley."}])"));
  EXPECT_EQ(sel.at("ranking").as_array().size(), 2u);
}

TEST(Retrieval, without_a_configured_selector_one_over_all_retrieval_intents_answers_under_default) {
  auto built = [] {
    testing::TempProject p(retrieval_files("policies:\n- name: RulePolicy\npipeline:\n- name: DIETClassifier\n"));
    return bot::build_bot(p.dir(), "test");
  }();
  ASSERT_TRUE(built.bot);
  bool warned = false;
  for (const auto& d : built.diagnostics) warned = warned || d.message.find("no ResponseSelector") != std::string::npos;
  EXPECT_TRUE(warned);
  testing::Convo c(built.bot);
  EXPECT_EQ(c.say("tell me your name"), Lines{"I am Parley."});
  EXPECT_TRUE(c.tracker.latest_message()->value.at("response_selector").as_object().contains("default"));
}

TEST(Retrieval, test_stories_with_full_retrieval_intents_pass_as_in_rasa_test) {
  auto files = retrieval_files();
  files["tests/test_stories.yml"] = R"(stories:
- story: chitchat then greet
  steps:
  - user: what is your name
    intent: chitchat/ask_name
  - action: utter_chitchat
  - intent: greet
  - action: utter_greet
)";
  testing::TempProject p(files);
  auto built = bot::build_bot(p.dir(), "test");
  ASSERT_TRUE(built.bot);
  std::vector<project::Diagnostic> diags;
  auto tests = project::load_test_stories(p.dir(), diags);
  ASSERT_EQ(tests.stories.size(), 1u);
  EXPECT_EQ(tests.stories[0].steps[0].user.intent, "chitchat");
  EXPECT_EQ(tests.stories[0].steps[0].user.full_retrieval_intent, "chitchat/ask_name");
  StoryResult r = evaluate_story(*built.bot, tests.stories[0]);
  std::string t;
  for (const auto& line : r.transcript) t += line + "\n";
  EXPECT_TRUE(r.passed) << t;
}

}  // namespace
}  // namespace parley::dialogue
