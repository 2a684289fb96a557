// Names of outcomes as /metrics labels them, and the per-bot counter table.
#include "runtime/stats.h"

namespace parley::runtime {

const char* turn_outcome_name(TurnOutcome o) {
  switch (o) {
    case TurnOutcome::kOk: return "ok";
    case TurnOutcome::kReplayed: return "replayed";
    case TurnOutcome::kRejected: return "rejected";
    case TurnOutcome::kFailed: return "error";
    case TurnOutcome::kOverBudget: return "over_budget";
    case TurnOutcome::kCount: break;
  }
  return "unknown";
}

const char* action_call_stat_name(ActionCallStat o) {
  switch (o) {
    case ActionCallStat::kOk: return "ok";
    case ActionCallStat::kError: return "error";
    case ActionCallStat::kTimeout: return "timeout";
    case ActionCallStat::kRejected: return "rejected";
    case ActionCallStat::kCount: break;
  }
  return "unknown";
}

BotTurnCounters& EngineStats::turns(std::string_view bot) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bots_.find(bot);
  if (it == bots_.end()) it = bots_.emplace(std::string(bot), std::make_unique<BotTurnCounters>()).first;
  return *it->second;
}

uint64_t EngineStats::turn_count(std::string_view bot, TurnOutcome o) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bots_.find(bot);
  return it == bots_.end() ? 0 : it->second->get(o);
}

void EngineStats::for_each_bot(const std::function<void(const std::string&, const BotTurnCounters&)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, counters] : bots_) fn(name, *counters);
}

}  // namespace parley::runtime
