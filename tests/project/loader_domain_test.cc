// Reading domain.yml: slots of every type and mapping, responses, forms, session_config, and
// domains split over a domain/ folder.
#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

const char* kRichDomain = R"(version: "3.1"
intents:
  - greet
  - inform:
      use_entities: [city]
  - chitchat:
      use_entities: false
  - deny:
      ignore_entities:
        - city
  - affirm
entities:
  - city
  - name:
      roles: [first, last]
      groups: [a]
slots:
  city:
    type: text
    influence_conversation: true
    mappings:
      - type: from_entity
        entity: city
        role: origin
        group: g1
        intent: [inform, greet]
        not_intent: deny
  confirmed:
    type: bool
    initial_value: false
    mappings:
      - type: from_intent
        intent: affirm
        value: true
        conditions:
          - active_loop: trip_form
            requested_slot: confirmed
      - type: from_intent
        intent: deny
        value: false
  size:
    type: categorical
    values: [small, medium, large]
    mappings:
      - type: from_trigger_intent
        intent: greet
        value: small
  price:
    type: float
    min_value: 1
    max_value: 100.5
    initial_value: 3
    mappings:
      - type: custom
  notes:
    type: list
    influence_conversation: false
    mappings:
      - type: from_text
        not_intent: [deny]
        conditions:
          - active_loop: null
  anything:
    type: any
    initial_value: {a: [1, 2]}
    mappings:
      - type: custom
        action: action_fill
responses:
  utter_greet:
    - text: "Hello {name}!"
    - text: "Welcome back, {name}!"
      condition:
        - type: slot
          name: confirmed
          value: true
      channel: slack
  utter_ask_confirmed:
    - text: "Sure?"
      buttons:
        - title: "Yes"
          payload: "/affirm"
        - title: "No"
          payload: /deny
  utter_picture:
    - image: "https://example.com/a.png"
  utter_custom:
    - custom:
        blocks: [{type: section, n: 1}]
      attachment: {kind: file}
  utter_ask_city:
    - text: Where to?
forms:
  trip_form:
    required_slots:
      - city
      - confirmed
    ignored_intents: chitchat
actions:
  - action_fill
  - validate_trip_form
  - action_send: {send_domain: true}
session_config:
  session_expiration_time: 0
  carry_over_slots_to_new_session: false
)";

LoadResult load_rich() {
  return load(with({{"domain.yml", kRichDomain},
                    {"data/nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n"},
                    {"data/stories.yml", "stories: []\n"}}));
}

TEST(LoaderDomain, intents_with_entity_settings) {
  LoadResult r = load_rich();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Domain& d = r.project.domain;
  ASSERT_EQ(d.intents.size(), 5u);
  EXPECT_TRUE(d.intents[0].use_all_entities);
  EXPECT_FALSE(d.intents[1].use_all_entities);
  EXPECT_EQ(d.intents[1].use_entities, std::vector<std::string>{"city"});
  EXPECT_FALSE(d.intents[2].use_all_entities);
  EXPECT_TRUE(d.intents[2].use_entities.empty());
  EXPECT_TRUE(d.intents[3].use_all_entities);
  EXPECT_EQ(d.intents[3].ignore_entities, std::vector<std::string>{"city"});
  EXPECT_EQ(d.entities, (std::vector<std::string>{"city", "name"}));
  EXPECT_EQ(d.locs.at("intent:inform").to_string(), "domain.yml:4");
  EXPECT_EQ(d.locs.at("entity:name").to_string(), "domain.yml:14");
}

