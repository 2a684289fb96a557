// The default actions' handlers. Each takes the seed for its responses before it appends its
// action event, as the if-chain of the turn loop did.
#include "dialogue/default_actions.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "dialogue/turn_state.h"

namespace parley::dialogue {

namespace {

constexpr const char* kDefaultFallbackText = "Sorry, I didn't get that. Can you rephrase?";

void action_event(TurnState& st, const Prediction& p) {
  st.add(Event::action(p.action, 0, p.policy, p.confidence));
}

void listen(TurnState& st, const Prediction& p) {
  action_event(st, p);
  st.done = true;
}

void restart(TurnState& st, const Prediction& p) {
  const uint64_t seed = st.response_seed();
  action_event(st, p);
  st.utter_response("utter_restart", seed);
  st.add(Event::simple(EventType::kRestarted, 0));
  st.done = true;
}

void session_start(TurnState& st, const Prediction& p) {
  action_event(st, p);
  st.add(Event::simple(EventType::kSessionStarted, 0));
  st.add(Event::action("action_listen", 0, "default"));
  st.done = true;
}

// What action_default_fallback does after its action event: utter_default, revert the message.
void utter_default_and_revert(TurnState& st, uint64_t seed) {
  if (!st.utter_response("utter_default", seed)) st.utter(BotMessage{kDefaultFallbackText, {}});
  st.add(Event::simple(EventType::kUserUtteranceReverted, 0));
}

void default_fallback(TurnState& st, const Prediction& p) {
  const uint64_t seed = st.response_seed();
  action_event(st, p);
  utter_default_and_revert(st, seed);
  st.done = true;
}

void back(TurnState& st, const Prediction& p) {
  const uint64_t seed = st.response_seed();
  action_event(st, p);
  st.utter_response("utter_back", seed);
  st.add(Event::simple(EventType::kUserUtteranceReverted, 0));
  st.add(Event::simple(EventType::kUserUtteranceReverted, 0));
  st.done = true;
}

// Does not end the turn: the policies choose what follows the loop's end.
void deactivate_loop(TurnState& st, const Prediction& p) {
  action_event(st, p);
  st.add(Event::active_loop("", 0));
  if (!st.tracker.requested_slot().empty()) st.add(Event::slot("requested_slot", nullptr, 0));
}

// ---- Rasa's TwoStageFallbackAction: a loop, started by a rule on nlu_fallback --------------------

constexpr std::string_view kTwoStage = "action_two_stage_fallback";
constexpr std::string_view kFallbackIntent = "nlu_fallback";
constexpr std::string_view kOutOfScope = "out_of_scope";

// The intents of the last `n` user messages of the session, latest first.
std::vector<std::string> last_intents(const Tracker& t, size_t n) {
  std::vector<std::string> out;
  const auto& events = t.events();
  for (auto it = events.rbegin(); it != events.rend() && out.size() < n; ++it)
    if (it->type == EventType::kUser) out.emplace_back(user_intent(*it));
  return out;
}

// Rasa's action_default_ask_affirmation: "Did you mean 'X'?" with Yes (/X) and No
// (/out_of_scope); X is the best intent other than nlu_fallback.
void ask_affirmation(TurnState& st) {
  const Event* msg = st.tracker.latest_message();
  std::string intent(msg ? user_intent(*msg) : std::string_view());
  if (intent == kFallbackIntent && msg && msg->value.is_object())
    if (auto r = json_get(msg->value.as_object(), "intent_ranking"); r && r->is_array() && r->as_array().size() > 1)
      if (const auto& second = r->as_array()[1]; second.is_object())
        if (auto name = json_str(second.as_object(), "name")) intent = std::string(*name);
  BotMessage m{"Did you mean '" + intent + "'?", {}};
  m.data["buttons"] = json::array{json::object{{"title", "Yes"}, {"payload", "/" + intent}},
                                  json::object{{"title", "No"}, {"payload", "/" + std::string(kOutOfScope)}}};
  st.utter(m);
}

void two_stage_fallback(TurnState& st, const Prediction& p) {
  const uint64_t seed = st.response_seed();
  action_event(st, p);
  const bool activated = st.tracker.active_loop() != kTwoStage;
  if (activated) st.add(Event::active_loop(std::string(kTwoStage), 0));
  const std::vector<std::string> last = last_intents(st.tracker, 3);
  const std::string latest = last.empty() ? std::string() : last[0];
  const bool two_fallbacks = last.size() >= 2 && last[0] == kFallbackIntent && last[1] == kFallbackIntent;
  const bool second_denial = last.size() >= 3 && last[0] == kOutOfScope && last[1] == kFallbackIntent &&
                             last[2] == kOutOfScope;
  const bool clarified = latest != kFallbackIntent && latest != kOutOfScope;
  if (!clarified && !two_fallbacks && !second_denial) {
    // Asks to affirm the guessed intent first, to rephrase after a "no". A project that lists
    // action_default_ask_affirmation / _rephrase under actions: has its action server ask, as Rasa
    // does (its answer is applied inside this action, as a form's ask action's is).
    const bool affirm = activated || latest == kFallbackIntent;
    const std::string custom = affirm ? "action_default_ask_affirmation" : "action_default_ask_rephrase";
    if (st.bot->domain().has_action(custom)) {
      request_call(st, TurnState::Pending::kFormAsk, custom);
    } else if (affirm) {
      ask_affirmation(st);
    } else if (!st.utter_response("utter_ask_rephrase", seed)) {
      st.utter(BotMessage{"I'm sorry, I didn't quite understand that. Could you rephrase?", {}});
    }
    return;  // the loop listens next
  }
  if (!clarified) {
    // Gave up: as action_default_fallback. The loop ends after the revert, which would undo it.
    utter_default_and_revert(st, seed);
    st.add(Event::active_loop("", 0));
    st.done = true;
    return;
  }
  // The user clarified (a "yes" button or a rephrasing): that message replaces the fallback
  // exchange's last one, with full confidence, and the policies go on from it.
  Event clarification = *st.tracker.latest_message();
  if (clarification.value.is_object())
    if (auto* intent = clarification.value.as_object().if_contains("intent"); intent && intent->is_object())
      intent->as_object()["confidence"] = 1.0;
  st.add(Event::simple(EventType::kUserUtteranceReverted, 0));
  st.add(Event::active_loop("", 0));
  if (st.tracker.latest_action() != "action_listen") st.add(Event::action("action_listen", 0, "default"));
  st.add(std::move(clarification));
}

constexpr std::array<std::pair<std::string_view, DefaultAction>, 7> kDefaultActions{{
    {"action_listen", listen},
    {"action_restart", restart},
    {"action_session_start", session_start},
    {"action_default_fallback", default_fallback},
    {"action_back", back},
    {"action_deactivate_loop", deactivate_loop},
    {kTwoStage, two_stage_fallback},
}};

}  // namespace

DefaultAction find_default_action(std::string_view name) {
  for (const auto& [action, run] : kDefaultActions)
    if (action == name) return run;
  return nullptr;
}

}  // namespace parley::dialogue
