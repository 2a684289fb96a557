// The server's own numbers for /metrics: connections, responses, errors by code, rate-limited
// requests, and message requests by bot and outcome with their latency as the channel sees them
// (including those refused at the edge). The engine's numbers (turns, store, cache) are rendered
// beside these (ops/engine_metrics.h). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "ops/prometheus.h"

namespace parley::ops {

class ServerMetrics {
 public:
  ServerMetrics();

  void connection_opened();
  void connection_closed();
  void connection_refused();                  // over max_connections
  int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }

  void response(unsigned status);             // every HTTP response and WebSocket answer
  void error(std::string_view code);          // the `code` of each JSON error sent
  void rate_limited(std::string_view scope);  // "conversation" or "bot"
  // A message request: outcome "ok", "replayed" or the error code; seconds from its arrival to
  // its reply.
  void message(std::string_view bot, std::string_view outcome, double seconds);

  // Reads, for tests.
  uint64_t errors(std::string_view code) const;
  uint64_t messages(std::string_view bot, std::string_view outcome) const;

  void render(PromWriter& w) const;

 private:
  using CounterMap = std::map<std::string, uint64_t, std::less<>>;
  static void bump(std::mutex& mu, CounterMap& map, std::string_view key);
  static uint64_t read(std::mutex& mu, const CounterMap& map, std::string_view key);

  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> opened_{0};
  std::atomic<uint64_t> refused_{0};
  mutable std::mutex mu_;
  CounterMap responses_;      // status code
  CounterMap errors_;         // error code
  CounterMap rate_limited_;   // scope
  CounterMap messages_;       // bot '\n' outcome
  Histogram message_seconds_;
};

}  // namespace parley::ops
