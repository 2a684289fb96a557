// One message through the pipeline, inside its conversation's mailbox: dedup check, tracker
// (cache or store), the dialogue turn (pausing for custom actions), one atomic commit, then the
// reply. Runs on the engine's executor; each step that waits (action call, commit) resumes with
// a post, so no thread blocks on I/O.
//
// The turn's computing runs under its budget (EngineOptions::turn_budget, core/budget.h): a turn
// that goes over it, or whose regex search hits its limit, commits only an error event and is
// answered with Code::kBudgetExceeded. A stretch that keeps its thread past the budget is answered
// by a watchdog timer on another executor meanwhile; the mailbox stays busy until the stretch
// returns, so the conversation's order holds.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/budget.h"
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
  void on_action(dialogue::ActionReply reply);
  // Runs `step` (the runner until it needs an action or is done), then commits, calls the
  // action or stops the turn over budget.
  template <typename F>
  void advance(F&& step);
  // Runs one stretch of computing under the budget; false when the watchdog stopped the turn
  // meanwhile (and answered it).
  template <typename F>
  bool compute(F&& work);
  void arm_watchdog(uint64_t stretch, Budget::Clock::time_point deadline);
  void on_watchdog(uint64_t stretch);
  // Why the turn is over its budget ("" when it is not); `stopped`: the watchdog stopped it.
  std::string over_budget(bool stopped) const;
  // Drops the turn, commits an error event in its place, then answers (unless answered).
  void stop_over_budget(const std::string& why);
  void on_stopped(Status commit_status);
  void commit();
  void on_commit(Status status);
  // Appends `record` under the turn's lease; `then` runs on the executor with the outcome.
  void append(store::TurnRecord record, void (TurnJob::*then)(Status));
  size_t outbox_bytes() const;  // the cap of outbox records, 0 = none written
  // Answers the caller (unless the watchdog did) and frees the mailbox, once.
  void answer(Result<MessageReply> result, TurnOutcome outcome);
  // Answers the caller unless that was done; thread-safe (the watchdog answers from its thread).
  void respond(Result<MessageReply> result, TurnOutcome outcome);
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
  std::atomic<bool> answered_{false};  // the caller has its answer
  bool finished_ = false;              // the mailbox was freed
  Budget budget_;
  std::chrono::steady_clock::duration computed_{};  // time spent in compute() so far
  uint64_t stretches_ = 0;
  // The stretch computing now (its number), 0 when none, kStopped once the watchdog stopped it.
  std::atomic<uint64_t> computing_{0};
};

}  // namespace parley::runtime
