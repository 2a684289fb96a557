#include "events/relay.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include "core/json.h"
#include "events/breaker.h"

namespace parley::events {

namespace {

using Clock = std::chrono::steady_clock;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The fields the relay needs from a record; false when it is not an event record. Only the header
// is parsed: every field the relay reads comes before "data" (events/record.h), the header's strings
// cannot hold the byte sequence ,"data": (their quotes are escaped), so its first occurrence is the
// data key.
bool parse_record(store::OutboxRecord&& r, OutEvent& e) {
  boost::system::error_code ec;
  std::string_view text = r.record;
  size_t end = text.find(",\"data\":");
  std::string header;
  if (end != std::string_view::npos) {
    header.reserve(end + 1);
    header.append(text.substr(0, end)).push_back('}');
    text = header;
  }
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  e.position = r.seq;
  if (auto s = json_str(o, "id")) e.id = *s;
  if (auto s = json_str(o, "type")) e.type = *s;
  if (auto s = json_str(o, "bot")) e.bot = *s;
  if (auto s = json_str(o, "conversation")) e.conversation = *s;
  if (auto t = json_get(o, "ts"); t && t->is_number()) e.ts = t->to_number<double>(ec);
  e.record = std::move(r.record);
  return true;
}

}  // namespace

// One sink's delivery machinery: a reader thread that fills the window from the outbox and
// `lanes` threads that deliver.
class Relay::Runner {
 public:
  Runner(store::Outbox& outbox, SinkConfig config, std::unique_ptr<Sink> sink)
      : outbox_(outbox), config_(std::move(config)), sink_(std::move(sink)), breaker_(config_.breaker),
        lanes_(config_.max_in_flight) {
    rng_.seed(std::hash<std::string>{}(config_.name));
  }
  ~Runner() { stop(); }

  const SinkConfig& config() const { return config_; }

  Status start() {
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

  void stop() {
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

  void notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A full window waits for a lane to finish, not for new records.
      if (wake_ || window_full_locked()) return;
      wake_ = true;
    }
    cv_reader_.notify_one();
  }

  uint64_t cursor() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cursor_locked();
  }

  SinkStatus status() const {
    SinkStatus s;
    s.name = config_.name;
    s.type = config_.type;
    std::lock_guard<std::mutex> lock(mu_);
    s.breaker = state_name(breaker_.state());
    s.breaker_opened = breaker_.times_opened();
    s.cursor = cursor_locked();
    s.outbox_end = outbox_.next_outbox_seq();
    s.lag_events = s.outbox_end > s.cursor ? s.outbox_end - s.cursor : 0;
    s.lag_seconds = unacked_.empty() ? 0 : std::max(0.0, unix_now() - unacked_.begin()->second);
    s.delivered = delivered_;
    s.failed_tries = failed_tries_;
    s.dead_lettered = dead_lettered_;
    s.dead_letters_redelivered = redelivered_;
    s.window_bytes = window_bytes_;
    s.timeout_ms = static_cast<uint64_t>(timeout_locked().count());
    s.latency = &latency_;
    return s;
  }

