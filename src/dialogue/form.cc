// Forms (Rasa's FormAction): activation, filling required slots from the slot mappings,
// validation by a `validate_<form>` custom action when the domain lists one, asking for the next
// slot, rejection of a message that fills nothing (so rules and stories handle the interruption)
// and deactivation when every required slot is filled.
#include <algorithm>

#include "dialogue/turn.h"
#include "dialogue/turn_internal.h"

namespace parley::dialogue {

namespace {

bool required(const bot::Form& form, std::string_view slot) {
  return std::find(form.required_slots.begin(), form.required_slots.end(), slot) != form.required_slots.end();
}

}  // namespace

bool TurnRunner::run_form(const bot::Form& form, const Prediction& p) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  const auto& domain = bot_->domain();
  auto& im = *impl_;
  const bool activating = tracker_.active_loop() != form.name;
  bool validate = false;

  if (activating) {
    // Values the triggering message carries, including from_trigger_intent mappings.
    auto candidates = extract_slots(domain, tracker_, form.name);
    ctx.add(Event::action(form.name, 0, p.policy, p.confidence));
    ctx.add(Event::active_loop(form.name, 0));
    for (const auto& c : candidates)
      if ((required(form, c.slot) || c.trigger) && tracker_.slot(c.slot) != c.value)
        ctx.add(Event::slot(c.slot, c.value, 0));
    for (const auto& s : form.required_slots)
      if (!tracker_.slot(s).is_null()) validate = true;
  } else if (tracker_.latest_action() == "action_listen") {
    // The loop's turn right after a user message: it must fill one of its slots.
    bool filled = false;
    for (const auto& c : im.extracted)
      if (required(form, c.slot)) filled = true;
    bool ignored = false;
    if (const Event* m = tracker_.latest_message()) {
      auto intent = user_intent(*m);
      ignored = std::find(form.ignored_intents.begin(), form.ignored_intents.end(), intent) !=
                form.ignored_intents.end();
    }
    if ((!filled || ignored) && !tracker_.requested_slot().empty()) {
      Event rej;
      rej.type = EventType::kActionExecutionRejected;
      rej.name = form.name;
      ctx.add(std::move(rej));
      im.exclude = form.name;
      return false;
    }
    ctx.add(Event::action(form.name, 0, p.policy, p.confidence));
    validate = filled;
  } else {
    // Resuming after an interruption: ask again.
    ctx.add(Event::action(form.name, 0, p.policy, p.confidence));
  }

  std::string validator = "validate_" + form.name;
  if (validate && domain.has_action(validator)) {
    im.pending = Impl::Pending::kFormValidate;
    im.pending_form = form.name;
    pending_ = make_request(validator);
    return true;
  }
  return request_next_slot(form);
}

// Asks for the first required slot that is still empty, or deactivates the form.
// Returns true when asking needs a custom action (action_ask_*).
bool TurnRunner::request_next_slot(const bot::Form& form) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  const auto& domain = bot_->domain();
  auto& im = *impl_;
  if (tracker_.active_loop() != form.name) return false;  // a validation action deactivated it
  for (const auto& slot : form.required_slots) {
    if (!tracker_.slot(slot).is_null()) continue;
    if (tracker_.requested_slot() != slot) ctx.add(Event::slot("requested_slot", json::value(slot), 0));
    for (const std::string& ask : {"action_ask_" + form.name + "_" + slot, "action_ask_" + slot}) {
      if (domain.has_action(ask)) {
        im.pending = Impl::Pending::kFormAsk;
        im.pending_form = form.name;
        pending_ = make_request(ask);
        return true;
      }
    }
    uint64_t seed = im.seed + new_events_.size();
    if (!ctx.utter_response("utter_ask_" + form.name + "_" + slot, seed) &&
        !ctx.utter_response("utter_ask_" + slot, seed))
      ctx.add(Event::error("no_ask_response", "form '" + form.name + "' has no utter_ask_" + slot +
                                                  " response or action_ask_" + slot + " action", 0));
    return false;
  }
  ctx.add(Event::active_loop("", 0));
  if (!tracker_.requested_slot().empty()) ctx.add(Event::slot("requested_slot", nullptr, 0));
  return false;
}

}  // namespace parley::dialogue
