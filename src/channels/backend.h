// What the channels need from the turn pipeline, as one small seam: the server runs on the
// runtime::Engine (make_engine_backend), channel tests run on a fake. Implementations are
// thread-safe; handle_message calls `done` exactly once, on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "ops/prometheus.h"
#include "runtime/engine.h"

namespace parley::channels {

class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool has_bot(std::string_view bot) const = 0;
  virtual std::vector<runtime::BotInfo> bots() const = 0;
  virtual void handle_message(runtime::MessageRequest request, runtime::ReplyHandler done) = 0;
  // Native view {"conversation", "bot", "version", "slots", "active_loop", "events"}.
  virtual Result<json::object> conversation(const std::string& bot, const std::string& conversation) = 0;
  // Rasa tracker shape; include_events: ALL | AFTER_RESTART | APPLIED | NONE.
  virtual Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                            std::string_view include_events) = 0;
  // The conversation's event records with seq > after (events/record.h), at most `limit`.
  virtual Result<std::vector<std::string>> event_records(const std::string& bot, const std::string& conversation, uint64_t after,
                                            size_t limit) = 0;
  // Loads a new version beside the old one; kInvalidArgument with diagnostics when broken.
  // Blocking (it trains the NLU model): called off the I/O threads.
  virtual Result<std::vector<bot::Diagnostic>> reload_bot(const std::string& bot) = 0;
  virtual Status reload_all() = 0;
  // Bots loaded and not draining.
  virtual Status ready() const = 0;
  // The store takes writes (kUnavailable with the reason when not).
  virtual Status store_ready() const { return Status::ok(); }
  // Appends the pipeline's numbers (store, cache, turns) to /metrics.
  virtual void render_metrics(ops::PromWriter& w) const = 0;
};

}  // namespace parley::channels
