// Dialogue behaviour on small projects: slot mappings, rules over stories, forms with
// interruptions, fallback, templates and conditional responses, custom actions.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "bot/bot.h"
#include "dialogue/policy.h"
#include "dialogue/responses.h"
#include "dialogue/turn.h"
#include "dialogue/convo.h"
#include "support/temp_project.h"

namespace parley::dialogue {
namespace {

using testing::TempProject;
using testing::build;
using testing::Convo;

const char* kDomain = R"(
version: "3.1"
intents: [greet, inform, affirm, deny, order, chitchat, goodbye, mood_great, bot_challenge]
entities: [size, city, number]
slots:
  size:
    type: categorical
    values: [small, large]
    mappings:
    - type: from_entity
      entity: size
  city:
    type: text
    influence_conversation: false
    mappings:
    - type: from_entity
      entity: city
      not_intent: chitchat
  note:
    type: text
    influence_conversation: false
    mappings:
    - type: from_text
      intent: inform
      conditions:
      - active_loop: order_form
        requested_slot: note
  agreed:
    type: bool
    mappings:
    - type: from_intent
      intent: affirm
      value: true
    - type: from_intent
      intent: deny
      value: false
  channel_used:
    type: text
    influence_conversation: false
    mappings:
    - type: from_trigger_intent
      intent: order
      value: web
forms:
  order_form:
    required_slots: [size, note]
responses:
  utter_greet:
  - text: "Hello again, big spender!"
    condition:
    - type: slot
      name: size
      value: large
  - text: "Hello!"
  utter_ask_size:
  - text: "Which size?"
  utter_ask_order_form_note:
  - text: "Any note for the {size} order?"
  utter_done:
  - text: "Done: {size}, {note}, via {channel_used}. {unknown} stays."
  utter_chitchat:
  - text: "Nice weather."
  utter_happy:
  - text: "Great!"
  utter_story:
  - text: "story says"
  utter_rule:
  - text: "rule says"
  utter_default:
  - text: "Come again?"
actions:
- action_lookup
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
)";

const char* kRules = R"(
version: "3.1"
rules:
- rule: start the form
  steps:
  - intent: order
  - action: order_form
  - active_loop: order_form
- rule: finish the form
  condition:
  - active_loop: order_form
  steps:
  - action: order_form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_done
- rule: chitchat inside the form
  condition:
  - active_loop: order_form
  steps:
  - intent: chitchat
  - action: utter_chitchat
  - action: order_form
  - active_loop: order_form
- rule: goodbye beats the story
  steps:
  - intent: goodbye
  - action: utter_rule
- rule: affirm
  steps:
  - intent: affirm
  - action: utter_happy
- rule: deny
  steps:
  - intent: deny
  - action: utter_happy
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: lookup
  steps:
  - intent: inform
  - action: action_lookup
)";

const char* kStories = R"(
version: "3.1"
stories:
- story: greet then goodbye
  steps:
  - intent: greet
  - action: utter_greet
  - intent: goodbye
  - action: utter_story
- story: greet then great
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
)";

std::shared_ptr<const bot::Bot> test_bot() {
  return build({{"domain.yml", kDomain}, {"data/rules.yml", kRules}, {"data/stories.yml", kStories}});
}

using Lines = std::vector<std::string>;

TEST(Dialogue, rules_take_precedence_over_memorised_stories) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(c.say("/greet"), Lines{"Hello!"});
  // The story says utter_story after goodbye; the rule says utter_rule: the rule wins.
  EXPECT_EQ(c.say("/goodbye"), Lines{"rule says"});
}

TEST(Dialogue, memoization_follows_the_story) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  c.say("/greet");
  std::vector<std::string> actions;
  EXPECT_EQ(c.say("/mood_great", &actions), Lines{"Great!"});
  EXPECT_EQ(actions.front(), "utter_happy/memoization");
}

