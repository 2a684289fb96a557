// The engine's counters and gauges, read by ops/ to render /metrics. Every field may be read
// from any thread at any time; the engine updates them with relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/histogram.h"

namespace parley::store {
struct StoreStats;
}

namespace parley::runtime {

// How a message ended.
enum class TurnOutcome : uint8_t {
  kOk,         // committed and answered
  kReplayed,   // answered from the dedup record (G3)
  kRejected,   // refused before running: queue full, draining (kUnavailable)
  kFailed,     // ran but could not be committed, or the store failed
  kOverBudget, // stopped: over its compute budget or a regex limit (Code::kBudgetExceeded)
  kCount
};
const char* turn_outcome_name(TurnOutcome o);  // "ok", "replayed", "rejected", "error", "over_budget"

// How a custom action call ended, as the engine counts it (dialogue::ActionOutcome is the
// client's side: a kRejected or kFailed reply counts as kError here).
enum class ActionCallStat : uint8_t {
  kOk,        // the action server answered 2xx
  kError,     // refused, HTTP error (400 included), bad JSON
  kTimeout,   // no answer within EngineOptions::action_timeout
  kRejected,  // not made: the bot's bulkhead was full (action_max_in_flight_per_bot)
  kCount
};
const char* action_call_stat_name(ActionCallStat o);  // "ok", "error", "timeout", "rejected"

// Turn counters of one bot, by outcome.
struct BotTurnCounters {
  std::atomic<uint64_t> by_outcome[static_cast<size_t>(TurnOutcome::kCount)] = {};
  uint64_t get(TurnOutcome o) const { return by_outcome[static_cast<size_t>(o)].load(std::memory_order_relaxed); }
};

class EngineStats {
 public:
  EngineStats() = default;
  EngineStats(const EngineStats&) = delete;
  EngineStats& operator=(const EngineStats&) = delete;

  // Seconds from arrival (handle_message) to the reply, for turns that ran or replayed.
  Histogram turn_seconds{Histogram::latency_bounds()};

  std::atomic<uint64_t> cache_hits{0};        // tracker found in the cache
  std::atomic<uint64_t> cache_misses{0};      // tracker loaded from the store
  std::atomic<uint64_t> cache_evictions{0};
  std::atomic<int64_t> cache_bytes{0};        // gauge: bytes of cached trackers
  std::atomic<int64_t> cache_entries{0};      // gauge: cached trackers

  std::atomic<int64_t> pending_turns{0};      // gauge: queued + running turns, all mailboxes
  std::atomic<int64_t> active_conversations{0};  // gauge: conversations with a turn queued or running
  std::atomic<uint64_t> conflicts_retried{0}; // turns re-run after a version conflict

  std::atomic<uint64_t> actions[static_cast<size_t>(ActionCallStat::kCount)] = {};
  std::atomic<int64_t> actions_in_flight{0};  // gauge

  // The store's write numbers (latency, group-commit batch sizes); nullptr when the store
  // keeps none. Set once when the engine is built.
  const store::StoreStats* store = nullptr;

  // Counters of one bot, created on first use; the reference stays valid for the engine's life.
  BotTurnCounters& turns(std::string_view bot);
  // Turns of a bot with an outcome so far (0 for a bot never seen).
  uint64_t turn_count(std::string_view bot, TurnOutcome o) const;
  // Calls fn(bot, counters) for every bot seen, in name order.
  void for_each_bot(const std::function<void(const std::string&, const BotTurnCounters&)>& fn) const;

  void count_turn(std::string_view bot, TurnOutcome o) {
    turns(bot).by_outcome[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_action(ActionCallStat o) { actions[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t action_count(ActionCallStat o) const {
    return actions[static_cast<size_t>(o)].load(std::memory_order_relaxed);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<BotTurnCounters>, std::less<>> bots_;
};

}  // namespace parley::runtime
