// Renders the event relay's per-sink numbers (events::SinkStatus) for /metrics: delivered events,
// failed tries, dead letters, breaker state and openings, lag in events and seconds, bytes held
// in memory, the current timeout and the delivery latency histogram.
#pragma once

#include <vector>

#include "events/relay.h"
#include "ops/prometheus.h"

namespace parley::ops {

void render_sink_metrics(PromWriter& w, const std::vector<events::SinkStatus>& sinks);

}  // namespace parley::ops