TEST(LoaderDomain, every_slot_type_and_mapping_type) {
  LoadResult r = load_rich();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Domain& d = r.project.domain;
  // six declared slots plus session_started_metadata (in every domain, as in Rasa 3) and
  // requested_slot, added because there is a form
  ASSERT_EQ(d.slots.size(), 8u);

  const Slot* city = d.find_slot("city");
  ASSERT_TRUE(city);
  EXPECT_EQ(city->type, SlotType::kText);
  EXPECT_TRUE(city->influence_conversation);
  EXPECT_EQ(city->loc.to_string(), "domain.yml:18");
  ASSERT_EQ(city->mappings.size(), 1u);
  const SlotMapping& m = city->mappings[0];
  EXPECT_EQ(m.type, MappingType::kFromEntity);
  EXPECT_EQ(m.entity, "city");
  EXPECT_EQ(m.role, "origin");
  EXPECT_EQ(m.group, "g1");
  EXPECT_EQ(m.intents, (std::vector<std::string>{"inform", "greet"}));
  EXPECT_EQ(m.not_intents, std::vector<std::string>{"deny"});
  EXPECT_EQ(m.loc.to_string(), "domain.yml:22");

  const Slot* confirmed = d.find_slot("confirmed");
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->type, SlotType::kBool);
  EXPECT_EQ(confirmed->initial_value, json::value(false));
  ASSERT_EQ(confirmed->mappings.size(), 2u);
  EXPECT_EQ(confirmed->mappings[0].type, MappingType::kFromIntent);
  EXPECT_EQ(confirmed->mappings[0].value, json::value(true));
  ASSERT_EQ(confirmed->mappings[0].conditions.size(), 1u);
  EXPECT_EQ(confirmed->mappings[0].conditions[0].active_loop, "trip_form");
  EXPECT_EQ(confirmed->mappings[0].conditions[0].requested_slot, "confirmed");
  EXPECT_EQ(confirmed->mappings[1].value, json::value(false));
  EXPECT_TRUE(confirmed->mappings[1].conditions.empty());

  const Slot* size = d.find_slot("size");
  ASSERT_TRUE(size);
  EXPECT_EQ(size->type, SlotType::kCategorical);
  EXPECT_EQ(size->values, (std::vector<std::string>{"small", "medium", "large"}));
  EXPECT_EQ(size->mappings[0].type, MappingType::kFromTriggerIntent);
  EXPECT_EQ(size->mappings[0].value, json::value("small"));

  const Slot* price = d.find_slot("price");
  ASSERT_TRUE(price);
  EXPECT_EQ(price->type, SlotType::kFloat);
  EXPECT_DOUBLE_EQ(price->min_value, 1);
  EXPECT_DOUBLE_EQ(price->max_value, 100.5);
  ASSERT_TRUE(price->initial_value.is_double());  // float slots hold doubles even when written as 3
  EXPECT_DOUBLE_EQ(price->initial_value.get_double(), 3.0);
  EXPECT_EQ(price->mappings[0].type, MappingType::kCustom);

  const Slot* notes = d.find_slot("notes");
  ASSERT_TRUE(notes);
  EXPECT_EQ(notes->type, SlotType::kList);
  EXPECT_FALSE(notes->influence_conversation);
  EXPECT_EQ(notes->mappings[0].type, MappingType::kFromText);
  ASSERT_EQ(notes->mappings[0].conditions.size(), 1u);
  EXPECT_EQ(notes->mappings[0].conditions[0].active_loop, "");  // active_loop: null
  EXPECT_FALSE(notes->mappings[0].conditions[0].requested_slot.has_value());

  const Slot* anything = d.find_slot("anything");
  ASSERT_TRUE(anything);
  EXPECT_EQ(anything->type, SlotType::kAny);
  EXPECT_FALSE(anything->influence_conversation);
  EXPECT_EQ(anything->initial_value, json::parse(R"({"a": [1, 2]})"));

  const Slot* requested = d.find_slot("requested_slot");
  ASSERT_TRUE(requested);
  EXPECT_EQ(requested->type, SlotType::kText);
  EXPECT_FALSE(requested->influence_conversation);
}

TEST(LoaderDomain, responses_with_variations_buttons_images_custom_and_conditions) {
  LoadResult r = load_rich();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const auto& responses = r.project.domain.responses;
  ASSERT_EQ(responses.size(), 5u);
  const auto& greet = responses.at("utter_greet");
  ASSERT_EQ(greet.size(), 2u);
  EXPECT_EQ(greet[0].text, "Hello {name}!");
  EXPECT_TRUE(greet[0].conditions.empty());
  EXPECT_EQ(greet[0].loc.to_string(), "domain.yml:71");
  EXPECT_EQ(greet[1].channel, "slack");
  ASSERT_EQ(greet[1].conditions.size(), 1u);
  EXPECT_EQ(greet[1].conditions[0].slot, "confirmed");
  EXPECT_EQ(greet[1].conditions[0].value, json::value(true));

  const auto& ask = responses.at("utter_ask_confirmed");
  ASSERT_EQ(ask[0].buttons.size(), 2u);
  EXPECT_EQ(ask[0].buttons[0].title, "Yes");
  EXPECT_EQ(ask[0].buttons[0].payload, "/affirm");
  EXPECT_EQ(ask[0].buttons[1].payload, "/deny");

  EXPECT_EQ(responses.at("utter_picture")[0].image, "https://example.com/a.png");
  EXPECT_TRUE(responses.at("utter_picture")[0].text.empty());
  const auto& custom = responses.at("utter_custom")[0];
  EXPECT_EQ(custom.custom, json::parse(R"({"blocks": [{"type": "section", "n": 1}]})"));
  EXPECT_EQ(custom.attachment, json::parse(R"({"kind": "file"})"));
  EXPECT_EQ(r.project.domain.locs.at("response:utter_picture").to_string(), "domain.yml:85");
}

