// The server's operational routes:
//   GET  /healthz, /readyz, /metrics
//   GET  /v1/bots               {"bots": [{"name","version","dir"}]} (dir: the folder's name under --bots)
//   POST /v1/bots/{bot}/reload  reload; 422 with diagnostics when broken, 503 (Retry-After) while
//                               another reload runs
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>

#include "channels/admin/admin.h"
#include "channels/http/router.h"
#include "ops/metrics.h"

namespace parley::events {
class Relay;
}

namespace parley::channels {

// What the routes read; every pointer outlives the router.
struct OpsDeps {
  Admin* admin = nullptr;
  ops::ServerMetrics* metrics = nullptr;
  events::Relay* relay = nullptr;              // null: no sinks (no sink report in /readyz, no sink families)
  const std::atomic<bool>* draining = nullptr;  // true: /readyz answers 503 (load balancers move away)
  unsigned retry_after_s = 1;
  // Reloads parse and train: they run here (one thread), off the I/O threads, one at a time
  // (`reloading` says one runs; another meanwhile gets 503 reload_busy with Retry-After).
  boost::asio::any_io_executor reloads;
  std::atomic<bool>* reloading = nullptr;
};

// /readyz and /metrics read the store and the relay: they run on the router's blocking pool.
void add_ops_routes(Router& router, OpsDeps deps);

}  // namespace parley::channels
