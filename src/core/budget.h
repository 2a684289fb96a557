// A budget of compute time for one piece of work (a turn), seen by code far below it (regex
// matching) without passing it through every call: the owner installs it on the thread that
// computes (BudgetScope). Code that can run long asks budget_spent() before each costly step,
// and reports a hard limit it hit with spend_budget(why), which ends the budget at once.
#pragma once

#include <chrono>
#include <string>

namespace parley {

class Budget {
 public:
  using Clock = std::chrono::steady_clock;

  // Without a deadline the budget ends only through spend().
  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  // Ended: the deadline passed, or spend() was called.
  bool spent() const { return !reason_.empty() || Clock::now() >= deadline_; }
  // Ends the budget; the first reason is kept.
  void spend(std::string why) {
    if (reason_.empty()) reason_ = std::move(why);
  }
  // When it ends by time (time_point::max() without a deadline).
  Clock::time_point deadline() const { return deadline_; }
  // Why spend() ended it ("" when it was not: the deadline may still have passed).
  const std::string& reason() const { return reason_; }

 private:
  Clock::time_point deadline_ = Clock::time_point::max();
  std::string reason_;
};

// Makes `budget` the current thread's budget for the scope's life (scopes nest). Not shared
// between threads: a budget is read and spent only by the thread that installed it.
class BudgetScope {
 public:
  explicit BudgetScope(Budget& budget);
  ~BudgetScope();
  BudgetScope(const BudgetScope&) = delete;
  BudgetScope& operator=(const BudgetScope&) = delete;

 private:
  Budget* previous_;
};

// The current thread's budget is spent (false when it has none).
bool budget_spent();
// The current thread's budget's deadline (time_point::max() when it has none), for code that
// waits on something outside (an HTTP call) and must leave the turn time to finish.
Budget::Clock::time_point budget_deadline();
// Ends the current thread's budget with `why` (nothing when it has none).
void spend_budget(const std::string& why);

}  // namespace parley
