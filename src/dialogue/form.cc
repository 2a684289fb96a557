// Forms (Rasa's FormAction): activation, filling required slots from the slot mappings,
// validation by a `validate_<form>` custom action when the domain lists one, asking for the next
// slot, rejection of a message that fills nothing (so rules and stories handle the interruption)
// and deactivation when every required slot is filled.
#include <algorithm>

#include "dialogue/turn_state.h"

namespace parley::dialogue {

namespace {

bool required(const project::Form& form, std::string_view slot) {
  return std::find(form.required_slots.begin(), form.required_slots.end(), slot) != form.required_slots.end();
}

}  // namespace

bool run_form(TurnState& st, const project::Form& form, const Prediction& p) {
  const auto& domain = st.bot->domain();
  const Tracker& tracker = st.tracker;
  const bool activating = tracker.active_loop() != form.name;
  bool validate = false;

  if (activating) {
    // Values the triggering message carries, including from_trigger_intent mappings.
    auto candidates = extract_slots(domain, tracker, form.name);
    st.add(Event::action(form.name, 0, p.policy, p.confidence));
    st.add(Event::active_loop(form.name, 0));
    for (const auto& c : candidates)
      if ((required(form, c.slot) || c.trigger) && tracker.slot(c.slot) != c.value)
        st.add(Event::slot(c.slot, c.value, 0));
    for (const auto& s : form.required_slots)
      if (!tracker.slot(s).is_null()) validate = true;
  } else if (tracker.latest_action() == "action_listen") {
    // The loop's turn right after a user message: it must fill one of its slots.
    bool filled = false;
    for (const auto& c : st.extracted)
      if (required(form, c.slot)) filled = true;
    bool ignored = false;
    if (const Event* m = tracker.latest_message()) {
      auto intent = user_intent(*m);
      ignored = std::find(form.ignored_intents.begin(), form.ignored_intents.end(), intent) !=
                form.ignored_intents.end();
    }
    if ((!filled || ignored) && !tracker.requested_slot().empty()) {
      Event rej;
      rej.type = EventType::kActionExecutionRejected;
      rej.name = form.name;
      st.add(std::move(rej));
      st.exclude = form.name;
      return false;
    }
    st.add(Event::action(form.name, 0, p.policy, p.confidence));
    validate = filled;
  } else {
    // Resuming after an interruption: ask again.
    st.add(Event::action(form.name, 0, p.policy, p.confidence));
  }

  std::string validator = "validate_" + form.name;
  if (validate && domain.has_action(validator)) {
    request_call(st, TurnState::Pending::kFormValidate, validator);
    st.pending_form = form.name;
    return true;
  }
  return request_next_slot(st, form);
}

bool request_next_slot(TurnState& st, const project::Form& form) {
  const auto& domain = st.bot->domain();
  const Tracker& tracker = st.tracker;
  if (tracker.active_loop() != form.name) return false;  // a validation action deactivated it
  for (const auto& slot : form.required_slots) {
    if (!tracker.slot(slot).is_null()) continue;
    if (tracker.requested_slot() != slot) st.add(Event::slot("requested_slot", json::value(slot), 0));
    for (const std::string& ask : {"action_ask_" + form.name + "_" + slot, "action_ask_" + slot}) {
      if (domain.has_action(ask)) {
        request_call(st, TurnState::Pending::kFormAsk, ask);
        st.pending_form = form.name;
        return true;
      }
    }
    uint64_t seed = st.response_seed();
    if (!st.utter_response("utter_ask_" + form.name + "_" + slot, seed) &&
        !st.utter_response("utter_ask_" + slot, seed))
      st.add(Event::error("no_ask_response", "form '" + form.name + "' has no utter_ask_" + slot +
                                                  " response or action_ask_" + slot + " action", 0));
    return false;
  }
  st.add(Event::active_loop("", 0));
  if (!tracker.requested_slot().empty()) st.add(Event::slot("requested_slot", nullptr, 0));
  return false;
}

}  // namespace parley::dialogue