  void replay_from(uint64_t from) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      rewind_to_ = from;
      wake_ = true;
    }
    cv_reader_.notify_one();
  }

  void replay_dead_letters() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      replay_dead_ = true;
      dead_next_ = 0;
      wake_ = true;
    }
    cv_reader_.notify_one();
  }

 private:
  uint64_t cursor_locked() const { return unacked_.empty() ? next_read_ : unacked_.begin()->first; }

  std::chrono::milliseconds timeout_locked() const {
    if (config_.timeout_ms > 0) return std::chrono::milliseconds(config_.timeout_ms);
    if (recent_.size() < 5) return std::chrono::milliseconds(2000);
    std::vector<double> v(recent_.begin(), recent_.end());
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    double ms = 1.5 * v[v.size() / 2] * 1000.0;
    return std::chrono::milliseconds(static_cast<int64_t>(std::clamp(ms, 200.0, 30000.0)));
  }

  // Writes the cursor with `lock` released: the store's committer calls notify() (which takes
  // mu_) while it holds the store's lock, so holding mu_ across a store write inverts the lock
  // order (TSan in make tsan) and stalls every commit behind the relay's write.
  void save_cursor_locked(std::unique_lock<std::mutex>& lock, bool force) {
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

  bool window_full_locked() const { return window_bytes_ >= config_.window_bytes; }

  size_t lane_of(const OutEvent& e) const {
    size_t h = std::hash<std::string>{}(e.bot);
    h ^= std::hash<std::string>{}(e.conversation) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h % lanes_.size();
  }

  bool wanted(const OutEvent& e) const {
    return config_.types.empty() || std::find(config_.types.begin(), config_.types.end(), e.type) != config_.types.end();
  }

  void enqueue_locked(std::shared_ptr<OutEvent> e) {
    window_bytes_ += e->record.size();
    if (!e->dead_letter) unacked_.emplace(e->position, e->ts);
    lanes_[lane_of(*e)].push_back(std::move(e));
  }

  void read_loop() {
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
            if (!parse_record(std::move(r), *e)) continue;
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
            if (!parse_record(std::move(r), *e) || !wanted(*e)) continue;
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

  void lane_loop(size_t lane) {
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

  // Delivers one batch with the breaker, timeout and retries; false only when stopping first.
  bool deliver(const std::vector<std::shared_ptr<OutEvent>>& events) {
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

  store::Outbox& outbox_;
  const SinkConfig config_;
  std::unique_ptr<Sink> sink_;

  mutable std::mutex mu_;
  std::condition_variable cv_reader_;  // new records, a lane done, a replay request
  std::condition_variable cv_lanes_;   // events queued for the lanes
  Breaker breaker_;
  std::vector<std::deque<std::shared_ptr<OutEvent>>> lanes_;
  std::map<uint64_t, double> unacked_;  // position -> event time, read and not yet done
  uint64_t next_read_ = 0;
  size_t window_bytes_ = 0;
  bool stopping_ = false;
  bool wake_ = false;
  std::optional<uint64_t> rewind_to_;
  bool replay_dead_ = false;
  uint64_t dead_next_ = 0;
  size_t dead_in_flight_ = 0;
  uint64_t saved_cursor_ = 0;
  Clock::time_point saved_at_{};
  std::deque<double> recent_;  // seconds of the last successful deliveries
  std::mt19937_64 rng_;
  store::Histogram latency_{store::Histogram::latency_bounds()};
  uint64_t delivered_ = 0, failed_tries_ = 0, dead_lettered_ = 0, redelivered_ = 0;
  std::vector<std::thread> threads_;
};

struct Relay::State {
  store::Outbox& outbox;
  EventsConfig config;
  std::vector<std::unique_ptr<Runner>> runners;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool started = false;
  std::thread trimmer;
  std::deque<std::pair<Clock::time_point, uint64_t>> checkpoints;  // (when, every sink's cursor)
  uint64_t trimmed = 0;  // everything below is trimmed
  std::string owner;     // this process, for the relay claim
  std::atomic<bool> running{false};  // runners started (this process holds the claim)

  State(store::Outbox& o, EventsConfig c) : outbox(o), config(std::move(c)) {}
};

Relay::Relay(store::Outbox& outbox, EventsConfig config) : state_(std::make_unique<State>(outbox, std::move(config))) {}

Result<std::unique_ptr<Relay>> Relay::create(store::Outbox& outbox, EventsConfig config,
                                             std::vector<std::unique_ptr<Sink>> sinks) {
  std::unique_ptr<Relay> relay(new Relay(outbox, config));
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    std::unique_ptr<Sink> sink;
    if (i < sinks.size() && sinks[i]) {
      sink = std::move(sinks[i]);
    } else {
      auto made = make_sink(config.sinks[i]);
      if (!made.ok()) return Status::invalid("sink '" + config.sinks[i].name + "': " + made.status().message());
      sink = std::move(made).value();
    }
    relay->state_->runners.push_back(std::make_unique<Runner>(outbox, config.sinks[i], std::move(sink)));
  }
  return relay;
}

Relay::~Relay() { stop(); }

namespace {

std::string process_owner() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}
}  // namespace

Status Relay::claim_and_run() {
  auto claimed = state_->outbox.claim_relay(state_->owner, std::chrono::milliseconds(state_->config.relay_claim_ms));
  bool holds = claimed.ok() && *claimed;  // a store that cannot answer: not ours for now
  if (holds && !state_->running) {
    for (auto& r : state_->runners)
      if (Status s = r->start(); !s) return s;
    state_->running = true;
  } else if (!holds && state_->running) {
    for (auto& r : state_->runners) r->stop();
    state_->running = false;
  }
  return Status::ok();
}

Status Relay::start() {
  state_->owner = process_owner();
  if (Status s = claim_and_run(); !s) return s;
  state_->started = true;
  state_->trimmer = std::thread([this] {
    std::unique_lock<std::mutex> lock(state_->mu);
    const auto every = std::chrono::milliseconds(state_->config.relay_claim_ms / 3);
    auto next_claim = Clock::now() + every;
    auto next_trim = Clock::now() + std::chrono::seconds(1);
    while (!state_->stopping) {
      state_->cv.wait_until(lock, std::min(next_claim, next_trim), [&] { return state_->stopping; });
      if (state_->stopping) break;
      lock.unlock();
      if (Clock::now() >= next_claim) {
        claim_and_run();
        next_claim = Clock::now() + every;
      }
      if (Clock::now() >= next_trim) {
        if (state_->running) trim_now(Clock::now());
        next_trim = Clock::now() + std::chrono::seconds(1);
      }
      lock.lock();
    }
  });
  return Status::ok();
}

bool Relay::delivering() const { return state_->running; }

void Relay::stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return;
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (state_->trimmer.joinable()) state_->trimmer.join();
  for (auto& r : state_->runners) r->stop();
}

