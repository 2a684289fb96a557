// Every loading error and warning names the file, the line and the problem.
#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::expect_error_at;
using testing::expect_warning_at;
using testing::load;
using testing::with;
using S = Diagnostic::Severity;

TEST(LoaderErrors, yaml_syntax_error_names_the_line) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: x\n  steps:\n  - intent: [greet\n"}}));
  EXPECT_FALSE(r.ok());
  auto found = testing::matching(r.diagnostics, S::kError, "YAML syntax error");
  ASSERT_EQ(found.size(), 1u) << all(r.diagnostics);
  EXPECT_EQ(found[0].loc.file, "data/stories.yml");
  EXPECT_EQ(found[0].loc.line, 5);
}

TEST(LoaderErrors, yaml_tab_indentation_in_the_domain) {
  LoadResult r = load(with({{"domain.yml", "intents:\n  - greet\nresponses:\n\tutter_greet:\n  - text: hi\n"}}));
  EXPECT_FALSE(r.ok());
  expect_error_at(r.diagnostics, "domain.yml", 4, {"YAML syntax error", "tab"});
}

TEST(LoaderErrors, missing_domain) {
  auto files = testing::base_files();
  files.erase("domain.yml");
  LoadResult r = load(files);
  EXPECT_FALSE(r.ok());
  auto found = testing::matching(r.diagnostics, S::kError, "no domain");
  ASSERT_EQ(found.size(), 1u) << all(r.diagnostics);
  EXPECT_NE(found[0].message.find("domain.yml, domain.yaml or a domain/ folder"), std::string::npos);
  EXPECT_EQ(testing::error_count(r.diagnostics), 1u) << all(r.diagnostics);  // no cascade of unknown names
}

TEST(LoaderErrors, missing_project_folder) {
  LoadResult r = load_project("/nonexistent/parley/project");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.at(0).to_string(),
            "project: error: the project folder does not exist or is not a folder");
}

TEST(LoaderErrors, intents_not_a_list) {
  LoadResult r = load(with({{"domain.yml", "version: '3.1'\nintents:\n  greet: {}\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 3, {"'intents' must be a list, not a mapping"});
}

TEST(LoaderErrors, slot_without_type_and_with_unknown_type) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "slots:\n  a:\n    influence_conversation: false\n"
                                               "  b:\n    type: unfeaturized\n  c:\n    type: [text]\n  d: text\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 11, {"slot 'a' has no 'type'"});
  expect_error_at(r.diagnostics, "domain.yml", 14, {"slot 'b' has unknown type the text 'unfeaturized'", "'any'"});
  expect_error_at(r.diagnostics, "domain.yml", 16, {"slot 'c' has unknown type a list"});
  expect_error_at(r.diagnostics, "domain.yml", 17, {"slot 'd' must be a mapping with a 'type'"});
}

TEST(LoaderErrors, mapping_without_type_with_unknown_type_or_without_entity) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "entities: [city]\nslots:\n  city:\n    type: text\n    mappings:\n"
                                               "    - entity: city\n    - type: from_entities\n"
                                               "    - type: from_entity\n    - type: from_intent\n      intent: greet\n"}}));
  EXPECT_FALSE(r.ok());
  expect_error_at(r.diagnostics, "domain.yml", 15, {"a mapping of slot 'city' has no 'type'"});
  expect_error_at(r.diagnostics, "domain.yml", 16, {"unknown type the text 'from_entities'"});
  expect_error_at(r.diagnostics, "domain.yml", 17, {"from_entity has no 'entity'"});
  expect_error_at(r.diagnostics, "domain.yml", 18, {"from_intent has no 'value'"});
}

TEST(LoaderErrors, story_uses_unknown_intent) {
  LoadResult r = load(with({{"data/stories.yml", "version: \"3.1\"\n\nstories:\n\n- story: happy path\n  steps:\n"
                                                 "  - intent: greet\n  - action: utter_greet\n\n\n\n"
                                                 "  - intent: greeet\n"}}));
  // A warning, as in Rasa, which trains on such a story (issue 12).
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  auto found = testing::matching(r.diagnostics, S::kWarning, "greeet");
  ASSERT_EQ(found.size(), 1u) << all(r.diagnostics);
  EXPECT_EQ(found[0].to_string(),
            "data/stories.yml:12: warning: story 'happy path' uses intent 'greeet' which is not in the domain "
            "(NLU can never predict it)");
}

