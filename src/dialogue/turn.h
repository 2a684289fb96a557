// One turn of a conversation: a user message in, the bot's actions and messages out.
// A TurnRunner drives NLU and the predict-execute loop on a Tracker. It pauses when a custom
// action must be called (so the caller can make the call asynchronously) and resumes with the
// result. The tracker is changed as the turn goes; the caller commits `new_events()` to the store
// and drops its tracker if the commit fails.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dialogue/action_client.h"
#include "dialogue/agent.h"
#include "dialogue/message.h"
#include "dialogue/prediction.h"
#include "dialogue/tracker.h"

namespace parley::dialogue {

struct TurnInput {
  std::string text;
  std::string message_id;
  std::string input_channel = "rest";
  json::value metadata;
  double timestamp = 0;  // 0: now
};

class PolicySet;
class StatesCache;

// The next action for `tracker` as a turn chooses it: followups, default intents, active loops,
// rules, memoization, the learned policy, then the core fallback. `states` caches the policies'
// input for this tracker; `exclude` is an action not to predict ("" = none). Used by the turn
// loop and by offline evaluation of stories.
Prediction predict_next_action(const PolicySet& policies, const Tracker& tracker, StatesCache& states,
                               std::string_view exclude);

class TurnRunner {
 public:
  enum class State { kNeedsAction, kDone };

  TurnRunner(std::shared_ptr<const Agent> bot, Tracker& tracker, TurnInput input);

  // Runs until the turn is done or a custom action call is needed.
  State run();
  // The custom action call to make; valid when run() returned kNeedsAction.
  const ActionRequest& pending_action() const { return *pending_; }
  // Gives the result of the pending call back; then call run() again.
  void resume(Result<json::value> response);

  // Events this turn appended to the tracker, in order.
  const std::vector<Event>& new_events() const { return new_events_; }
  // Messages for the user, in order.
  const std::vector<BotMessage>& messages() const { return messages_; }
  const std::vector<Prediction>& predictions() const { return predictions_; }

  // Convenience: runs the turn to the end, making action calls with `client` (may be null:
  // then custom actions fail as if the server were down).
  void run_blocking(ActionClient* client);

 private:
  friend struct TurnCtx;
  Prediction predict();
  bool execute(const Prediction& p);
  bool run_form(const bot::Form& form, const Prediction& p);
  bool request_next_slot(const bot::Form& form);
  ActionRequest make_request(const std::string& action) const;
  void action_failed(const std::string& action, const Status& status);
  void apply_action_response(const json::value& body);

  struct Impl;
  Prediction last_prediction_;
  std::shared_ptr<const Agent> bot_;
  Tracker& tracker_;
  TurnInput input_;
  std::vector<Event> new_events_;
  std::vector<BotMessage> messages_;
  std::vector<Prediction> predictions_;
  std::optional<ActionRequest> pending_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::dialogue
