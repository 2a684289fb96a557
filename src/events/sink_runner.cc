#include "events/sink_runner.h"

#include <algorithm>
#include <functional>

#include "core/clock.h"
#include "events/record.h"

namespace parley::events {

namespace {

// An outbox record as the lanes deliver it; false when it is not an event record.
bool to_event(store::OutboxRecord&& r, OutEvent& e) {
  auto header = parse_record_header(r.record);
  if (!header) return false;
  e.position = r.seq;
  e.id = std::move(header->id);
  e.type = std::move(header->type);
  e.bot = std::move(header->bot);
  e.conversation = std::move(header->conversation);
  e.ts = header->ts;
  e.record = std::move(r.record);
  return true;
}

}  // namespace

SinkRunner::SinkRunner(store::Outbox& outbox, SinkConfig config, std::unique_ptr<Sink> sink)
    : outbox_(outbox), config_(std::move(config)), sink_(std::move(sink)), breaker_(config_.breaker),
      lanes_(config_.max_in_flight) {
  rng_.seed(std::hash<std::string>{}(config_.name));
}

SinkRunner::~SinkRunner() { stop(); }

Status SinkRunner::start() {
  auto cursor = outbox_.load_cursor(config_.name);
  if (!cursor.ok()) return cursor.status();
  uint64_t from = 0;
  if (cursor->has_value()) {
    from = **cursor;
  } else {
    auto first = outbox_.first_outbox_seq();
    if (!first.ok()) return first.status();
    from = *first;
  }
  {
    // notify() and status() may run meanwhile (a commit on another thread, a replica taking
    // the relay over): the state they read changes under mu_ only.
    std::lock_guard<std::mutex> lock(mu_);
    next_read_ = from;
    saved_cursor_ = from;
    // A fresh start (also after stop(): a replica that lost the relay claim and won it back).
    stopping_ = false;
    wake_ = false;
    for (auto& q : lanes_) q.clear();
    unacked_.clear();
    window_bytes_ = 0;
    dead_in_flight_ = 0;
    replay_dead_ = false;
    rewind_to_.reset();
  }
  threads_.emplace_back([this] { read_loop(); });
  for (size_t i = 0; i < lanes_.size(); ++i) threads_.emplace_back([this, i] { lane_loop(i); });
  return Status::ok();
}

void SinkRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || threads_.empty()) return;
    stopping_ = true;
  }
  cv_reader_.notify_all();
  cv_lanes_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::unique_lock<std::mutex> lock(mu_);
  save_cursor_locked(lock, /*force=*/true);
}

void SinkRunner::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A full window waits for a lane to finish, not for new records.
    if (wake_ || window_full_locked()) return;
    wake_ = true;
  }
  cv_reader_.notify_one();
}

uint64_t SinkRunner::cursor() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursor_locked();
}

SinkStatus SinkRunner::status() const {
  SinkStatus s;
  s.name = config_.name;
  s.type = config_.type;
  // Outside mu_: on a shared store this is a round trip. 0 when the store cannot answer.
  auto end = outbox_.next_outbox_seq();
  s.outbox_end = end.ok() ? *end : 0;
  std::lock_guard<std::mutex> lock(mu_);
  s.breaker = state_name(breaker_.state());
  s.breaker_opened = breaker_.times_opened();
  s.cursor = cursor_locked();
  s.lag_events = s.outbox_end > s.cursor ? s.outbox_end - s.cursor : 0;
  s.lag_seconds = unacked_.empty() ? 0 : std::max(0.0, unix_seconds() - unacked_.begin()->second);
  s.delivered = delivered_;
  s.failed_tries = failed_tries_;
  s.dead_lettered = dead_lettered_;
  s.dead_letters_redelivered = redelivered_;
  s.window_bytes = window_bytes_;
  s.timeout_ms = static_cast<uint64_t>(timeout_locked().count());
  s.latency = &latency_;
  return s;
}

void SinkRunner::replay_from(uint64_t from) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    rewind_to_ = from;
    wake_ = true;
  }
  cv_reader_.notify_one();
}

void SinkRunner::replay_dead_letters() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    replay_dead_ = true;
    dead_next_ = 0;
    wake_ = true;
  }
  cv_reader_.notify_one();
}

std::chrono::milliseconds SinkRunner::timeout_locked() const {
  if (config_.timeout_ms > 0) return std::chrono::milliseconds(config_.timeout_ms);
  if (recent_.size() < 5) return std::chrono::milliseconds(2000);
  std::vector<double> v(recent_.begin(), recent_.end());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  double ms = 1.5 * v[v.size() / 2] * 1000.0;
  return std::chrono::milliseconds(static_cast<int64_t>(std::clamp(ms, 200.0, 30000.0)));
}

void SinkRunner::save_cursor_locked(std::unique_lock<std::mutex>& lock, bool force) {
  uint64_t c = cursor_locked();
  auto now = Clock::now();
  if (c == saved_cursor_ || (!force && now - saved_at_ < std::chrono::milliseconds(200))) return;
  lock.unlock();
  bool saved = outbox_.save_cursor(config_.name, c).is_ok();
  lock.lock();
  if (saved) {
    saved_cursor_ = c;
    saved_at_ = now;
  }
}

size_t SinkRunner::lane_of(const OutEvent& e) const {
  size_t h = std::hash<std::string>{}(e.bot);
  h ^= std::hash<std::string>{}(e.conversation) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h % lanes_.size();
}

