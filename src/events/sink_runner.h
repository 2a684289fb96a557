// One sink's delivery machinery inside the relay (events/relay.h): a reader thread that fills a
// bounded window from the outbox, from this sink's cursor on, and `max_in_flight` lane threads
// that deliver it (a conversation always uses the same lane, so its events stay in order), with
// the sink's timeout, retries with backoff and jitter, circuit breaker and dead-letter store.
// Internal to events/: only relay.cc uses it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "events/breaker.h"
#include "events/config.h"
#include "events/relay.h"
#include "events/sink.h"
#include "store/outbox.h"
#include "core/histogram.h"

namespace parley::events {

class SinkRunner {
 public:
  SinkRunner(store::Outbox& outbox, SinkConfig config, std::unique_ptr<Sink> sink);
  ~SinkRunner();  // stop()
  SinkRunner(const SinkRunner&) = delete;
  SinkRunner& operator=(const SinkRunner&) = delete;

  const SinkConfig& config() const { return config_; }

  // Loads the cursor (or starts at the oldest stored record) and starts the threads. Also after
  // stop(): a replica that lost the relay claim and won it back starts afresh. start() and stop()
  // are called by one thread at a time (the relay's claim loop, then Relay::stop).
  Status start();
  // Stops the threads (a delivery in progress ends within its timeout) and saves the cursor.
  void stop();
  // New records were committed: wakes the reader unless the window is full. Never blocks on I/O
  // (the store's committer calls it).
  void notify();
  // Every record below it is delivered or dead-lettered.
  uint64_t cursor() const;
  // Blocking on a shared store (the outbox's end is one round trip).
  SinkStatus status() const;
  // Delivers again from outbox position `from` once nothing is in flight.
  void replay_from(uint64_t from);
  // Sends the dead letters again; each one delivered leaves the dead-letter store.
  void replay_dead_letters();

 private:
  using Clock = std::chrono::steady_clock;

  uint64_t cursor_locked() const { return unacked_.empty() ? next_read_ : unacked_.begin()->first; }
  // The configured delivery timeout, or 1.5 x the median of the recent deliveries.
  std::chrono::milliseconds timeout_locked() const;
  // Writes the cursor with `lock` released: the store's committer calls notify() (which takes
  // mu_) while it holds the store's lock, so holding mu_ across a store write inverts the lock
  // order (TSan in make tsan) and stalls every commit behind the relay's write.
  void save_cursor_locked(std::unique_lock<std::mutex>& lock, bool force);
  bool window_full_locked() const { return window_bytes_ >= config_.window_bytes; }
  size_t lane_of(const OutEvent& e) const;
  bool wanted(const OutEvent& e) const;
  void enqueue_locked(std::shared_ptr<OutEvent> e);
  void read_loop();
  void lane_loop(size_t lane);
  // Delivers one batch with the breaker, timeout and retries; false only when stopping first.
  bool deliver(const std::vector<std::shared_ptr<OutEvent>>& events);

  // Set at construction, then read-only.
  store::Outbox& outbox_;
  const SinkConfig config_;
  std::unique_ptr<Sink> sink_;  // its deliver() runs with mu_ released, one call per lane at a time

  // Everything below up to threads_ is guarded by mu_ (the condition variables wait on it).
  mutable std::mutex mu_;
  std::condition_variable cv_reader_;  // new records, a lane done, a replay request
  std::condition_variable cv_lanes_;   // events queued for the lanes
  Breaker breaker_;
  std::vector<std::deque<std::shared_ptr<OutEvent>>> lanes_;
  std::map<uint64_t, double> unacked_;  // position -> event time, read and not yet done
  uint64_t next_read_ = 0;              // the reader's next outbox position
  size_t window_bytes_ = 0;             // record bytes queued or in delivery
  bool stopping_ = false;
  bool wake_ = false;                   // the reader has work (notify, a lane done, a replay)
  std::optional<uint64_t> rewind_to_;   // replay_from, applied once nothing is in flight
  bool replay_dead_ = false;            // replay_dead_letters in progress
  uint64_t dead_next_ = 0;              // its next dead-letter position
  size_t dead_in_flight_ = 0;
  uint64_t saved_cursor_ = 0;
  Clock::time_point saved_at_{};
  std::deque<double> recent_;           // seconds of the last successful deliveries
  std::mt19937_64 rng_;                 // backoff jitter
  uint64_t delivered_ = 0, failed_tries_ = 0, dead_lettered_ = 0, redelivered_ = 0;
  // Observed under mu_; status() hands out a pointer to it (its reads are atomic).
  Histogram latency_{Histogram::latency_bounds()};

  // Touched by start() and stop() only.
  std::vector<std::thread> threads_;
};

}  // namespace parley::events