TEST(LoaderDomain, forms_actions_and_session_config) {
  LoadResult r = load_rich();
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Domain& d = r.project.domain;
  ASSERT_EQ(d.forms.size(), 1u);
  EXPECT_EQ(d.forms[0].name, "trip_form");
  EXPECT_EQ(d.forms[0].required_slots, (std::vector<std::string>{"city", "confirmed"}));
  EXPECT_EQ(d.forms[0].ignored_intents, std::vector<std::string>{"chitchat"});
  EXPECT_EQ(d.locs.at("form:trip_form").to_string(), "domain.yml:94");
  EXPECT_EQ(d.actions, (std::vector<std::string>{"action_fill", "validate_trip_form", "action_send"}));
  EXPECT_TRUE(d.has_action("action_send"));
  EXPECT_EQ(d.locs.at("action:action_send").to_string(), "domain.yml:102");
  EXPECT_EQ(d.session_config.session_expiration_minutes, 0);
  EXPECT_FALSE(d.session_config.carry_over_slots);
}

TEST(LoaderDomain, defaults_when_sections_are_missing) {
  LoadResult r = load(testing::base_files());
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Domain& d = r.project.domain;
  EXPECT_EQ(d.session_config.session_expiration_minutes, 60);
  EXPECT_TRUE(d.session_config.carry_over_slots);
  EXPECT_FALSE(d.find_slot("requested_slot"));  // no form, no requested_slot
  EXPECT_TRUE(r.project.config.nlu_fallback_enabled);  // Rasa's default pipeline has a FallbackClassifier
  EXPECT_TRUE(r.project.config.rules_enabled);
  EXPECT_TRUE(r.project.config.memoization_enabled);
}

TEST(LoaderDomain, domain_folder_files_are_merged) {
  auto files = testing::base_files();
  files.erase("domain.yml");
  files["domain/a_intents.yml"] =
      "intents:\n  - greet\n  - goodbye\nentities:\n  - city\nactions:\n  - action_a\n"
      "slots:\n  city:\n    type: text\n    mappings:\n    - type: from_entity\n      entity: city\n";
  files["domain/b_responses.yml"] =
      "intents:\n  - greet\n  - thanks\nentities:\n  - city\nresponses:\n  utter_greet:\n  - text: hi\n"
      "  utter_goodbye:\n  - text: bye\n";
  files["domain/sub/c_more.yaml"] =
      "actions:\n  - action_a\n  - action_b\nresponses:\n  utter_greet:\n  - text: hello again\n"
      "slots:\n  city:\n    type: float\n"
      "session_config:\n  session_expiration_time: 15\n";
  files["data/nlu.yml"] += "- intent: thanks\n  examples: |\n    - thanks\n";
  LoadResult r = load(files);
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Domain& d = r.project.domain;
  ASSERT_EQ(d.intents.size(), 3u);
  EXPECT_EQ(d.intents[0].name, "greet");
  EXPECT_EQ(d.intents[2].name, "thanks");
  EXPECT_EQ(d.entities, std::vector<std::string>{"city"});
  EXPECT_EQ(d.actions, (std::vector<std::string>{"action_a", "action_b"}));
  EXPECT_EQ(d.responses.size(), 2u);
  EXPECT_EQ(d.responses.at("utter_greet")[0].text, "hi");  // the first declaration wins
  EXPECT_EQ(d.find_slot("city")->type, SlotType::kText);
  EXPECT_EQ(d.session_config.session_expiration_minutes, 15);
  EXPECT_EQ(d.locs.at("intent:thanks").to_string(), "domain/b_responses.yml:3");
  testing::expect_warning_at(r.diagnostics, "domain/sub/c_more.yaml", 5, {"utter_greet", "declared again",
                                                                          "domain/b_responses.yml:7"});
  testing::expect_warning_at(r.diagnostics, "domain/sub/c_more.yaml", 8, {"slot 'city'", "declared again"});
}

TEST(LoaderDomain, domain_yaml_extension_is_read) {
  auto files = testing::base_files();
  files["domain.yaml"] = files["domain.yml"];
  files.erase("domain.yml");
  LoadResult r = load(files);
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_EQ(r.project.domain.intents.size(), 2u);
  EXPECT_EQ(r.project.domain.locs.at("intent:greet").file, "domain.yaml");
}

}  // namespace
}  // namespace parley::project