TEST(LoaderErrors, unknown_intents_in_or_and_rules) {
  LoadResult r = load(with({{"data/stories.yml", "rules:\n- rule: r1\n  steps:\n  - or:\n    - intent: greet\n"
                                                 "    - intent: hello\n  - action: utter_greet\n"}}));
  expect_warning_at(r.diagnostics, "data/stories.yml", 4, {"rule 'r1' uses intent 'hello' which is not in the domain"});
}

TEST(LoaderErrors, default_intents_and_actions_need_no_declaration) {
  LoadResult r = load(with({{"data/stories.yml", "rules:\n- rule: fallback\n  steps:\n  - intent: nlu_fallback\n"
                                                 "  - action: action_default_fallback\n- rule: restart\n  steps:\n"
                                                 "  - intent: restart\n  - action: action_restart\n"
                                                 "  - action: action_deactivate_loop\n  - active_loop: null\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
}

TEST(LoaderErrors, story_uses_unknown_action) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: s\n  steps:\n  - intent: greet\n"
                                                 "  - action: utter_hello\n"}}));
  expect_error_at(r.diagnostics, "data/stories.yml", 5,
                  {"story 's' uses action 'utter_hello' which is not a response, form or action in the domain"});
}

TEST(LoaderErrors, form_helper_actions_must_be_listed_to_be_used) {
  std::string domain = testing::base_files()["domain.yml"] +
                       "slots:\n  city:\n    type: text\n    mappings:\n    - type: from_text\n"
                       "forms:\n  trip_form:\n    required_slots: [city]\n";
  std::string stories = "stories:\n- story: s\n  steps:\n  - intent: greet\n  - action: trip_form\n"
                        "  - action: validate_trip_form\n  - action: action_ask_city\n";
  LoadResult r = load(with({{"domain.yml", domain}, {"data/stories.yml", stories}}));
  expect_error_at(r.diagnostics, "data/stories.yml", 6, {"action 'validate_trip_form'"});
  expect_error_at(r.diagnostics, "data/stories.yml", 7, {"action 'action_ask_city'"});
  EXPECT_TRUE(testing::matching(r.diagnostics, S::kError, "'trip_form'").empty()) << all(r.diagnostics);

  LoadResult listed = load(with({{"domain.yml", domain + "actions: [validate_trip_form, action_ask_city]\n"},
                                 {"data/stories.yml", stories}}));
  EXPECT_TRUE(listed.ok()) << all(listed.diagnostics);
}

TEST(LoaderErrors, unknown_slot_in_slot_was_set_and_in_conditions) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: s\n  steps:\n  - intent: greet\n"
                                                 "  - slot_was_set:\n    - mood: happy\n"
                                                 "rules:\n- rule: r\n  condition:\n  - slot_was_set:\n    - colour\n"
                                                 "  steps:\n  - intent: goodbye\n  - action: utter_goodbye\n"}}));
  expect_error_at(r.diagnostics, "data/stories.yml", 5,
                  {"story 's' uses slot 'mood' in slot_was_set which is not in the domain"});
  expect_error_at(r.diagnostics, "data/stories.yml", 10,
                  {"rule 'r' uses slot 'colour' in its condition which is not in the domain"});
}

TEST(LoaderErrors, unknown_form_in_active_loop) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: s\n  steps:\n  - intent: greet\n"
                                                 "  - active_loop: order_form\n"
                                                 "rules:\n- rule: r\n  condition:\n  - active_loop: pay_form\n"
                                                 "  steps:\n  - intent: goodbye\n  - action: utter_goodbye\n"}}));
  expect_error_at(r.diagnostics, "data/stories.yml", 5,
                  {"story 's' has active_loop 'order_form' which is not a form in the domain"});
  expect_error_at(r.diagnostics, "data/stories.yml", 9, {"rule 'r' has active_loop 'pay_form' in its condition"});
}

