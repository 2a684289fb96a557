// EngineStats -> Prometheus families.
#include "ops/engine_metrics.h"

#include "store/stats.h"

namespace parley::ops {

namespace {
double load(const std::atomic<uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }
double load(const std::atomic<int64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

void scalar(PromWriter& w, const char* name, const char* help, const char* type, double value) {
  w.family(name, help, type);
  w.sample(name, value);
}
}  // namespace

void render_engine_stats(PromWriter& w, const runtime::EngineStats& s) {
  using runtime::TurnOutcome;
  w.family("parley_turns_total", "Turns by bot and outcome (ok, replayed, rejected, error, over_budget).", "counter");
  s.for_each_bot([&w](const std::string& bot, const runtime::BotTurnCounters& c) {
    for (size_t i = 0; i < static_cast<size_t>(TurnOutcome::kCount); ++i) {
      auto o = static_cast<TurnOutcome>(i);
      w.sample("parley_turns_total", {{"bot", bot}, {"outcome", runtime::turn_outcome_name(o)}},
               static_cast<double>(c.get(o)));
    }
  });
  w.family("parley_turn_latency_seconds", "Time from a message's arrival in the engine to its reply.", "histogram");
  render_histogram(w, "parley_turn_latency_seconds", s.turn_seconds);

  scalar(w, "parley_cache_hits_total", "Trackers found in the cache.", "counter", load(s.cache_hits));
  scalar(w, "parley_cache_misses_total", "Trackers loaded from the store.", "counter", load(s.cache_misses));
  scalar(w, "parley_cache_evictions_total", "Trackers evicted from the cache.", "counter", load(s.cache_evictions));
  scalar(w, "parley_cache_bytes", "Bytes of cached trackers.", "gauge", load(s.cache_bytes));
  scalar(w, "parley_cache_entries", "Cached trackers.", "gauge", load(s.cache_entries));
  scalar(w, "parley_pending_turns", "Turns queued or running in all conversations.", "gauge", load(s.pending_turns));
  scalar(w, "parley_active_conversations", "Conversations with a turn queued or running.", "gauge",
         load(s.active_conversations));
  scalar(w, "parley_conflicts_retried_total", "Turns re-run after a version conflict.", "counter",
         load(s.conflicts_retried));

  w.family("parley_action_calls_total", "Custom action calls by outcome.", "counter");
  for (size_t i = 0; i < static_cast<size_t>(runtime::ActionCallStat::kCount); ++i) {
    auto o = static_cast<runtime::ActionCallStat>(i);
    w.sample("parley_action_calls_total", {{"outcome", runtime::action_call_stat_name(o)}},
             static_cast<double>(s.action_count(o)));
  }
  scalar(w, "parley_actions_in_flight", "Custom action calls in flight.", "gauge", load(s.actions_in_flight));

  if (const store::StoreStats* st = s.store) {
    w.family("parley_store_write_seconds", "One group write to the store, including its fsync.", "histogram");
    render_histogram(w, "parley_store_write_seconds", st->write_seconds);
    w.family("parley_store_commit_seconds", "A turn's append: queued and written.", "histogram");
    render_histogram(w, "parley_store_commit_seconds", st->commit_seconds);
    w.family("parley_store_fsync_batch_turns", "Turns sharing one write and fsync (group commit).", "histogram");
    render_histogram(w, "parley_store_fsync_batch_turns", st->batch_turns);
    scalar(w, "parley_store_appends_total", "Turn records written.", "counter", load(st->appends));
    scalar(w, "parley_store_conflicts_total", "Appends refused by the version check.", "counter", load(st->conflicts));
    scalar(w, "parley_store_write_errors_total", "Appends failed by the storage.", "counter", load(st->write_errors));
    scalar(w, "parley_store_bytes_written_total", "Payload bytes written.", "counter", load(st->bytes_written));
    scalar(w, "parley_store_queued_appends", "Appends waiting for the committer.", "gauge", load(st->queued));
  }
}

}  // namespace parley::ops
