#include "events/breaker.h"

#include <algorithm>

namespace parley::events {

bool Breaker::allow(Clock::time_point now) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < reopens_at()) return false;
      state_ = State::kHalfOpen;
      probe_running_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_running_) return false;
      probe_running_ = true;
      return true;
  }
  return false;
}

void Breaker::record(bool ok, Clock::time_point now) {
  if (state_ == State::kHalfOpen) {
    probe_running_ = false;
    if (ok) {
      state_ = State::kClosed;
      outcomes_.clear();
      failures_ = 0;
    } else {
      open(now);
    }
    return;
  }
  if (state_ == State::kOpen) return;  // a try that started before the breaker opened
  outcomes_.push_back(!ok);
  failures_ += ok ? 0 : 1;
  if (outcomes_.size() > config_.window) {
    failures_ -= outcomes_.front() ? 1 : 0;
    outcomes_.pop_front();
  }
  if (outcomes_.size() >= config_.window &&
      static_cast<double>(failures_) >= config_.failure_ratio * static_cast<double>(outcomes_.size()))
    open(now);
}

void Breaker::open(Clock::time_point now) {
  state_ = State::kOpen;
  opened_at_ = now;
  outcomes_.clear();
  failures_ = 0;
  probe_running_ = false;
  ++times_opened_;
}

std::chrono::milliseconds backoff_delay(const RetryConfig& retry, uint32_t attempt, std::mt19937_64& rng) {
  uint64_t delay = retry.base_ms;
  for (uint32_t i = 1; i < attempt && delay < retry.max_ms; ++i) delay *= 2;
  delay = std::min(delay, retry.max_ms);
  std::uniform_int_distribution<uint64_t> pick(delay / 2, delay);
  return std::chrono::milliseconds(pick(rng));
}

const char* state_name(Breaker::State s) {
  switch (s) {
    case Breaker::State::kClosed: return "closed";
    case Breaker::State::kOpen: return "open";
    case Breaker::State::kHalfOpen: return "half_open";
  }
  return "?";
}

}  // namespace parley::events