TEST(LoaderErrors, unknown_entity_in_story_entities) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: s\n  steps:\n  - intent: greet\n"
                                                 "    entities:\n    - city: Paris\n  - action: utter_greet\n"}}));
  expect_warning_at(r.diagnostics, "data/stories.yml", 4,
                  {"story 's' uses entity 'city' which is not in the domain"});
}

TEST(LoaderErrors, form_requires_unknown_slot) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "forms:\n  trip_form:\n    required_slots:\n      - city\n"
                                               "    ignored_intents: [chitchat]\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 13, {"form 'trip_form' requires slot 'city' which is not in the domain"});
  expect_error_at(r.diagnostics, "domain.yml", 14, {"form 'trip_form' ignores intent 'chitchat'"});
}

TEST(LoaderErrors, form_in_rasa2_syntax) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "forms:\n  trip_form:\n    required_slots:\n      city:\n"
                                               "        - type: from_text\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 12, {"Rasa 2 form syntax"});
}

TEST(LoaderErrors, a_from_intent_mapping_with_an_unknown_intent_still_loads) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "slots:\n  vip:\n    type: bool\n    mappings:\n"
                                               "    - type: from_intent\n      intent: i_am_vip\n      value: true\n"}}));
  EXPECT_EQ(testing::error_count(r.diagnostics), 0u) << testing::all(r.diagnostics);
  expect_warning_at(r.diagnostics, "domain.yml", 14, {"intent 'i_am_vip' which is not in the domain"});
}

TEST(LoaderErrors, mapping_names_unknown_entity_or_intent) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "slots:\n  city:\n    type: text\n    mappings:\n"
                                               "    - type: from_entity\n      entity: town\n"
                                               "    - type: from_intent\n      intent: [greet, agree]\n      value: x\n"
                                               "    - type: from_text\n      not_intent: nope\n"
                                               "      conditions:\n      - active_loop: city_form\n"
                                               "        requested_slot: town\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 14, {"slot 'city' is mapped from entity 'town' which is not in the domain"});
  // An unknown intent in a mapping is only a warning, as in Rasa (RasaHQ's financial-demo has one).
  expect_warning_at(r.diagnostics, "domain.yml", 16, {"intent 'agree' which is not in the domain"});
  expect_warning_at(r.diagnostics, "domain.yml", 19, {"not_intent 'nope'"});
  expect_error_at(r.diagnostics, "domain.yml", 19, {"active_loop 'city_form' which is not a form"});
  expect_error_at(r.diagnostics, "domain.yml", 19, {"requested_slot 'town' which is not a slot"});
}

