// The Rasa 2.x -> 3.x domain rewrite, rule by rule as Rasa 3's `rasa data migrate` writes it, on
// small 2.x domains; and the migrated domain loads where the 2.x one did not.
#include "project/migrate.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "project/loader_test_util.h"
#include "project/yaml_util.h"

namespace parley::project {
namespace {

using testing::all;

// One domain.yml migrated; the test fails on any error.
DomainMigration migrate_one(const std::string& text) {
  DomainMigration m = migrate_domain({{"domain.yml", text}});
  EXPECT_TRUE(m.ok()) << all(m.diagnostics);
  return m;
}

YAML::Node migrated_root(const DomainMigration& m, size_t file = 0) {
  if (m.files.size() <= file) return YAML::Node();
  return YAML::Load(m.files[file].text);
}

bool has_change(const DomainMigration& m, const std::string& line) {
  return std::find(m.changes.begin(), m.changes.end(), line) != m.changes.end();
}

std::string changes_of(const DomainMigration& m) {
  std::string out;
  for (const auto& c : m.changes) out += c + "\n";
  return out;
}

const char* kMigrateFormDomain = R"(version: "2.0"
intents:
  - greet
  - goodbye
  - inform
  - affirm
  - chitchat
entities:
  - city
slots:
  city:
    type: text
  confirmed:
    type: bool
    influence_conversation: false
forms:
  trip_form:
    ignored_intents:
      - chitchat
    required_slots:
      city:
        - type: from_entity
          entity: city
        - type: from_text
      confirmed:
        - type: from_intent
          intent: affirm
          value: true
responses:
  utter_greet:
    - text: hi
  utter_goodbye:
    - text: bye
  utter_ask_city:
    - text: Where to?
  utter_ask_confirmed:
    - text: Sure?
)";

TEST(Migrate, form_mappings_move_onto_the_slots_with_rasas_conditions) {
  auto m = migrate_one(kMigrateFormDomain);
  auto root = migrated_root(m);
  auto city = root["slots"]["city"]["mappings"];
  ASSERT_TRUE(city.IsSequence()) << m.files[0].text;
  // From the form: from_entity with active_loop only, from_text with requested_slot too; then
  // auto_fill's from_entity (city is an entity, auto_fill not false), which has no condition.
  ASSERT_EQ(city.size(), 3u) << m.files[0].text;
  EXPECT_EQ(city[0]["type"].as<std::string>(), "from_entity");
  EXPECT_EQ(city[0]["entity"].as<std::string>(), "city");
  ASSERT_EQ(city[0]["conditions"].size(), 1u);
  EXPECT_EQ(city[0]["conditions"][0]["active_loop"].as<std::string>(), "trip_form");
  EXPECT_FALSE(city[0]["conditions"][0]["requested_slot"]);
  EXPECT_EQ(city[1]["type"].as<std::string>(), "from_text");
  EXPECT_EQ(city[1]["conditions"][0]["active_loop"].as<std::string>(), "trip_form");
  EXPECT_EQ(city[1]["conditions"][0]["requested_slot"].as<std::string>(), "city");
  EXPECT_EQ(city[2]["type"].as<std::string>(), "from_entity");
  EXPECT_FALSE(city[2]["conditions"]);

  auto confirmed = root["slots"]["confirmed"]["mappings"];
  ASSERT_EQ(confirmed.size(), 1u) << m.files[0].text;
  EXPECT_EQ(confirmed[0]["intent"].as<std::string>(), "affirm");
  EXPECT_EQ(confirmed[0]["conditions"][0]["requested_slot"].as<std::string>(), "confirmed");
  EXPECT_EQ(root["slots"]["confirmed"]["influence_conversation"].as<std::string>(), "false");

  auto form = root["forms"]["trip_form"];
  ASSERT_TRUE(form["required_slots"].IsSequence()) << m.files[0].text;
  EXPECT_EQ(form["required_slots"][0].as<std::string>(), "city");
  EXPECT_EQ(form["required_slots"][1].as<std::string>(), "confirmed");
  EXPECT_EQ(form["ignored_intents"][0].as<std::string>(), "chitchat");

  EXPECT_TRUE(has_change(m, "slot 'city': mapping from_entity (entity: city) from form 'trip_form' moved, with "
                            "condition active_loop: trip_form"))
      << changes_of(m);
  EXPECT_TRUE(has_change(m, "slot 'city': mapping from_text from form 'trip_form' moved, with condition "
                            "active_loop: trip_form, requested_slot: city"))
      << changes_of(m);
  EXPECT_TRUE(has_change(m, "form 'trip_form': required_slots is now the list of its slots' names (city, confirmed)"))
      << changes_of(m);
  EXPECT_TRUE(m.needed);
}

TEST(Migrate, the_migrated_domain_loads_where_the_2x_one_is_refused) {
  auto before = testing::load(testing::with({{"domain.yml", kMigrateFormDomain}}));
  auto refusal = testing::matching(before.diagnostics, Diagnostic::Severity::kError, "Rasa 2 form syntax");
  ASSERT_EQ(refusal.size(), 1u) << all(before.diagnostics);
  EXPECT_NE(refusal[0].message.find("run `parley migrate BOTDIR --out NEWDIR`"), std::string::npos)
      << refusal[0].message;

  auto m = migrate_one(kMigrateFormDomain);
  ASSERT_EQ(m.files.size(), 1u);
  auto after = testing::load(testing::with({{"domain.yml", m.files[0].text}}));
  EXPECT_TRUE(after.ok()) << all(after.diagnostics) << m.files[0].text;
  const Slot* city = after.project.domain.find_slot("city");
  ASSERT_NE(city, nullptr);
  ASSERT_EQ(city->mappings.size(), 3u);
  ASSERT_EQ(city->mappings[1].conditions.size(), 1u);
  EXPECT_EQ(city->mappings[1].conditions[0].active_loop, "trip_form");
  EXPECT_EQ(city->mappings[1].conditions[0].requested_slot, "city");
}

TEST(Migrate, a_mapping_the_slot_already_has_gets_the_forms_condition_added) {
  auto m = migrate_one(R"(version: "2.0"
slots:
  name:
    type: text
    mappings:
      - type: from_text
        conditions:
          - active_loop: other_form
forms:
  name_form:
    required_slots:
      name:
        - type: from_text
)");
  auto mappings = migrated_root(m)["slots"]["name"]["mappings"];
  ASSERT_EQ(mappings.size(), 1u) << m.files[0].text;
  auto conditions = mappings[0]["conditions"];
  ASSERT_EQ(conditions.size(), 2u) << m.files[0].text;
  EXPECT_EQ(conditions[0]["active_loop"].as<std::string>(), "other_form");
  EXPECT_EQ(conditions[1]["active_loop"].as<std::string>(), "name_form");
  EXPECT_EQ(conditions[1]["requested_slot"].as<std::string>(), "name");
  EXPECT_TRUE(has_change(m, "slot 'name': mapping from_text of form 'name_form' was already on the slot; condition "
                            "active_loop: name_form, requested_slot: name added to it"))
      << changes_of(m);
}

TEST(Migrate, from_trigger_intent_gets_no_requested_slot_condition) {
  auto m = migrate_one(R"(slots:
  wants_help:
    type: bool
forms:
  help_form:
    required_slots:
      wants_help:
        - type: from_trigger_intent
          intent: help
          value: true
)");
  auto c = migrated_root(m)["slots"]["wants_help"]["mappings"][0]["conditions"][0];
  EXPECT_EQ(c["active_loop"].as<std::string>(), "help_form") << m.files[0].text;
  EXPECT_FALSE(c["requested_slot"]) << m.files[0].text;
}

TEST(Migrate, the_oldest_2x_form_syntax_without_required_slots_is_read_too) {
  auto m = migrate_one(R"(slots:
  email:
    type: text
forms:
  contact_form:
    email:
      - type: from_text
)");
  auto root = migrated_root(m);
  EXPECT_EQ(root["forms"]["contact_form"]["required_slots"][0].as<std::string>(), "email") << m.files[0].text;
  EXPECT_EQ(root["slots"]["email"]["mappings"][0]["conditions"][0]["requested_slot"].as<std::string>(), "email");
}

TEST(Migrate, a_slot_named_as_an_entity_gets_from_entity_unless_auto_fill_was_false) {
  auto m = migrate_one(R"(version: "2.0"
entities:
  - city
  - country:
      roles: [from, to]
  - date
slots:
  city:
    type: text
  country:
    type: text
    auto_fill: true
  date:
    type: text
    auto_fill: false
  note:
    type: text
)");
  auto slots = migrated_root(m)["slots"];
  for (const char* name : {"city", "country"}) {
    auto mappings = slots[name]["mappings"];
    ASSERT_EQ(mappings.size(), 1u) << name << "\n" << m.files[0].text;
    EXPECT_EQ(mappings[0]["type"].as<std::string>(), "from_entity");
    EXPECT_EQ(mappings[0]["entity"].as<std::string>(), name);
    EXPECT_FALSE(slots[name]["auto_fill"]);
  }
  // auto_fill: false, and a slot no entity is named after: the custom mapping Rasa gives.
  for (const char* name : {"date", "note"}) {
    auto mappings = slots[name]["mappings"];
    ASSERT_EQ(mappings.size(), 1u) << name << "\n" << m.files[0].text;
    EXPECT_EQ(mappings[0]["type"].as<std::string>(), "custom");
    EXPECT_FALSE(slots[name]["auto_fill"]);
  }
  EXPECT_TRUE(has_change(m, "slot 'city': mapping from_entity (entity: city) added, as auto_fill filled the slot "
                            "from the entity of the same name"))
      << changes_of(m);
  EXPECT_TRUE(has_change(m, "slot 'date': auto_fill: false dropped (Rasa 3 fills a slot through its mappings only)"))
      << changes_of(m);
  EXPECT_TRUE(has_change(m, "slot 'note': mapping custom added, as the slot had no mappings: only your custom "
                            "actions set it; check that this is what you want"))
      << changes_of(m);
}

TEST(Migrate, unfeaturized_becomes_any_and_the_version_3_1) {
  auto m = migrate_one("version: '2.0'\nslots:\n  seen:\n    type: unfeaturized\n    initial_value: 'no'\n");
  auto root = migrated_root(m);
  EXPECT_EQ(root["slots"]["seen"]["type"].as<std::string>(), "any") << m.files[0].text;
  EXPECT_NE(m.files[0].text.find("version: \"3.1\""), std::string::npos) << m.files[0].text;
  EXPECT_TRUE(has_change(m, "slot 'seen': type unfeaturized is now any (Rasa 3's name for it)")) << changes_of(m);
  EXPECT_TRUE(has_change(m, "domain.yml: version 2.0 is now \"3.1\"")) << changes_of(m);
  // The quoted 'no' stays quoted: written plain, a YAML 1.1 reader would take it for false.
  EXPECT_NE(m.files[0].text.find("initial_value: \"no\""), std::string::npos) << m.files[0].text;
}

TEST(Migrate, the_rest_of_the_domain_is_written_back_as_read) {
  const std::string text = R"(version: "2.0"
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
intents:
  - greet:
      use_entities: []
  - "yes"
responses:
  utter_greet:
    - text: "Hi {name}: 100% ready"
      buttons:
        - title: "yes"
          payload: '/affirm{"ok": "true"}'
    - text: |
        Two lines
        of text
      custom: {blocks: [1, 2.5, null, "3"]}
actions:
  - action_hello
slots:
  name:
    type: text
    mappings:
      - type: custom
)";
  auto m = migrate_one(text);
  auto before = YAML::Load(text);
  auto after = migrated_root(m);
  for (const char* key : {"session_config", "intents", "responses", "actions", "slots"}) {
    auto a = yaml::to_json(before[key]), b = yaml::to_json(after[key]);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b) << key << "\n" << m.files[0].text;
  }
  // Sections in the file's order, and the version the only change.
  std::vector<std::string> keys;
  for (const auto& kv : after) keys.push_back(kv.first.as<std::string>());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "session_config", "intents", "responses", "actions", "slots"}));
  EXPECT_EQ(m.changes, std::vector<std::string>{"domain.yml: version 2.0 is now \"3.1\""});
  EXPECT_TRUE(m.needed);  // a 2.0 domain, whatever else it has
}

