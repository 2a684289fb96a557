#include "events/relay.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "core/json.h"
#include "events/record.h"
#include "events/sink_runner.h"

namespace parley::events {

using Clock = std::chrono::steady_clock;

struct Relay::State {
  // Set by create() and start() before the trimmer thread runs, then read-only.
  store::Outbox& outbox;
  EventsConfig config;
  std::vector<std::unique_ptr<SinkRunner>> runners;
  std::string owner;     // this process, for the relay claim
  bool started = false;
  std::thread trimmer;   // the claim and trim loop; joined by stop()

  // Guarded by mu (cv waits on it).
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::deque<std::pair<Clock::time_point, uint64_t>> checkpoints;  // (when, every sink's cursor)
  uint64_t trimmed = 0;  // everything below is trimmed

  // Written by the claim loop (claim_and_run), read by anyone.
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
    relay->state_->runners.push_back(std::make_unique<SinkRunner>(outbox, config.sinks[i], std::move(sink)));
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
        if (state_->running) trim(Clock::now());
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

Status Relay::trim_now_for_testing(Clock::time_point now) { return trim(now); }

Status Relay::trim(Clock::time_point now) {
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

SinkRunner* Relay::find(const std::string& name) const {
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
  SinkRunner* r = find(sink);
  if (!r) return Status::not_found("no sink named '" + sink + "'");
  r->replay_from(from);
  return Status::ok();
}

Result<uint64_t> Relay::position_at(double ts) {
  auto first = state_->outbox.first_outbox_seq();
  if (!first.ok()) return first.status();
  auto end = state_->outbox.next_outbox_seq();
  if (!end.ok()) return end.status();
  uint64_t lo = *first, hi = *end;
  // Event times grow with commit order (up to clock steps): binary search on them.
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    auto rec = state_->outbox.read_outbox(mid, 1);
    if (!rec.ok()) return rec.status();
    if (rec->empty()) {
      hi = mid;
      continue;
    }
    uint64_t pos = rec->front().seq;
    auto header = parse_record_header(rec->front().record);
    if (!header || header->ts < ts) lo = pos + 1;
    else hi = mid;
  }
  return lo;
}

Status Relay::replay_dead_letters(const std::string& sink) {
  SinkRunner* r = find(sink);
  if (!r) return Status::not_found("no sink named '" + sink + "'");
  r->replay_dead_letters();
  return Status::ok();
}

Result<std::vector<store::OutboxRecord>> Relay::dead_letters(const std::string& sink, uint64_t from, size_t max) {
  if (!find(sink)) return Status::not_found("no sink named '" + sink + "'");
  return state_->outbox.read_dead_letters(sink, from, max);
}

}  // namespace parley::events