bool SinkRunner::wanted(const OutEvent& e) const {
  return config_.types.empty() || std::find(config_.types.begin(), config_.types.end(), e.type) != config_.types.end();
}

void SinkRunner::enqueue_locked(std::shared_ptr<OutEvent> e) {
  window_bytes_ += e->record.size();
  if (!e->dead_letter) unacked_.emplace(e->position, e->ts);
  lanes_[lane_of(*e)].push_back(std::move(e));
}

void SinkRunner::read_loop() {
  const size_t chunk = std::max<size_t>(config_.batch * lanes_.size(), 64);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    bool progressed = false;
    if (rewind_to_ && unacked_.empty() && !dead_in_flight_) {
      next_read_ = *rewind_to_;  // nothing in flight: start over from there
      rewind_to_.reset();
      save_cursor_locked(lock, /*force=*/true);
    }
    if (replay_dead_ && !window_full_locked()) {
      uint64_t from = dead_next_;
      lock.unlock();
      auto dead = outbox_.read_dead_letters(config_.name, from, chunk);
      lock.lock();
      if (dead.ok()) {
        if (dead->empty()) replay_dead_ = false;
        for (auto& r : *dead) {
          dead_next_ = r.seq + 1;
          auto e = std::make_shared<OutEvent>();
          if (!to_event(std::move(r), *e)) continue;
          e->dead_letter = true;
          ++dead_in_flight_;
          enqueue_locked(std::move(e));
        }
        progressed = !dead->empty();
      }
    }
    if (!rewind_to_ && !window_full_locked()) {
      uint64_t from = next_read_;
      lock.unlock();
      auto records = outbox_.read_outbox(from, chunk);
      lock.lock();
      if (records.ok() && !records->empty() && !rewind_to_) {
        for (auto& r : *records) {
          next_read_ = r.seq + 1;
          auto e = std::make_shared<OutEvent>();
          if (!to_event(std::move(r), *e) || !wanted(*e)) continue;
          enqueue_locked(std::move(e));
        }
        progressed = true;
      }
    }
    if (progressed) cv_lanes_.notify_all();
    save_cursor_locked(lock, /*force=*/false);
    if (!progressed || window_full_locked()) {
      cv_reader_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_ || wake_; });
      wake_ = false;
    }
  }
}

void SinkRunner::lane_loop(size_t lane) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_lanes_.wait(lock, [&] { return stopping_ || !lanes_[lane].empty(); });
    if (stopping_) return;
    std::vector<std::shared_ptr<OutEvent>> taken;
    auto& q = lanes_[lane];
    while (!q.empty() && taken.size() < config_.batch) {
      taken.push_back(std::move(q.front()));
      q.pop_front();
    }
    lock.unlock();
    bool done = deliver(taken);
    lock.lock();
    for (const auto& e : taken) {
      window_bytes_ -= e->record.size();
      if (e->dead_letter) {
        --dead_in_flight_;
      } else if (done) {
        unacked_.erase(e->position);
      }
    }
    if (!done) {
      // Stopping mid-retry: the events stay unacknowledged and are delivered after restart.
      return;
    }
    wake_ = true;
    cv_reader_.notify_one();
  }
}

bool SinkRunner::deliver(const std::vector<std::shared_ptr<OutEvent>>& events) {
  Batch batch;
  batch.reserve(events.size());
  for (const auto& e : events) batch.push_back(e.get());
  const bool redelivery = events.front()->dead_letter;
  uint32_t attempt = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    if (!breaker_.allow(now)) {
      auto until = breaker_.state() == Breaker::State::kOpen ? breaker_.reopens_at() : now + std::chrono::milliseconds(50);
      cv_lanes_.wait_until(lock, until, [&] { return stopping_; });
      continue;
    }
    auto timeout = timeout_locked();
    lock.unlock();
    auto start = Clock::now();
    Status s = sink_->deliver(batch, timeout);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    lock.lock();
    breaker_.record(s.is_ok(), Clock::now());
    if (s.is_ok()) {
      latency_.observe(seconds);
      recent_.push_back(seconds);
      if (recent_.size() > 64) recent_.pop_front();
      delivered_ += events.size();
      if (redelivery) {
        redelivered_ += events.size();
        std::vector<uint64_t> positions;
        for (const auto& e : events) positions.push_back(e->position);
        lock.unlock();
        outbox_.delete_dead_letters(config_.name, positions);
        lock.lock();
      }
      return true;
    }
    ++failed_tries_;
    ++attempt;
    if (attempt >= config_.retry.max_attempts) {
      if (redelivery) return true;  // still dead: it stays in the dead-letter store
      std::vector<store::OutboxRecord> dead;
      for (const auto& e : events) dead.push_back({e->position, e->record});
      lock.unlock();
      Status put = outbox_.put_dead_letters(config_.name, dead);
      lock.lock();
      if (put.is_ok()) {
        dead_lettered_ += events.size();
        return true;
      }
      attempt = config_.retry.max_attempts - 1;  // cannot park them: keep trying the sink
    }
    auto delay = backoff_delay(config_.retry, attempt, rng_);
    cv_lanes_.wait_for(lock, delay, [&] { return stopping_; });
  }
  return false;
}

}  // namespace parley::events