TEST(Migrate, a_3x_domain_needs_no_migration) {
  auto m = migrate_one(R"(version: "3.0"
entities: [city]
slots:
  city:
    type: text
    mappings:
      - type: from_entity
        entity: city
forms:
  trip_form:
    required_slots:
      - city
)");
  EXPECT_FALSE(m.needed) << changes_of(m);
  EXPECT_EQ(m.changes, std::vector<std::string>{"domain.yml: version 3.0 is now \"3.1\""});
}

TEST(Migrate, a_domain_folder_is_migrated_as_one_domain) {
  auto m = migrate_domain({
      {"domain/slots.yml", "version: \"2.0\"\nentities: [city]\nslots:\n  city:\n    type: text\n"},
      {"domain/forms.yml", "version: \"2.0\"\nforms:\n  trip_form:\n    required_slots:\n      city:\n"
                           "        - type: from_text\n"},
  });
  ASSERT_TRUE(m.ok()) << all(m.diagnostics);
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0].name, "domain/slots.yml");
  auto city = migrated_root(m, 0)["slots"]["city"]["mappings"];
  ASSERT_EQ(city.size(), 2u) << m.files[0].text;
  EXPECT_EQ(city[0]["conditions"][0]["active_loop"].as<std::string>(), "trip_form");
  EXPECT_EQ(migrated_root(m, 1)["forms"]["trip_form"]["required_slots"][0].as<std::string>(), "city")
      << m.files[1].text;
}

