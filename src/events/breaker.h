// A circuit breaker (closed, open, half-open) and the retry backoff, as value types with the time
// passed in, so tests drive them without sleeping. Not thread-safe: the relay guards them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>

#include "events/config.h"

namespace parley::events {

class Breaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit Breaker(BreakerConfig config) : config_(config) {}

  // May a try start now? Open: no until open_ms passed, then one probe (half-open); half-open:
  // no while the probe runs.
  bool allow(Clock::time_point now);
  // The outcome of a try allow() let through.
  void record(bool ok, Clock::time_point now);
  State state() const { return state_; }
  // When an open breaker lets the probe through.
  Clock::time_point reopens_at() const { return opened_at_ + std::chrono::milliseconds(config_.open_ms); }
  uint64_t times_opened() const { return times_opened_; }

 private:
  void open(Clock::time_point now);

  BreakerConfig config_;
  State state_ = State::kClosed;
  std::deque<bool> outcomes_;  // the last `window` tries while closed (true = failed)
  size_t failures_ = 0;
  bool probe_running_ = false;
  Clock::time_point opened_at_{};
  uint64_t times_opened_ = 0;
};

// Delay before try `attempt` + 1 (attempt >= 1): base * 2^(attempt-1) capped at max, then a
// uniform pick in [delay/2, delay] ("equal jitter"), so retries of many lanes spread out.
std::chrono::milliseconds backoff_delay(const RetryConfig& retry, uint32_t attempt, std::mt19937_64& rng);

const char* state_name(Breaker::State s);

}  // namespace parley::events
