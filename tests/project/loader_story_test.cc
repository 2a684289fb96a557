// Stories, rules and test stories: every kind of step, rule conditions and options, checkpoints,
// and test-story messages with annotations.
#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

const char* kStoryDomain = R"(intents: [greet, inform, deny, affirm, chitchat]
entities: [city, count]
slots:
  city:
    type: text
    mappings:
    - type: from_entity
      entity: city
  count:
    type: float
    mappings:
    - type: custom
  confirmed:
    type: bool
    mappings:
    - type: custom
forms:
  trip_form:
    required_slots: [city]
responses:
  utter_greet:
  - text: hi
  utter_ask_city:
  - text: where?
  utter_ok:
  - text: ok
actions:
  - action_book
)";

const char* kStoryNlu = R"(nlu:
- intent: greet
  examples: |
    - hi
- intent: inform
  examples: |
    - to [Paris](city)
- intent: deny
  examples: |
    - no
- intent: affirm
  examples: |
    - yes
- intent: chitchat
  examples: |
    - how are you
- synonym: Paris
  examples: |
    - paname
)";

const char* kStoryFile = R"(version: "3.1"
stories:
- story: all the steps
  steps:
  - intent: greet
  - action: utter_greet
  - or:
    - intent: affirm
    - intent: deny
  - intent: inform
    entities:
    - city: Paris
    - count
  - slot_was_set:
    - city: Paris
    - count: 2
    - confirmed
    - confirmed: null
  - action: trip_form
  - active_loop: trip_form
  - active_loop: null
  - bot: "  Booked.  "
  - action: action_book
  - checkpoint: booked
- story: after booking
  steps:
  - checkpoint: booked
  - intent: affirm
  - action: utter_ok
rules:
- rule: greet at the start
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_greet
- rule: chitchat inside the form
  condition:
  - active_loop: trip_form
  - slot_was_set:
    - city
    - confirmed: false
  wait_for_user_input: false
  steps:
  - ...
  - intent: chitchat
  - action: utter_ok
  - action: trip_form
  - active_loop: trip_form
- rule: no form
  condition:
  - active_loop: null
  steps:
  - intent: deny
  - action: utter_ok
)";

LoadResult load_stories() {
  return load({{"domain.yml", kStoryDomain}, {"data/nlu.yml", kStoryNlu}, {"data/stories.yml", kStoryFile}});
}

TEST(LoaderStories, every_kind_of_step) {
  LoadResult r = load_stories();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  ASSERT_EQ(r.project.stories.size(), 2u);
  const Story& s = r.project.stories[0];
  EXPECT_EQ(s.name, "all the steps");
  EXPECT_FALSE(s.is_rule);
  EXPECT_EQ(s.loc.to_string(), "data/stories.yml:3");
  ASSERT_EQ(s.steps.size(), 11u);
  using K = Step::Kind;
  EXPECT_EQ(s.steps[0].kind, K::kUser);
  EXPECT_EQ(s.steps[0].user.intent, "greet");
  EXPECT_FALSE(s.steps[0].user.text.has_value());
  EXPECT_EQ(s.steps[0].loc.to_string(), "data/stories.yml:5");
  EXPECT_EQ(s.steps[1].kind, K::kAction);
  EXPECT_EQ(s.steps[1].name, "utter_greet");

  EXPECT_EQ(s.steps[2].kind, K::kOr);
  ASSERT_EQ(s.steps[2].alternatives.size(), 2u);
  EXPECT_EQ(s.steps[2].alternatives[0].intent, "affirm");
  EXPECT_EQ(s.steps[2].alternatives[1].intent, "deny");

  const UserStep& u = s.steps[3].user;
  EXPECT_EQ(u.intent, "inform");
  ASSERT_EQ(u.entities.size(), 2u);
  EXPECT_EQ(u.entities[0].entity, "city");
  EXPECT_EQ(u.entities[0].value, "Paris");
  EXPECT_EQ(u.entities[1].entity, "count");
  EXPECT_EQ(u.entities[1].value, "");

  const Step& set = s.steps[4];
  EXPECT_EQ(set.kind, K::kSlotWasSet);
  ASSERT_EQ(set.slots.size(), 4u);
  EXPECT_EQ(set.slots[0].name, "city");
  EXPECT_EQ(set.slots[0].value, json::value("Paris"));
  EXPECT_FALSE(set.slots[0].any_value);
  EXPECT_EQ(set.slots[1].name, "count");
  ASSERT_TRUE(set.slots[1].value.is_double());  // float slot: 2 is read as 2.0
  EXPECT_DOUBLE_EQ(set.slots[1].value.get_double(), 2.0);
  EXPECT_TRUE(set.slots[2].any_value);
  EXPECT_EQ(set.slots[2].name, "confirmed");
  EXPECT_FALSE(set.slots[3].any_value);
  EXPECT_TRUE(set.slots[3].value.is_null());

  EXPECT_EQ(s.steps[5].kind, K::kAction);
  EXPECT_EQ(s.steps[5].name, "trip_form");
  EXPECT_EQ(s.steps[6].kind, K::kActiveLoop);
  EXPECT_EQ(s.steps[6].name, "trip_form");
  EXPECT_EQ(s.steps[7].kind, K::kActiveLoop);
  EXPECT_EQ(s.steps[7].name, "");
  EXPECT_EQ(s.steps[8].kind, K::kBot);
  EXPECT_EQ(s.steps[8].name, "Booked.");
  EXPECT_EQ(s.steps[9].name, "action_book");
  EXPECT_EQ(s.steps[10].kind, K::kCheckpoint);
  EXPECT_EQ(s.steps[10].name, "booked");
  EXPECT_EQ(r.project.stories[1].steps[0].kind, K::kCheckpoint);
  EXPECT_TRUE(testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "checkpoint").empty())
      << all(r.diagnostics);
}

