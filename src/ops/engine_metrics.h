// Renders the engine's and the store's numbers (runtime::EngineStats, store::StoreStats) in
// Prometheus text format for /metrics: turns by bot and outcome, turn latency, tracker cache,
// queues, custom action calls, store write latency and group-commit (fsync) batch sizes.
#pragma once

#include "ops/prometheus.h"
#include "runtime/stats.h"

namespace parley::ops {

void render_engine_stats(PromWriter& w, const runtime::EngineStats& stats);

}  // namespace parley::ops
