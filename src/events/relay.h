// The outbox relay (shared/ARCHITECTURE.md, G5, G6): every configured sink gets its own runner
// with its own cursor over the durable outbox, its own bounded in-memory window, its lanes
// (bulkhead: max_in_flight concurrent deliveries; a conversation always uses the same lane, so
// its events stay in order), its timeout, retries with backoff and jitter, its circuit breaker
// and its dead-letter store. A slow, failing or hanging sink therefore never delays turns (they
// only write the outbox) or the other sinks, and while it is down its events wait on disk.
// Records every sink has acknowledged are trimmed once older than retain_acknowledged_s.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "events/config.h"
#include "events/sink.h"
#include "store/outbox.h"
#include "core/histogram.h"

namespace parley::events {

class SinkRunner;  // events/sink_runner.h

struct SinkStatus {
  std::string name;
  std::string type;
  std::string breaker;            // closed | open | half_open
  uint64_t cursor = 0;            // every outbox record below is delivered or dead-lettered
  uint64_t outbox_end = 0;        // next outbox position
  uint64_t lag_events = 0;        // outbox records at or after the cursor (filtered ones included)
  double lag_seconds = 0;         // age of the oldest event not yet delivered
  uint64_t delivered = 0;         // events acknowledged by the sink
  uint64_t failed_tries = 0;      // deliveries that failed (each retried or dead-lettered)
  uint64_t dead_lettered = 0;     // events put in the dead-letter store
  uint64_t dead_letters_redelivered = 0;
  uint64_t breaker_opened = 0;
  uint64_t window_bytes = 0;      // event bytes held in memory now
  uint64_t timeout_ms = 0;        // current delivery timeout
  const Histogram* latency = nullptr;  // seconds per successful delivery
};

class Relay {
 public:
  // Sinks are built from `config` (make_sink) unless given (tests); sinks[i] serves
  // config.sinks[i].
  static Result<std::unique_ptr<Relay>> create(store::Outbox& outbox, EventsConfig config,
                                               std::vector<std::unique_ptr<Sink>> sinks = {});
  ~Relay();  // stop()
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Loads the cursors and starts the threads. A sink without a saved cursor starts at the oldest
  // record the outbox holds.
  Status start();
  // Stops every thread; deliveries in progress end within their timeout. Events not yet
  // acknowledged stay in the outbox and are delivered after the next start (at least once).
  void stop();
  // New records were committed (the store's commit listener).
  void notify();

  std::vector<SinkStatus> status() const;
  bool has_sink(const std::string& name) const;
  // Delivers again every record from outbox position `from` on (still stored ones).
  Status replay_from(const std::string& sink, uint64_t from);
  // The first outbox position whose event time is at or after `ts` (Unix seconds).
  Result<uint64_t> position_at(double ts);
  // Sends the sink's dead letters again; each one delivered leaves the dead-letter store.
  Status replay_dead_letters(const std::string& sink);
  Result<std::vector<store::OutboxRecord>> dead_letters(const std::string& sink, uint64_t from, size_t max);
  // Trims what every sink acknowledged now, as the relay's own thread does every second (tests).
  Status trim_now_for_testing(std::chrono::steady_clock::time_point now);
  // True while this process holds the relay claim and delivers (replicas on a shared store:
  // one at a time; the embedded store: always).
  bool delivering() const;


 private:
  Relay(store::Outbox& outbox, EventsConfig config);
  SinkRunner* find(const std::string& name) const;
  Status claim_and_run();
  Status trim(std::chrono::steady_clock::time_point now);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace parley::events