TEST(Migrate, a_form_slot_that_no_slots_section_declares_is_an_error_with_its_line) {
  auto m = migrate_domain({{"domain.yml", "forms:\n  f:\n    required_slots:\n      ghost:\n        - type: from_text\n"}});
  EXPECT_FALSE(m.ok());
  EXPECT_TRUE(m.files.empty());
  testing::expect_error_at(m.diagnostics, "domain.yml", 4, {"slot 'ghost'", "declare it"});
}

TEST(Migrate, the_loaders_rasa_2_slot_messages_point_to_parley_migrate) {
  auto r = testing::load(testing::with(
      {{"domain.yml", "version: \"2.0\"\nintents: [greet, goodbye]\nslots:\n  a:\n    type: text\n    auto_fill: false\n"
                      "  b:\n    type: unfeaturized\nresponses:\n  utter_greet:\n  - text: hi\n  utter_goodbye:\n"
                      "  - text: bye\n"}}));
  testing::expect_warning_at(r.diagnostics, "domain.yml", 6, {"Rasa 2 syntax", "run `parley migrate BOTDIR --out NEWDIR`"});
  testing::expect_error_at(r.diagnostics, "domain.yml", 8, {"unfeaturized", "run `parley migrate BOTDIR --out NEWDIR`"});
}

}  // namespace
}  // namespace parley::project
