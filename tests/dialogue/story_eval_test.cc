// Test stories judged as `rasa test` judges them: predictions from the story's own history, no
// action executed, the story's events applied after each step.
#include "dialogue/story_eval.h"

#include <gtest/gtest.h>

#include "dialogue/convo.h"
#include "project/loader.h"
#include "support/temp_project.h"

namespace parley::dialogue {
namespace {

const char* kEvalDomain = R"(version: "3.1"
intents: [greet, book, inform, affirm, deny, goodbye]
entities: [city]
slots:
  city:
    type: text
    mappings:
    - type: from_entity
      entity: city
  booked:
    type: bool
    influence_conversation: true
    mappings:
    - type: custom
forms:
  trip_form:
    required_slots: [city]
responses:
  utter_greet:
  - text: hi
  utter_ask_city:
  - text: where to?
  utter_done:
  - text: booked
  utter_sorry:
  - text: sorry
  utter_bye:
  - text: bye
actions:
- action_book
)";

const char* kEvalNlu = R"(nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: book
  examples: |
    - book a trip
    - I want to travel
- intent: inform
  examples: |
    - to [Paris](city)
    - [Rome](city)
- intent: affirm
  examples: |
    - yes
- intent: deny
  examples: |
    - no
- intent: goodbye
  examples: |
    - bye
)";

// A custom action whose outcome (booked or not) only the story tells: rasa test never runs it.
const char* kEvalStories = R"(stories:
- story: booked
  steps:
  - intent: greet
  - action: utter_greet
  - intent: book
  - action: trip_form
  - active_loop: trip_form
  - intent: inform
    entities:
    - city: Paris
  - slot_was_set:
    - city: Paris
  - action: trip_form
  - active_loop: null
  - action: action_book
  - slot_was_set:
    - booked: true
  - action: utter_done
- story: not booked
  steps:
  - intent: greet
  - action: utter_greet
  - intent: book
  - action: trip_form
  - active_loop: trip_form
  - intent: inform
    entities:
    - city: Rome
  - slot_was_set:
    - city: Rome
  - action: trip_form
  - active_loop: null
  - action: action_book
  - slot_was_set:
    - booked: false
  - action: utter_sorry
rules:
- rule: bye
  steps:
  - intent: goodbye
  - action: utter_bye
- rule: book on yes
  steps:
  - intent: affirm
  - action: action_book
)";

std::shared_ptr<const bot::Bot> trip_bot() {
  return testing::build({{"domain.yml", kEvalDomain},
                         {"data/nlu.yml", kEvalNlu},
                         {"data/stories.yml", kEvalStories},
                         {"config.yml", "policies:\n- name: RulePolicy\n- name: MemoizationPolicy\n"}});
}

std::vector<project::Story> read_tests(const std::string& yaml) {
  testing::TempProject p({{"domain.yml", kEvalDomain}, {"tests/test_stories.yml", yaml}});
  std::vector<project::Diagnostic> diags;
  auto tests = project::load_test_stories(p.dir(), diags);
  std::string text;
  for (const auto& d : diags) text += d.to_string() + "\n";
  for (const auto& m : tests.malformed) text += m.errors + "\n";
  EXPECT_TRUE(tests.malformed.empty()) << text;
  return tests.stories;
}

const char* kTestStories = R"(stories:
- story: booked, with a custom action and no action server
  steps:
  - user: hello
    intent: greet
  - action: utter_greet
  - user: book a trip
    intent: book
  - action: trip_form
  - active_loop: trip_form
  - user: to [Paris](city)
    intent: inform
  - slot_was_set:
    - city: Paris
  - action: trip_form
  - active_loop: null
  - action: action_book
  - slot_was_set:
    - booked: true
  - action: utter_done
  - user: bye
    intent: goodbye
  - action: utter_bye
- story: two wrong predictions, and the evaluation goes on after each
  steps:
  - user: hello
    intent: greet
  - action: utter_bye
  - user: bye
    intent: goodbye
  - action: utter_greet
)";

TEST(StoryEval, a_story_with_a_custom_action_and_a_form_passes_without_an_action_server) {
  auto bot = trip_bot();
  ASSERT_TRUE(bot);
  auto stories = read_tests(kTestStories);
  ASSERT_EQ(stories.size(), 2u);
  StoryResult r = evaluate_story(*bot, stories[0]);
  std::string t;
  for (const auto& line : r.transcript) t += line + "\n";
  EXPECT_TRUE(r.passed) << t;
  EXPECT_EQ(r.actions(), r.actions_correct()) << t;
  // utter_greet, listen, trip_form, listen, trip_form, action_book, utter_done, listen, utter_bye
  EXPECT_EQ(r.actions(), 9u) << t;
}

