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

struct TurnState;

class TurnRunner {
 public:
  enum class State { kNeedsAction, kDone };

  TurnRunner(std::shared_ptr<const Agent> bot, Tracker& tracker, TurnInput input);
  ~TurnRunner();

  // Runs until the turn is done or a custom action call is needed.
  State run();
  // The custom action call to make; valid when run() returned kNeedsAction.
  const ActionRequest& pending_action() const;
  // Gives the result of the pending call back; then call run() again.
  void resume(ActionReply reply);

  // Events this turn appended to the tracker, in order.
  const std::vector<Event>& new_events() const;
  // Messages for the user, in order.
  const std::vector<BotMessage>& messages() const;
  const std::vector<Prediction>& predictions() const;

  // Convenience: runs the turn to the end, making action calls with `client` (may be null:
  // then custom actions fail as if the server were down).
  void run_blocking(ActionClient* client);

 private:
  std::unique_ptr<TurnState> state_;  // dialogue/turn_state.h
};

}  // namespace parley::dialogue
