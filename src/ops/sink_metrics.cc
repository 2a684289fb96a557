#include "ops/sink_metrics.h"

namespace parley::ops {

void render_sink_metrics(PromWriter& w, const std::vector<events::SinkStatus>& sinks) {
  if (sinks.empty()) return;
  auto each = [&](std::string_view name, std::string_view help, std::string_view type, auto value) {
    w.family(name, help, type);
    for (const auto& s : sinks) w.sample(name, {{"sink", s.name}}, static_cast<double>(value(s)));
  };
  using S = events::SinkStatus;
  each("parley_sink_delivered_events_total", "Events the sink acknowledged.", "counter",
       [](const S& s) { return s.delivered; });
  each("parley_sink_failed_deliveries_total", "Deliveries that failed (retried or dead-lettered).", "counter",
       [](const S& s) { return s.failed_tries; });
  each("parley_sink_dead_letters_total", "Events put in the sink's dead-letter store.", "counter",
       [](const S& s) { return s.dead_lettered; });
  each("parley_sink_dead_letters_redelivered_total", "Dead letters delivered on replay.", "counter",
       [](const S& s) { return s.dead_letters_redelivered; });
  each("parley_sink_breaker_state", "Circuit breaker: 0 closed, 1 open, 2 half-open.", "gauge", [](const S& s) {
    return s.breaker == "closed" ? 0 : s.breaker == "open" ? 1 : 2;
  });
  each("parley_sink_breaker_opened_total", "Times the circuit breaker opened.", "counter",
       [](const S& s) { return s.breaker_opened; });
  each("parley_sink_lag_events", "Outbox records at or after the sink's cursor.", "gauge",
       [](const S& s) { return s.lag_events; });
  each("parley_sink_lag_seconds", "Age of the oldest event the sink has not acknowledged.", "gauge",
       [](const S& s) { return s.lag_seconds; });
  each("parley_sink_window_bytes", "Event bytes read ahead and held in memory for the sink.", "gauge",
       [](const S& s) { return s.window_bytes; });
  each("parley_sink_timeout_seconds", "Current delivery timeout.", "gauge",
       [](const S& s) { return static_cast<double>(s.timeout_ms) / 1000.0; });
  w.family("parley_sink_delivery_seconds", "Time per successful delivery of a batch.", "histogram");
  for (const auto& s : sinks)
    if (s.latency) render_histogram(w, "parley_sink_delivery_seconds", *s.latency, {{"sink", s.name}});
}

}  // namespace parley::ops