TEST(StoryEval, every_wrong_prediction_is_recorded_with_its_policy_and_the_story_goes_on) {
  auto bot = trip_bot();
  ASSERT_TRUE(bot);
  auto stories = read_tests(kTestStories);
  StoryResult r = evaluate_story(*bot, stories[1]);
  EXPECT_FALSE(r.passed);
  std::vector<const StepCheck*> wrong;
  std::string t;
  for (const auto& line : r.transcript) t += line + "\n";
  for (const auto& c : r.checks)
    if (!c.correct) wrong.push_back(&c);
  ASSERT_EQ(wrong.size(), 2u) << t;
  EXPECT_EQ(wrong[0]->expected, "utter_bye");
  EXPECT_EQ(wrong[0]->predicted, "utter_greet");
  EXPECT_EQ(wrong[0]->policy, "memoization");
  EXPECT_NE(wrong[0]->why.find("story 'booked'"), std::string::npos) << wrong[0]->why;
  EXPECT_EQ(wrong[0]->step, 2u);
  // The story's utter_bye was applied, not the prediction: the evaluation goes on from the story.
  EXPECT_EQ(wrong[1]->expected, "utter_greet");
  EXPECT_EQ(wrong[1]->predicted, "utter_bye");
  EXPECT_EQ(wrong[1]->policy, "rule");
  EXPECT_NE(wrong[1]->why.find("rule 'bye'"), std::string::npos) << wrong[1]->why;
  EXPECT_EQ(wrong[1]->step, 4u);
  EXPECT_EQ(r.first_failure(), wrong[0]);
  EXPECT_EQ(r.actions_correct() + 2, r.actions());

  std::string yaml = failed_story_yaml(stories[1], r);
  EXPECT_NE(yaml.find("- action: utter_bye  # predicted: utter_greet (memoization)"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- action: utter_greet  # predicted: utter_bye (rule)"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("- user: \"bye\"\n    intent: goodbye\n"), std::string::npos) << yaml;
  std::string booked = failed_story_yaml(stories[0], evaluate_story(*bot, stories[0]));
  EXPECT_NE(booked.find("- user: \"to [Paris](city)\""), std::string::npos) << booked;
  EXPECT_NE(booked.find("- booked: true"), std::string::npos) << booked;
  EXPECT_EQ(booked.find("# predicted"), std::string::npos) << booked;

  json::object o = story_results_json({evaluate_story(*bot, stories[0]), r});
  EXPECT_EQ(o.at("passed").as_uint64() + o.at("failed").as_uint64(), 2u);
  EXPECT_EQ(o.at("failed").as_uint64(), 1u);
  const auto& actions = o.at("actions").as_object();
  EXPECT_EQ(actions.at("total").to_number<uint64_t>() - actions.at("correct").to_number<uint64_t>(), 2u);
}

TEST(StoryEval, a_bot_that_goes_on_where_the_story_listens_is_a_wrong_action_listen) {
  auto bot = trip_bot();
  ASSERT_TRUE(bot);
  auto stories = read_tests(R"(stories:
- story: greet and then nothing
  steps:
  - user: hello
    intent: greet
  - user: bye
    intent: goodbye
  - action: utter_bye
)");
  StoryResult r = evaluate_story(*bot, stories[0]);
  EXPECT_FALSE(r.passed);
  const StepCheck* f = r.first_failure();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->expected, "action_listen");
  EXPECT_EQ(f->predicted, "utter_greet");
  EXPECT_EQ(f->step, 2u);
  std::string yaml = failed_story_yaml(stories[0], r);
  EXPECT_NE(yaml.find("- action: action_listen  # predicted: utter_greet"), std::string::npos) << yaml;
}

TEST(StoryEval, nlu_mismatches_are_reported_and_count_only_in_e2e) {
  auto bot = trip_bot();
  ASSERT_TRUE(bot);
  // "hello" is a greet example; the story says goodbye, and the dialogue follows the story.
  auto stories = read_tests(R"(stories:
- story: the story's intent is what the dialogue sees
  steps:
  - user: hello
    intent: goodbye
  - action: utter_bye
)");
  StoryResult plain = evaluate_story(*bot, stories[0]);
  EXPECT_TRUE(plain.passed);
  ASSERT_FALSE(plain.checks.empty());
  bool reported = false;
  for (const auto& c : plain.checks)
    if (c.kind == StepCheck::Kind::kIntent && !c.correct) {
      reported = true;
      EXPECT_FALSE(c.decides);
      EXPECT_EQ(c.predicted, "greet");
    }
  EXPECT_TRUE(reported);
  EvalOptions e2e;
  e2e.e2e = true;
  StoryResult strict = evaluate_story(*bot, stories[0], e2e);
  EXPECT_FALSE(strict.passed);
  ASSERT_NE(strict.first_failure(), nullptr);
  EXPECT_EQ(strict.first_failure()->kind, StepCheck::Kind::kIntent);
}

TEST(StoryEval, a_live_run_names_the_failed_call_behind_a_wrong_action) {
  auto bot = trip_bot();
  ASSERT_TRUE(bot);
  auto stories = read_tests(R"(stories:
- story: a custom action that cannot be called
  steps:
  - user: hello
    intent: greet
  - action: utter_greet
  - user: "yes"
    intent: affirm
  - action: action_book
)");
  StoryResult r = run_test_story(bot, stories[0], nullptr);
  EXPECT_FALSE(r.passed);
  const StepCheck* f = r.first_failure();
  ASSERT_NE(f, nullptr);
  std::string t;
  for (const auto& line : r.transcript) t += line + "\n";
  SCOPED_TRACE(t);
  EXPECT_EQ(f->expected, "action_book");
  EXPECT_EQ(f->predicted, "action_default_fallback");
  EXPECT_NE(f->why.find("custom action 'action_book' failed"), std::string::npos) << f->why;
  EXPECT_NE(f->why.find("no action endpoint"), std::string::npos) << f->why;
}

}  // namespace
}  // namespace parley::dialogue