TEST(LoaderRules, conditions_and_options) {
  LoadResult r = load_stories();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  ASSERT_EQ(r.project.rules.size(), 3u);
  const Story& start = r.project.rules[0];
  EXPECT_TRUE(start.is_rule);
  EXPECT_TRUE(start.conversation_start);
  EXPECT_TRUE(start.wait_for_user_input);
  EXPECT_TRUE(start.condition.empty());

  const Story& chitchat = r.project.rules[1];
  EXPECT_FALSE(chitchat.conversation_start);
  EXPECT_FALSE(chitchat.wait_for_user_input);
  ASSERT_EQ(chitchat.condition.size(), 2u);
  EXPECT_EQ(chitchat.condition[0].kind, Step::Kind::kActiveLoop);
  EXPECT_EQ(chitchat.condition[0].name, "trip_form");
  EXPECT_EQ(chitchat.condition[1].kind, Step::Kind::kSlotWasSet);
  ASSERT_EQ(chitchat.condition[1].slots.size(), 2u);
  EXPECT_TRUE(chitchat.condition[1].slots[0].any_value);
  EXPECT_EQ(chitchat.condition[1].slots[1].value, json::value(false));
  ASSERT_EQ(chitchat.steps.size(), 5u);
  EXPECT_EQ(chitchat.steps[0].kind, Step::Kind::kAnyHistory);
  EXPECT_EQ(chitchat.steps[0].loc.line, 44);

  const Story& no_form = r.project.rules[2];
  ASSERT_EQ(no_form.condition.size(), 1u);
  EXPECT_EQ(no_form.condition[0].kind, Step::Kind::kActiveLoop);
  EXPECT_EQ(no_form.condition[0].name, "");
}

TEST(LoaderTestStories, user_text_with_annotations_intent_and_other_steps) {
  parley::testing::TempProject project({
      {"domain.yml", kStoryDomain},
      {"data/nlu.yml", kStoryNlu},
      {"data/stories.yml", "stories: []\n"},
      {"tests/test_trip.yml", R"(stories:
- story: book a trip
  steps:
  - user: |
      I want to go to [Paris](city) with [paname]{"entity": "city"} friends
    intent: inform
  - action: trip_form
  - active_loop: trip_form
  - slot_was_set:
    - city: Paris
  - user: "just chatting"
  - action: utter_ok
  - bot: ok
- story: second
  steps:
  - intent: greet
    user: hi
  - action: utter_greet
)"},
      {"tests/more/test_other.yaml", "stories:\n- story: third\n  steps:\n  - user: yes\n    intent: affirm\n"},
  });
  std::vector<Diagnostic> diags;
  auto stories = load_test_stories(project.dir(), diags).stories;
  EXPECT_EQ(testing::error_count(diags), 0u) << all(diags);
  ASSERT_EQ(stories.size(), 3u);
  const Story& s = stories[1];  // tests/more/... sorts first
  EXPECT_EQ(s.name, "book a trip");
  ASSERT_EQ(s.steps.size(), 7u);
  const UserStep& u = s.steps[0].user;
  ASSERT_TRUE(u.text.has_value());
  EXPECT_EQ(*u.text, "I want to go to Paris with paname friends");
  EXPECT_EQ(u.intent, "inform");
  ASSERT_EQ(u.entities.size(), 2u);
  EXPECT_EQ(u.entities[0].entity, "city");
  EXPECT_EQ(u.entities[0].value, "Paris");
  EXPECT_EQ(u.entities[0].start, 16u);
  EXPECT_EQ(u.entities[0].end, 21u);
  EXPECT_EQ(u.entities[1].text, "paname");
  EXPECT_EQ(u.entities[1].value, "Paris");  // normalised through the data's synonym
  EXPECT_EQ(s.steps[0].loc.to_string(), "tests/test_trip.yml:4");
  // an end-to-end message without an intent
  EXPECT_EQ(*s.steps[4].user.text, "just chatting");
  EXPECT_TRUE(s.steps[4].user.intent.empty());
  EXPECT_EQ(s.steps[6].kind, Step::Kind::kBot);
  EXPECT_EQ(stories[0].name, "third");
  EXPECT_EQ(*stories[2].steps[0].user.text, "hi");
  EXPECT_EQ(stories[2].steps[0].user.intent, "greet");
}

