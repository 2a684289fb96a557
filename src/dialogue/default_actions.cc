// The default actions' handlers. Each takes the seed for its responses before it appends its
// action event, as the if-chain of the turn loop did.
#include "dialogue/default_actions.h"

#include <array>
#include <utility>

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

void default_fallback(TurnState& st, const Prediction& p) {
  const uint64_t seed = st.response_seed();
  action_event(st, p);
  if (!st.utter_response("utter_default", seed)) st.utter(BotMessage{kDefaultFallbackText, {}});
  st.add(Event::simple(EventType::kUserUtteranceReverted, 0));
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

constexpr std::array<std::pair<std::string_view, DefaultAction>, 6> kDefaultActions{{
    {"action_listen", listen},
    {"action_restart", restart},
    {"action_session_start", session_start},
    {"action_default_fallback", default_fallback},
    {"action_back", back},
    {"action_deactivate_loop", deactivate_loop},
}};

}  // namespace

DefaultAction find_default_action(std::string_view name) {
  for (const auto& [action, run] : kDefaultActions)
    if (action == name) return run;
  return nullptr;
}

}  // namespace parley::dialogue