TEST(Dialogue, core_fallback_when_no_policy_predicts_and_the_message_is_reverted) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  // No rule or story has bot_challenge, so the learned policy cannot guess either. (mood_great
  // first, which no story starts with, is now answered by the learned policy, as Rasa's TEDPolicy
  // would: utter_happy is what follows mood_great in the stories.)
  EXPECT_EQ(c.say("/bot_challenge"), Lines{"Come again?"});
  EXPECT_EQ(c.tracker.latest_message(), nullptr);  // reverted
  // The conversation continues as if the message had not been sent.
  EXPECT_EQ(c.say("/greet"), Lines{"Hello!"});
  EXPECT_EQ(c.say("/mood_great"), Lines{"Great!"});
}

TEST(Dialogue, form_asks_fills_and_completes_with_templated_response) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(c.say("/order"), Lines{"Which size?"});
  EXPECT_EQ(c.tracker.active_loop(), "order_form");
  EXPECT_EQ(c.tracker.slot("channel_used"), json::value("web"));  // from_trigger_intent
  EXPECT_EQ(c.say("/inform{\"size\": \"large\"}"), Lines{"Any note for the large order?"});
  EXPECT_EQ(c.tracker.requested_slot(), "note");
  EXPECT_EQ(c.say("/inform"), Lines{"Done: large, /inform, via web. {unknown} stays."});
  EXPECT_EQ(c.tracker.active_loop(), "");
  EXPECT_TRUE(c.tracker.slot("requested_slot").is_null());
}

TEST(Dialogue, form_prefilled_from_the_triggering_message) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(c.say("/order{\"size\": \"small\"}"), Lines{"Any note for the small order?"});
}

TEST(Dialogue, form_interruption_is_handled_by_a_rule_then_the_form_resumes) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  c.say("/order");
  std::vector<std::string> actions;
  EXPECT_EQ(c.say("/chitchat", &actions), (Lines{"Nice weather.", "Which size?"}));
  EXPECT_EQ(actions, (std::vector<std::string>{"order_form/loop", "utter_chitchat/rule", "order_form/rule",
                                               "action_listen/loop"}));
  EXPECT_EQ(c.tracker.active_loop(), "order_form");
  EXPECT_EQ(c.say("/inform{\"size\": \"small\"}"), Lines{"Any note for the small order?"});
}

TEST(Dialogue, unhandled_interruption_falls_back_and_keeps_the_form) {
  // Rules and stories only: the learned policy would answer mood_great with the stories' utter_happy.
  Convo c(build({{"domain.yml", kDomain},
                 {"data/rules.yml", kRules},
                 {"data/stories.yml", kStories},
                 {"config.yml", "policies:\n- name: RulePolicy\n- name: MemoizationPolicy\n"}}));
  ASSERT_TRUE(c.bot);
  c.say("/order");
  EXPECT_EQ(c.say("/mood_great"), Lines{"Come again?"});
  EXPECT_EQ(c.tracker.active_loop(), "order_form");
  EXPECT_EQ(c.say("/inform{\"size\": \"small\"}"), Lines{"Any note for the small order?"});
}

TEST(Dialogue, slot_mappings_from_entity_intent_text_with_conditions_and_not_intent) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  c.say("/affirm");
  EXPECT_EQ(c.tracker.slot("agreed"), json::value(true));  // from_intent
  c.say("/deny");
  EXPECT_EQ(c.tracker.slot("agreed"), json::value(false));
  c.say("/chitchat{\"city\": \"Paris\"}");
  EXPECT_TRUE(c.tracker.slot("city").is_null());  // not_intent: chitchat
  c.say("/greet{\"city\": \"Paris\"}");
  EXPECT_EQ(c.tracker.slot("city"), json::value("Paris"));  // from_entity
  // from_text only while the form asks for the note.
  c.say("/inform{\"size\": \"small\"}");
  EXPECT_TRUE(c.tracker.slot("note").is_null());
  EXPECT_TRUE(c.tracker.slot("channel_used").is_null());  // from_trigger_intent only on activation
}