TEST(LoaderTestStories, a_story_naming_what_the_domain_lacks_is_set_aside_with_its_errors) {
  // An unknown action is an error; an unknown intent or entity only a warning, as in Rasa.
  parley::testing::TempProject project({
      {"domain.yml", kStoryDomain},
      {"tests/test_bad.yml",
       "stories:\n- story: typo\n  steps:\n  - user: hello\n    intent: greeet\n  - action: utter_gret\n"
       "  - user: to [Rome](town)\n    intent: inform\n"
       "- story: fine\n  steps:\n  - user: hello\n    intent: greet\n  - action: utter_greet\n"},
  });
  std::vector<Diagnostic> diags;
  auto tests = load_test_stories(project.dir(), diags);
  EXPECT_EQ(testing::error_count(diags), 0u) << all(diags);
  ASSERT_EQ(tests.stories.size(), 1u);
  EXPECT_EQ(tests.stories[0].name, "fine");
  ASSERT_EQ(tests.malformed.size(), 1u);
  const MalformedStory& m = tests.malformed[0];
  EXPECT_EQ(m.name, "typo");
  EXPECT_EQ(m.loc.to_string(), "tests/test_bad.yml:2");
  EXPECT_NE(m.errors.find("tests/test_bad.yml:6: test story 'typo' uses action 'utter_gret'"), std::string::npos) << m.errors;
  EXPECT_EQ(m.errors.find("intent 'greeet'"), std::string::npos) << m.errors;
  testing::expect_warning_at(diags, "tests/test_bad.yml", 4, {"intent 'greeet'"});
  testing::expect_warning_at(diags, "tests/test_bad.yml", 7, {"entity 'town'"});
}

TEST(LoaderTestStories, a_malformed_story_does_not_stop_the_others) {
  parley::testing::TempProject project({
      {"domain.yml", kStoryDomain},
      {"tests/test_mixed.yml",
       "stories:\n- story: first\n  steps:\n  - user: hello\n    intent: greet\n  - action: utter_greet\n"
       "- story: broken\n  steps:\n  - user: hello\n    intent: greet\n  - actoin: utter_greet\n"
       "- story: last\n  steps:\n  - user: hello\n    intent: greet\n"},
  });
  std::vector<Diagnostic> diags;
  auto tests = load_test_stories(project.dir(), diags);
  EXPECT_EQ(testing::error_count(diags), 0u) << all(diags);
  ASSERT_EQ(tests.stories.size(), 2u);
  EXPECT_EQ(tests.stories[0].name, "first");
  EXPECT_EQ(tests.stories[1].name, "last");
  ASSERT_EQ(tests.malformed.size(), 1u);
  EXPECT_EQ(tests.malformed[0].name, "broken");
  EXPECT_NE(tests.malformed[0].errors.find("tests/test_mixed.yml:11:"), std::string::npos) << tests.malformed[0].errors;
}

TEST(LoaderTestStories, no_tests_folder_gives_no_stories_and_no_errors) {
  parley::testing::TempProject project(testing::base_files());
  std::vector<Diagnostic> diags;
  EXPECT_TRUE(load_test_stories(project.dir(), diags).stories.empty());
  EXPECT_TRUE(diags.empty()) << all(diags);
}

}  // namespace
}  // namespace parley::project