void Relay::notify() {
  for (auto& r : state_->runners) r->notify();
}

Status Relay::trim_now(Clock::time_point now) {
  if (state_->runners.empty()) return Status::ok();
  uint64_t low = UINT64_MAX;
  for (auto& r : state_->runners) low = std::min(low, r->cursor());
  std::lock_guard<std::mutex> lock(state_->mu);
  auto& cps = state_->checkpoints;
  if (cps.empty() || cps.back().second != low) cps.emplace_back(now, low);
  // The newest checkpoint old enough: everything below its cursor was acknowledged at least
  // retain_acknowledged_s ago.
  auto retain = std::chrono::seconds(state_->config.retain_acknowledged_s);
  std::optional<uint64_t> below;
  while (!cps.empty() && now - cps.front().first >= retain) {
    below = cps.front().second;
    cps.pop_front();
  }
  if (!below) return Status::ok();
  cps.emplace_front(now - retain, *below);  // keep it: later checkpoints may not be old enough yet
  if (*below <= state_->trimmed) return Status::ok();
  Status s = state_->outbox.trim_outbox(*below);
  if (s.is_ok()) state_->trimmed = *below;
  return s;
}

Relay::Runner* Relay::find(const std::string& name) const {
  for (auto& r : state_->runners)
    if (r->config().name == name) return r.get();
  return nullptr;
}

bool Relay::has_sink(const std::string& name) const { return find(name) != nullptr; }

std::vector<SinkStatus> Relay::status() const {
  std::vector<SinkStatus> out;
  for (auto& r : state_->runners) out.push_back(r->status());
  return out;
}

Status Relay::replay_from(const std::string& sink, uint64_t from) {
  Runner* r = find(sink);
  if (!r) return Status::not_found("no sink named '" + sink + "'");
  r->replay_from(from);
  return Status::ok();
}

Result<uint64_t> Relay::position_at(double ts) {
  auto first = state_->outbox.first_outbox_seq();
  if (!first.ok()) return first.status();
  uint64_t lo = *first, hi = state_->outbox.next_outbox_seq();
  // Event times grow with commit order (up to clock steps): binary search on them.
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    auto rec = state_->outbox.read_outbox(mid, 1);
    if (!rec.ok()) return rec.status();
    if (rec->empty()) {
      hi = mid;
      continue;
    }
    OutEvent e;
    uint64_t pos = rec->front().seq;
    if (!parse_record(std::move(rec->front()), e) || e.ts < ts) lo = pos + 1;
    else hi = mid;
  }
  return lo;
}

Status Relay::replay_dead_letters(const std::string& sink) {
  Runner* r = find(sink);
  if (!r) return Status::not_found("no sink named '" + sink + "'");
  r->replay_dead_letters();
  return Status::ok();
}

Result<std::vector<store::OutboxRecord>> Relay::dead_letters(const std::string& sink, uint64_t from, size_t max) {
  if (!find(sink)) return Status::not_found("no sink named '" + sink + "'");
  return state_->outbox.read_dead_letters(sink, from, max);
}

}  // namespace parley::events