// Issue 12, item 4: in Rasa 3, use_entities shapes featurisation only; slot mappings read every
// entity of the latest message.
TEST(Dialogue, use_entities_does_not_stop_a_slot_mapping_from_reading_the_entity) {
  std::string domain = kDomain;
  const std::string intents = "intents: [greet, inform, affirm, deny, order, chitchat, goodbye, mood_great, bot_challenge]";
  ASSERT_NE(domain.find(intents), std::string::npos);
  domain.replace(domain.find(intents), intents.size(),
                 "intents:\n- greet:\n    use_entities: []\n- goodbye:\n    ignore_entities: [city]\n"
                 "- affirm\n- deny\n- order\n- chitchat\n- inform\n- mood_great\n- bot_challenge");
  auto b = build({{"domain.yml", domain}, {"data/rules.yml", kRules}});
  ASSERT_TRUE(b);
  Convo c(b);
  c.say("/greet{\"city\": \"Paris\"}");
  EXPECT_EQ(c.tracker.slot("city"), json::value("Paris"));
  c.say("/goodbye{\"city\": \"Rome\"}");
  EXPECT_EQ(c.tracker.slot("city"), json::value("Rome"));
}

// AugmentedMemoizationPolicy forgets the oldest turns when the whole history matches no story: a
// second mood_great is answered as the story's first one.
TEST(Dialogue, augmented_memoization_forgets_old_turns_until_a_story_matches) {
  auto bot_with = [](const std::string& memo) {
    return build({{"domain.yml", kDomain},
                  {"data/rules.yml", kRules},
                  {"data/stories.yml", "stories:\n- story: great then a challenge\n  steps:\n  - intent: mood_great\n"
                                       "  - action: utter_happy\n  - intent: bot_challenge\n  - action: utter_story\n"},
                  {"config.yml", "policies:\n- name: RulePolicy\n- name: " + memo + "\n  max_history: 3\n"}});
  };
  for (const std::string memo : {"MemoizationPolicy", "AugmentedMemoizationPolicy"}) {
    auto b = bot_with(memo);
    ASSERT_TRUE(b);
    Convo c(b);
    EXPECT_EQ(c.say("/mood_great"), Lines{"Great!"});
    std::vector<std::string> actions;
    Lines again = c.say("/mood_great", &actions);
    if (memo == "MemoizationPolicy") {
      EXPECT_EQ(again, Lines{"Come again?"}) << memo;  // no story has mood_great twice
    } else {
      EXPECT_EQ(again, Lines{"Great!"}) << memo;
      ASSERT_FALSE(actions.empty());
      EXPECT_EQ(actions.front(), "utter_happy/augmented_memoization");
    }
  }
}

TEST(Dialogue, conditional_response_variation_is_chosen_by_slot) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(c.say("/greet"), Lines{"Hello!"});
  Convo d(c.bot);
  EXPECT_EQ(d.say("/greet{\"size\": \"large\"}"), Lines{"Hello again, big spender!"});
}

TEST(Dialogue, restart_message_clears_the_conversation) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  c.say("/order{\"size\": \"small\"}");
  c.say("/restart");
  EXPECT_EQ(c.tracker.active_loop(), "");
  EXPECT_TRUE(c.tracker.slot("size").is_null());
  EXPECT_FALSE(c.tracker.session_started());
  EXPECT_EQ(c.say("/greet"), Lines{"Hello!"});
}

TEST(Dialogue, session_expires_after_idle_time_and_carries_slots_over) {
  Convo c(test_bot());
  ASSERT_TRUE(c.bot);
  TurnInput in;
  in.text = "/greet{\"size\": \"large\"}";
  in.timestamp = 1000;
  TurnRunner(c.bot, c.tracker, in).run_blocking(nullptr);
  in.text = "/greet";
  in.timestamp = 1000 + 61 * 60;
  TurnRunner t2(c.bot, c.tracker, in);
  t2.run_blocking(nullptr);
  int sessions = 0;
  for (const auto& e : t2.new_events()) sessions += e.type == EventType::kSessionStarted;
  EXPECT_EQ(sessions, 1);
  EXPECT_EQ(c.tracker.slot("size"), json::value("large"));
}

class FakeActions : public ActionClient {
 public:
  std::function<Result<json::value>(const ActionRequest&)> answer;
  std::vector<std::string> calls;
  // `answer` gives a body or a Status; the Status's code says how the call ended, as the HTTP
  // client's would (kInvalidArgument: HTTP 400, kTimeout: no answer in time).
  ActionReply call(const ActionRequest& r) override {
    calls.push_back(r.action);
    Result<json::value> a = answer(r);
    if (a.ok()) return ActionReply::ok(std::move(a).value());
    if (a.status().code() == Code::kInvalidArgument) return ActionReply::rejected(a.status());
    if (a.status().code() == Code::kTimeout) return ActionReply::timed_out(a.status());
    return ActionReply::failed(a.status());
  }
};

