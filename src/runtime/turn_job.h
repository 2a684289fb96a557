// One message through the pipeline, inside its conversation's mailbox: dedup check, tracker
// (cache or store), the dialogue turn (pausing for custom actions), one atomic commit, then the
// reply. Runs on the engine's executor; each step that waits (action call, commit) resumes with
// a post, so no thread blocks on I/O.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "dialogue/turn.h"
#include "runtime/engine_core.h"

namespace parley::runtime {

class TurnJob : public std::enable_shared_from_this<TurnJob> {
 public:
  TurnJob(std::shared_ptr<EngineCore> core, std::shared_ptr<Conversation> conversation, PendingMessage message);
  // Starts the turn; the job keeps itself alive until it has answered.
  void start();

 private:
  void begin();
  Status ensure_tracker();
  void replay(const std::string& stored);  // answers with a stored reply (G3)
  void drive();
  void on_action(Result<json::value> result);
  void commit();
  void on_commit(Status status);
  // Answers the caller exactly once and frees the mailbox.
  void answer(Result<MessageReply> result, TurnOutcome outcome);
  // Drops the tracker (it may hold uncommitted changes) and answers with the error.
  void fail(Status status);
  void wait_for_lease();
  // Runs a step, turning an exception from below into a failed turn.
  template <typename F>
  void guarded(F&& step);

  std::shared_ptr<EngineCore> core_;
  std::shared_ptr<Conversation> conv_;
  PendingMessage msg_;
  std::shared_ptr<const BotEntry> entry_;
  std::optional<dialogue::TurnRunner> runner_;
  uint64_t start_version_ = 0;
  MessageReply reply_;
  bool retried_ = false;
  uint64_t fence_ = 0;                  // the conversation lease this turn holds (shared store)
  std::chrono::steady_clock::time_point lease_wait_started_{};
  bool answered_ = false;
};

}  // namespace parley::runtime
