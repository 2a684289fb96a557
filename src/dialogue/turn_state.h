// The state of one turn, in one place: what it runs on, what it has produced so far and where its
// predict-execute loop stands. Internal to the turn loop (turn.cc, form.cc, default_actions.cc);
// TurnRunner owns one and is the interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialogue/action_client.h"
#include "dialogue/agent.h"
#include "dialogue/message.h"
#include "dialogue/prediction.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/states.h"
#include "dialogue/tracker.h"
#include "dialogue/turn.h"

namespace parley::dialogue {

struct TurnState {
  // What waits for the action server's answer.
  enum class Pending { kNone, kCustom, kFormValidate, kFormAsk };

  TurnState(std::shared_ptr<const Agent> agent, Tracker& conversation, TurnInput message)
      : bot(std::move(agent)), tracker(conversation), input(std::move(message)) {}

  // What the turn runs on.
  std::shared_ptr<const Agent> bot;
  Tracker& tracker;
  const TurnInput input;

  // What it has produced, in order.
  std::vector<Event> events;  // appended to the tracker by this turn
  std::vector<BotMessage> messages;
  std::vector<Prediction> predictions;

  // Where the loop stands.
  bool started = false;  // the session check, NLU and slot extraction have run
  bool done = false;     // the bot listens again
  int predicted = 0;     // predictions made (at most kMaxPredictions)
  std::string exclude;   // an action not to predict next ("" = none): it was just rejected
  uint64_t seed = 0;     // picks among a response's variations
  std::vector<SlotCandidate> extracted;  // the slots action_extract_slots filled from the message
  StatesCache states;    // the policies' input, extended between the predictions of this turn

  // The custom action call the loop waits for.
  Pending pending = Pending::kNone;
  std::optional<ActionRequest> request;                  // the call to make, while pending
  Prediction call_prediction;                            // what chose it (kCustom)
  std::string pending_form;                              // the form it is for (kFormValidate, kFormAsk)
  std::chrono::steady_clock::time_point call_started{};  // when it was requested

  // Appends an event to the tracker and the turn; a bot event also becomes a message.
  void add(Event e);
  void utter(const BotMessage& m);
  // Renders a domain response into a bot event; false when there is none.
  bool utter_response(std::string_view name, uint64_t variation, const json::object* extra = nullptr);
  // The seed for the responses the next action utters.
  uint64_t response_seed() const { return seed + events.size(); }
};

// The steps of the loop, over the state (turn.cc and form.cc).

// Executes one predicted action. Returns true when a custom action call is needed first.
bool execute(TurnState& st, const Prediction& p);
// Makes `action` the pending call of kind `kind` (the request, its start time).
void request_call(TurnState& st, TurnState::Pending kind, const std::string& action);
// A form's turn: activation, validation, asking for the next slot. True when a call is needed.
bool run_form(TurnState& st, const project::Form& form, const Prediction& p);
// Asks for the first required slot that is still empty, or deactivates the form. True when asking
// needs a custom action (action_ask_*).
bool request_next_slot(TurnState& st, const project::Form& form);

}  // namespace parley::dialogue