std::shared_ptr<const bot::Bot> bot_with_actions(const std::string& extra_actions = "") {
  std::string domain = kDomain;
  const std::string actions = "actions:\n- action_lookup\n";
  domain.insert(domain.find(actions) + actions.size(), extra_actions);
  TempProject p({{"domain.yml", domain}, {"data/rules.yml", kRules}, {"endpoints.yml",
                 "action_endpoint:\n  url: http://127.0.0.1:9/webhook\n"}});
  auto built = bot::build_bot(p.dir(), "test");
  for (const auto& d : built.diagnostics)
    if (d.severity == project::Diagnostic::Severity::kError) ADD_FAILURE() << d.to_string();
  return built.bot;
}

TEST(Dialogue, an_utter_name_listed_under_actions_is_uttered_not_called) {
  auto b = bot_with_actions("- utter_greet\n");  // as many projects list their responses
  ASSERT_TRUE(b);
  Convo c(b);
  FakeActions fake;
  fake.answer = [](const ActionRequest&) -> Result<json::value> { return json::parse(R"({"events":[]})"); };
  c.client = &fake;
  EXPECT_EQ(c.say("/greet"), (Lines{"Hello!"}));
  EXPECT_TRUE(fake.calls.empty());
}

TEST(Dialogue, custom_action_events_and_responses_are_applied) {
  auto b = bot_with_actions();
  ASSERT_TRUE(b);
  Convo c(b);
  FakeActions fake;
  fake.answer = [](const ActionRequest& r) -> Result<json::value> {
    EXPECT_EQ(r.payload.at("next_action"), json::value("action_lookup"));
    EXPECT_EQ(r.payload.at("sender_id"), json::value("c1"));
    EXPECT_TRUE(r.payload.at("tracker").as_object().contains("events"));
    EXPECT_TRUE(r.payload.at("domain").as_object().contains("slots"));
    return json::parse(R"({"events":[{"event":"slot","name":"city","value":"Rome"}],
                           "responses":[{"text":"Looked it up."},{"response":"utter_ask_order_form_note","size":"XL"}]})");
  };
  c.client = &fake;
  EXPECT_EQ(c.say("/inform"), (Lines{"Looked it up.", "Any note for the XL order?"}));
  EXPECT_EQ(c.tracker.slot("city"), json::value("Rome"));
  EXPECT_EQ(fake.calls, std::vector<std::string>{"action_lookup"});
}

TEST(Dialogue, failing_action_server_records_an_error_and_falls_back) {
  auto b = bot_with_actions();
  ASSERT_TRUE(b);
  Convo c(b);
  FakeActions fake;
  fake.answer = [](const ActionRequest&) -> Result<json::value> { return Status::timeout("no answer in 5000 ms"); };
  c.client = &fake;
  TurnInput in;
  in.text = "/inform";
  TurnRunner turn(b, c.tracker, in);
  turn.run_blocking(&fake);
  ASSERT_EQ(turn.messages().size(), 1u);
  EXPECT_EQ(turn.messages()[0].text, "Come again?");
  bool error = false, call = false;
  for (const auto& e : turn.new_events()) {
    if (e.type == EventType::kError && e.name == "action_timeout") error = true;
    if (e.type == EventType::kActionCall) {
      call = true;
      EXPECT_EQ(e.name, "action_lookup");
      EXPECT_EQ(e.text, "timeout");
    }
  }
  EXPECT_TRUE(error);
  EXPECT_TRUE(call) << "the call is recorded with its outcome";
}