TEST(LoaderErrors, response_condition_names_unknown_slot) {
  LoadResult r = load(with({{"domain.yml", "intents: [greet, goodbye]\nresponses:\n  utter_greet:\n"
                                           "  - text: hi VIP\n    condition:\n    - type: slot\n      name: vip\n"
                                           "      value: true\n  - text: hi\n  utter_goodbye:\n  - text: bye\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 4,
                  {"response 'utter_greet' has a condition on slot 'vip' which is not in the domain"});
}

TEST(LoaderErrors, response_shapes) {
  LoadResult r = load(with({{"domain.yml", testing::base_files()["domain.yml"] +
                                               "  utter_a:\n    text: not a list\n  utter_b:\n  - channel: x\n"
                                               "  utter_c:\n  - text: hi\n    buttons:\n    - payload: /greet\n"}}));
  expect_error_at(r.diagnostics, "domain.yml", 10, {"response 'utter_a' must be a list of variations"});
  expect_error_at(r.diagnostics, "domain.yml", 13, {"has no text, image, buttons, custom or attachment"});
  expect_error_at(r.diagnostics, "domain.yml", 17, {"a button of response 'utter_c' must be a mapping with a 'title'"});
}

TEST(LoaderErrors, malformed_annotations_name_file_line_and_problem) {
  LoadResult r = load(with({{"data/nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n"
                                             "    - hi [Anna\n    - hello [Bob]\n"
                                             "    - hey [Carl]{\"entity\": name}\n    - yo [Dan]{\"value\": \"d\"}\n"
                                             "- intent: goodbye\n  examples: |\n    - bye\n"}}));
  EXPECT_FALSE(r.ok());
  // A bracket that annotates nothing is plain text, as in Rasa, with a warning (issue 12, item 5).
  expect_warning_at(r.diagnostics, "data/nlu.yml", 5, {"'[Anna'", "intent 'greet'", "kept as plain text"});
  expect_warning_at(r.diagnostics, "data/nlu.yml", 6, {"'[Bob]'", "kept as plain text"});
  expect_error_at(r.diagnostics, "data/nlu.yml", 7, {"malformed annotation", "bad JSON"});
  expect_error_at(r.diagnostics, "data/nlu.yml", 8, {"malformed annotation", "has no \"entity\""});
  EXPECT_EQ(r.project.nlu.examples.size(), 4u);
}

TEST(LoaderErrors, story_shapes) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- rule: misplaced\n  steps: []\n"
                                                 "- story: two kinds\n  steps:\n  - intent: greet\n    action: utter_greet\n"
                                                 "- story: odd key\n  steps:\n  - intnet: greet\n"
                                                 "- story: no steps\n"
                                                 "- story: bad slot step\n  steps:\n  - slot_was_set: 5\n"}}));
  expect_error_at(r.diagnostics, "data/stories.yml", 2, {"a rule is listed under 'stories'"});
  expect_error_at(r.diagnostics, "data/stories.yml", 6, {"story 'two kinds'", "both 'intent' and 'action'"});
  expect_error_at(r.diagnostics, "data/stories.yml", 10, {"story 'odd key'", "unknown step key 'intnet'"});
  // Skipped with a warning, as Rasa does.
  expect_warning_at(r.diagnostics, "data/stories.yml", 11, {"story 'no steps'", "has no 'steps'", "skipped"});
  expect_error_at(r.diagnostics, "data/stories.yml", 14, {"story 'bad slot step'", "'slot_was_set' must be a list"});
}

TEST(LoaderWarnings, nlu_intent_not_in_domain) {
  LoadResult r = load(with({{"data/extra.yml", "nlu:\n- intent: thanks\n  examples: |\n    - thanks\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "data/extra.yml", 4, {"intent 'thanks' has NLU examples but is not in the domain"});
}

TEST(LoaderWarnings, domain_intent_without_examples) {
  LoadResult r = load(with({{"domain.yml", "intents:\n  - greet\n  - goodbye\n  - thanks\nresponses:\n  utter_greet:\n"
                                           "  - text: hi\n  utter_goodbye:\n  - text: bye\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "domain.yml", 4, {"intent 'thanks' has no NLU examples"});
}

TEST(LoaderWarnings, annotated_entity_not_in_domain) {
  LoadResult r = load(with({{"data/nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi [Anna](name)\n"
                                             "- intent: goodbye\n  examples: |\n    - bye\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "data/nlu.yml", 4,
                    {"entity 'name' is annotated in an example of intent 'greet' but is not in the domain"});
}

TEST(LoaderWarnings, checkpoints_that_do_not_connect) {
  LoadResult r = load(with({{"data/stories.yml", "stories:\n- story: a\n  steps:\n  - intent: greet\n"
                                                 "  - action: utter_greet\n  - checkpoint: greeted\n"
                                                 "- story: b\n  steps:\n  - checkpoint: gretted\n  - intent: goodbye\n"
                                                 "  - action: utter_goodbye\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "data/stories.yml", 6, {"story 'a' ends with checkpoint 'greeted' which no story starts from"});
  expect_warning_at(r.diagnostics, "data/stories.yml", 9, {"story 'b' starts from checkpoint 'gretted' which no story ends with"});
}

TEST(LoaderWarnings, unknown_sections_and_keys) {
  LoadResult r = load(with({{"data/stories.yml", testing::base_files()["data/stories.yml"] + "respones:\n  utter_x: []\n"},
                            {"domain.yml", testing::base_files()["domain.yml"] + "slotz: {}\n"}}));
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  expect_warning_at(r.diagnostics, "data/stories.yml", 12, {"section 'respones' of a data file is not used"});
  expect_warning_at(r.diagnostics, "domain.yml", 10, {"unknown domain section 'slotz'"});
}

}  // namespace
}  // namespace parley::project
