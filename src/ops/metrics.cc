// Counters of the server, rendered in Prometheus text format.
#include "ops/metrics.h"

namespace parley::ops {

ServerMetrics::ServerMetrics() : message_seconds_(Histogram::latency_bounds()) {}

void ServerMetrics::connection_opened() {
  open_.fetch_add(1, std::memory_order_relaxed);
  opened_.fetch_add(1, std::memory_order_relaxed);
}
void ServerMetrics::connection_closed() { open_.fetch_sub(1, std::memory_order_relaxed); }
void ServerMetrics::connection_refused() { refused_.fetch_add(1, std::memory_order_relaxed); }

void ServerMetrics::bump(std::mutex& mu, CounterMap& map, std::string_view key) {
  std::lock_guard lock(mu);
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), 0).first;
  ++it->second;
}

uint64_t ServerMetrics::read(std::mutex& mu, const CounterMap& map, std::string_view key) {
  std::lock_guard lock(mu);
  auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

void ServerMetrics::response(unsigned status) { bump(mu_, responses_, std::to_string(status)); }
void ServerMetrics::error(std::string_view code) { bump(mu_, errors_, code); }
void ServerMetrics::rate_limited(std::string_view scope) { bump(mu_, rate_limited_, scope); }

void ServerMetrics::message(std::string_view bot, std::string_view outcome, double seconds) {
  std::string key(bot);
  key += '\n';
  key += outcome;
  bump(mu_, messages_, key);
  message_seconds_.observe(seconds);
}

uint64_t ServerMetrics::errors(std::string_view code) const { return read(mu_, errors_, code); }
uint64_t ServerMetrics::messages(std::string_view bot, std::string_view outcome) const {
  return read(mu_, messages_, std::string(bot) + "\n" + std::string(outcome));
}

void ServerMetrics::render(PromWriter& w) const {
  w.family("parley_open_connections", "Open HTTP and WebSocket connections.", "gauge");
  w.sample("parley_open_connections", static_cast<double>(open_connections()));
  w.family("parley_connections_total", "Connections accepted.", "counter");
  w.sample("parley_connections_total", static_cast<double>(opened_.load()));
  w.family("parley_connections_refused_total", "Connections refused over max_connections.", "counter");
  w.sample("parley_connections_refused_total", static_cast<double>(refused_.load()));

  std::lock_guard lock(mu_);
  w.family("parley_http_responses_total", "Responses sent, by HTTP status.", "counter");
  for (const auto& [status, n] : responses_) w.sample("parley_http_responses_total", {{"status", status}}, n);
  w.family("parley_errors_total", "JSON errors sent, by error code.", "counter");
  for (const auto& [code, n] : errors_) w.sample("parley_errors_total", {{"code", code}}, n);
  w.family("parley_rate_limited_total", "Requests refused by a rate limit, by scope.", "counter");
  for (const auto& [scope, n] : rate_limited_) w.sample("parley_rate_limited_total", {{"scope", scope}}, n);
  w.family("parley_message_requests_total",
           "Message requests (HTTP and WebSocket) answered, by bot and outcome (ok, replayed, error code).",
           "counter");
  for (const auto& [key, n] : messages_) {
    size_t nl = key.find('\n');
    w.sample("parley_message_requests_total", {{"bot", key.substr(0, nl)}, {"outcome", key.substr(nl + 1)}}, n);
  }
  w.family("parley_message_request_seconds", "Time from a message request's arrival to its reply.", "histogram");
  render_histogram(w, "parley_message_request_seconds", message_seconds_);
}

}  // namespace parley::ops