TEST(Dialogue, each_custom_action_call_is_an_event_with_outcome_and_duration_not_shown_to_action_servers) {
  auto b = bot_with_actions();
  ASSERT_TRUE(b);
  Convo c(b);
  FakeActions fake;
  int calls = 0;
  fake.answer = [&](const ActionRequest& r) -> Result<json::value> {
    for (const auto& e : r.payload.at("tracker").at("events").as_array())
      EXPECT_NE(e.at("event"), json::value("parley_action_call")) << "Parley's own record leaked to the action server";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++calls;
    return json::parse(R"({"events":[],"responses":[{"text":"Looked it up."}]})");
  };
  c.client = &fake;
  c.say("/inform");
  c.say("/inform");
  ASSERT_EQ(calls, 2);
  size_t recorded = 0;
  for (const auto& e : c.tracker.events()) {
    if (e.type != EventType::kActionCall) continue;
    ++recorded;
    EXPECT_EQ(e.name, "action_lookup");
    EXPECT_EQ(e.text, "ok");
    EXPECT_GE(e.value.to_number<double>(), 5.0);
    // Stored and read back as the same event.
    auto back = event_from_json(to_json(e));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->type, EventType::kActionCall);
    EXPECT_EQ(back->text, "ok");
    std::string text;
    append_event_json(text, e);
    EXPECT_EQ(json::parse(text), json::value(to_json(e)));
  }
  EXPECT_EQ(recorded, 2u);
}

TEST(Dialogue, form_validation_action_can_refuse_a_value) {
  auto b = bot_with_actions("- validate_order_form\n");
  ASSERT_TRUE(b);
  Convo c(b);
  FakeActions fake;
  fake.answer = [](const ActionRequest& r) -> Result<json::value> {
    const auto& slots = r.payload.at("tracker").at("slots").as_object();
    if (slots.at("size") == json::value("large"))
      return json::parse(R"({"events":[{"event":"slot","name":"size","value":null}],
                             "responses":[{"text":"We are out of large."}]})");
    return json::parse(R"({"events":[],"responses":[]})");
  };
  c.client = &fake;
  c.say("/order");
  EXPECT_EQ(c.say("/inform{\"size\": \"large\"}"), (Lines{"We are out of large.", "Which size?"}));
  EXPECT_EQ(c.say("/inform{\"size\": \"small\"}"), Lines{"Any note for the small order?"});
  EXPECT_EQ(fake.calls.size(), 2u);
}

TEST(Dialogue, contradicting_rules_are_reported_with_both_rules) {
  TempProject p({{"domain.yml", kDomain},
                 {"data/rules.yml", R"(
version: "3.1"
rules:
- rule: one
  steps:
  - intent: greet
  - action: utter_greet
- rule: two
  steps:
  - intent: greet
  - action: utter_happy
)"}});
  auto built = bot::build_bot(p.dir(), "test");
  EXPECT_FALSE(built.bot);
  bool found = false;
  for (const auto& d : built.diagnostics)
    if (d.message.find("contradicting rules") != std::string::npos &&
        d.message.find("'one'") != std::string::npos && d.message.find("'two'") != std::string::npos &&
        d.loc.file.find("rules.yml") != std::string::npos && d.loc.line > 0)
      found = true;
  EXPECT_TRUE(found);
}

TEST(Dialogue, a_yaml_syntax_error_yields_no_bot_and_names_the_line) {
  std::string domain = kDomain;
  domain += "- stray_item_after_a_mapping\n";
  TempProject p({{"domain.yml", domain}, {"data/rules.yml", kRules}});
  auto built = bot::build_bot(p.dir(), "test");
  EXPECT_FALSE(built.bot);
  bool found = false;
  for (const auto& d : built.diagnostics)
    if (d.severity == project::Diagnostic::Severity::kError && d.message.find("YAML syntax error") != std::string::npos &&
        d.loc.file.find("domain.yml") != std::string::npos && d.loc.line > 0)
      found = true;
  EXPECT_TRUE(found);
}

TEST(Dialogue, fill_template_leaves_unknown_names_and_escapes_braces) {
  SlotMap slots{{"name", json::value("Alice")}, {"n", json::value(nullptr)}};
  EXPECT_EQ(fill_template("Hi {name}, {n}, {x}, {{lit}}", slots, nullptr), "Hi Alice, None, {x}, {lit}");
  json::object extra{{"name", "Bob"}};
  EXPECT_EQ(fill_template("Hi {name}", slots, &extra), "Hi Bob");
}

}  // namespace
}  // namespace parley::dialogue
