// What the administration routes (views, reload, readiness, metrics) need from the turn pipeline:
// the part of the engine that is not a channel's business. Implemented over runtime::Engine by
// channels/engine_port.h, by a fake in the channel tests. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "ops/prometheus.h"
#include "runtime/engine.h"

namespace parley::channels {

class Admin {
 public:
  virtual ~Admin() = default;

  virtual std::vector<runtime::BotInfo> bots() const = 0;
  // Native view {"conversation", "bot", "version", "slots", "active_loop", "events"}. Blocking (store).
  virtual Result<json::object> conversation(const std::string& bot, const std::string& conversation) = 0;
  // Rasa tracker shape; include_events: ALL | AFTER_RESTART | APPLIED | NONE. Blocking (store).
  virtual Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                            std::string_view include_events) = 0;
  // The conversation's event records with seq > after (events/record.h), at most `limit`. Blocking (store).
  virtual Result<std::vector<std::string>> event_records(const std::string& bot, const std::string& conversation,
                                                         uint64_t after, size_t limit) = 0;
  // Loads a new version beside the old one; kInvalidArgument with diagnostics when broken.
  // Blocking (it trains the NLU model): called off the I/O threads.
  virtual Result<std::vector<project::Diagnostic>> reload_bot(const std::string& bot) = 0;
  virtual Status reload_all() = 0;
  // Bots loaded and not draining.
  virtual Status ready() const = 0;
  // The store takes writes (kUnavailable with the reason when not).
  virtual Status store_ready() const { return Status::ok(); }
  // Appends the pipeline's numbers (store, cache, turns) to /metrics.
  virtual void render_metrics(ops::PromWriter& w) const = 0;
};

}  // namespace parley::channels
