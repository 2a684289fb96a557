// The relay on a real RocksDB outbox with in-process sinks that fail, hang and recover.
#include "support/eventually.h"
#include "events/relay.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "events/record.h"
#include "store/rocksdb/rocksdb_store.h"
#include "support/temp_dir.h"

namespace parley::events {
namespace {

using parley::testing::eventually;

using namespace std::chrono_literals;
using store::RocksDbStore;
using parley::testing::TempDir;

// A sink that records what it got and fails, hangs or answers as told.
class ScriptedSink : public Sink {
 public:
  std::atomic<double> fail_ratio{0};
  std::atomic<bool> hang{false};     // block until the timeout, then fail
  std::atomic<bool> down{false};     // fail at once
  std::atomic<int> calls{0};

  Status deliver(const Batch& batch, std::chrono::milliseconds timeout) override {
    ++calls;
    if (hang) {
      std::this_thread::sleep_for(timeout);
      return Status(Code::kTimeout, "hung");
    }
    if (down) return Status::unavailable("down");
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::uniform_real_distribution<double> u(0, 1);
      if (u(rng_) < fail_ratio) return Status::unavailable("random failure");
      for (const OutEvent* e : batch) {
        ids_.insert(e->id);
        ++received_;
        order_[e->bot + "/" + e->conversation].push_back(seq_of(*e));
      }
    }
    return Status::ok();
  }

  std::set<std::string> ids() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }
  size_t received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  std::map<std::string, std::vector<uint64_t>> order() const {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  static uint64_t seq_of(const OutEvent& e) {
    auto p = e.record.find("\"seq\":");
    return std::stoull(e.record.substr(p + 6));
  }
  mutable std::mutex mu_;
  std::mt19937_64 rng_{42};
  std::set<std::string> ids_;
  size_t received_ = 0;
  std::map<std::string, std::vector<uint64_t>> order_;
};

// Forwards to a ScriptedSink the test keeps (the relay owns the forwarder).
class Forward : public Sink {
 public:
  explicit Forward(ScriptedSink* s) : s_(s) {}
  Status deliver(const Batch& b, std::chrono::milliseconds t) override { return s_->deliver(b, t); }

 private:
  ScriptedSink* s_;
};

SinkConfig sink_config(const std::string& name) {
  SinkConfig c;
  c.name = name;
  c.type = "test";
  c.batch = 20;
  c.timeout_ms = 100;
  c.max_in_flight = 4;
  c.retry = {.max_attempts = 4, .base_ms = 1, .max_ms = 10};
  c.breaker = {.failure_ratio = 0.9, .window = 50, .open_ms = 50};
  return c;
}

// Writes `turns` turns round-robin over `conversations` conversations, 3 events each; returns
// every event id.
std::set<std::string> write_turns(RocksDbStore& store, int turns, int conversations, size_t data_bytes = 40,
                                  int first_turn = 0) {
  std::set<std::string> ids;
  std::map<int, uint64_t> version;
  for (int t = first_turn; t < first_turn + turns; ++t) {
    int c = t % conversations;
    store::ConversationKey key{"bot", "c" + std::to_string(c)};
    auto loaded = store.load(key, 1);
    uint64_t v = loaded->version;
    store::TurnRecord rec;
    rec.expected_version = v;
    for (int i = 0; i < 3; ++i) {
      std::string data = R"({"event":"user","timestamp":1,"text":")" + std::string(data_bytes, 'x') + "\"}";
      std::string record;
      append_event_record(record, {key.bot, key.conversation, v + i + 1, loaded->turns + 1, 1700000000.0 + t, "user"},
                          data, 65536);
      ids.insert(event_id(key.bot, key.conversation, v + i + 1));
      rec.events.push_back(data);
      rec.outbox.push_back(record);
    }
    EXPECT_TRUE(store.append_if_version(key, std::move(rec)).is_ok());
  }
  return ids;
}

std::unique_ptr<Relay> make_relay(RocksDbStore& store, EventsConfig config, std::vector<ScriptedSink*> sinks) {
  std::vector<std::unique_ptr<Sink>> forwards;
  for (auto* s : sinks) forwards.push_back(std::make_unique<Forward>(s));
  auto relay = Relay::create(store, std::move(config), std::move(forwards));
  EXPECT_TRUE(relay.ok()) << relay.status().message();
  return std::move(relay).value();
}

void expect_in_order(const ScriptedSink& sink) {
  // Per conversation, first deliveries come in seq order (re-sends may repeat earlier ones).
  for (const auto& [conv, seqs] : sink.order()) {
    uint64_t high = 0;
    for (uint64_t s : seqs) {
      if (s > high) {
        EXPECT_EQ(s, high + 1) << conv << ": an event arrived before its predecessor";
        high = s;
      }
    }
  }
}

TEST(Relay, delivers_every_event_at_least_once_in_order_through_random_failures) {
  TempDir dir;
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink sink;
  sink.fail_ratio = 0.3;
  EventsConfig config;
  config.sinks = {sink_config("flaky")};
  config.sinks[0].retry.max_attempts = 100;  // nothing dead-lettered in this test
  auto relay = make_relay(*store, config, {&sink});
  store->set_commit_listener([r = relay.get()] { r->notify(); });
  ASSERT_TRUE(relay->start().is_ok());
  auto ids = write_turns(*store, 600, 40);
  ASSERT_TRUE(eventually([&] { return sink.ids().size() == ids.size(); }, 20s)) << sink.ids().size() << " of " << ids.size();
  EXPECT_EQ(sink.ids(), ids);
  expect_in_order(sink);
  auto st = relay->status().front();
  EXPECT_GT(st.failed_tries, 0u);
  EXPECT_TRUE(eventually([&] { return relay->status().front().lag_events == 0; }));
}

TEST(Relay, a_hanging_sink_does_not_delay_a_healthy_one_and_its_breaker_opens_then_closes) {
  TempDir dir;
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink healthy, hanging;
  hanging.hang = true;
  EventsConfig config;
  config.sinks = {sink_config("healthy"), sink_config("hanging")};
  config.sinks[1].retry.max_attempts = 1000;
  config.sinks[1].breaker = {.failure_ratio = 0.5, .window = 4, .open_ms = 300};
  config.sinks[1].window_bytes = 65536;
  auto relay = make_relay(*store, config, {&healthy, &hanging});
  store->set_commit_listener([r = relay.get()] { r->notify(); });
  ASSERT_TRUE(relay->start().is_ok());
  auto ids = write_turns(*store, 300, 30, 200);
  ASSERT_TRUE(eventually([&] { return healthy.ids().size() == ids.size(); }, 10s));
  ASSERT_TRUE(eventually([&] { return relay->status()[1].breaker_opened > 0; }, 10s));
  auto st = relay->status()[1];
  EXPECT_EQ(st.delivered, 0u);
  EXPECT_LE(st.window_bytes, 65536u + 4 * 20 * 600) << "the window bounds what a stuck sink holds in memory";
  EXPECT_EQ(st.lag_events, ids.size());
  hanging.hang = false;  // heals: the probe succeeds, the breaker closes, the backlog drains
  ASSERT_TRUE(eventually([&] { return hanging.ids().size() == ids.size(); }, 20s));
  EXPECT_EQ(relay->status()[1].breaker, "closed");
  expect_in_order(hanging);
}

TEST(Relay, failed_for_good_goes_to_dead_letters_which_replay_delivers) {
  TempDir dir;
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink sink;
  sink.down = true;
  EventsConfig config;
  config.sinks = {sink_config("s")};
  config.sinks[0].breaker = {.failure_ratio = 1.0, .window = 1000, .open_ms = 50};
  auto relay = make_relay(*store, config, {&sink});
  ASSERT_TRUE(relay->start().is_ok());
  auto ids = write_turns(*store, 50, 5);
  relay->notify();
  ASSERT_TRUE(eventually([&] { return relay->status().front().dead_lettered == ids.size(); }));
  EXPECT_EQ(relay->status().front().lag_events, 0u) << "dead-lettered events no longer hold the cursor";
  auto dead = relay->dead_letters("s", 0, 1000);
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->size(), ids.size());
  sink.down = false;
  ASSERT_TRUE(relay->replay_dead_letters("s").is_ok());
  ASSERT_TRUE(eventually([&] { return sink.ids().size() == ids.size(); }));
  EXPECT_EQ(sink.ids(), ids);
  ASSERT_TRUE(eventually([&] { return relay->dead_letters("s", 0, 1000)->empty(); }));
  EXPECT_EQ(relay->status().front().dead_letters_redelivered, ids.size());
  EXPECT_EQ(relay->replay_dead_letters("nope").code(), Code::kNotFound);
}

TEST(Relay, replays_from_a_position_and_from_a_time) {
  TempDir dir;
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink sink;
  EventsConfig config;
  config.retain_acknowledged_s = 3600;
  config.sinks = {sink_config("s")};
  auto relay = make_relay(*store, config, {&sink});
  ASSERT_TRUE(relay->start().is_ok());
  auto ids = write_turns(*store, 40, 4);  // turn t has ts 1700000000 + t, 3 records each
  relay->notify();
  ASSERT_TRUE(eventually([&] { return sink.received() == ids.size(); }));
  ASSERT_TRUE(relay->replay_from("s", 60).is_ok());
  ASSERT_TRUE(eventually([&] { return sink.received() == ids.size() + 60; }));
  auto pos = relay->position_at(1700000000.0 + 30);
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, 90u);
  ASSERT_TRUE(relay->replay_from("s", *pos).is_ok());
  ASSERT_TRUE(eventually([&] { return sink.received() == ids.size() + 60 + 30; }));
  EXPECT_EQ(sink.ids(), ids);
}

TEST(Relay, the_cursor_survives_a_restart_and_filtered_types_are_skipped) {
  TempDir dir;
  std::set<std::string> ids;
  {
    auto store = RocksDbStore::open(dir.path()).value();
    ScriptedSink sink;
    EventsConfig config;
    config.sinks = {sink_config("s")};
    auto relay = make_relay(*store, config, {&sink});
    ASSERT_TRUE(relay->start().is_ok());
    ids = write_turns(*store, 30, 3);
    relay->notify();
    ASSERT_TRUE(eventually([&] { return sink.ids().size() == ids.size(); }));
    relay->stop();
    auto more = write_turns(*store, 30, 3, 40, 30);  // written while the relay is stopped
    ids.insert(more.begin(), more.end());
  }
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink sink, bots_only;
  EventsConfig config;
  config.sinks = {sink_config("s"), sink_config("bots")};
  config.sinks[1].types = {"bot"};
  auto relay = make_relay(*store, config, {&sink, &bots_only});
  ASSERT_TRUE(relay->start().is_ok());
  ASSERT_TRUE(eventually([&] { return sink.ids().size() == 90u; }));
  EXPECT_EQ(sink.received(), 90u) << "only the events written after the saved cursor";
  ASSERT_TRUE(eventually([&] { return relay->status()[1].lag_events == 0; }));
  EXPECT_EQ(bots_only.received(), 0u) << "no bot events were written";
}

TEST(Relay, trims_what_every_sink_acknowledged) {
  TempDir dir;
  auto store = RocksDbStore::open(dir.path()).value();
  ScriptedSink fast, down;
  down.down = true;
  EventsConfig config;
  config.retain_acknowledged_s = 0;
  config.sinks = {sink_config("fast"), sink_config("down")};
  config.sinks[1].retry.max_attempts = 1000000;
  auto relay = make_relay(*store, config, {&fast, &down});
  ASSERT_TRUE(relay->start().is_ok());
  auto ids = write_turns(*store, 20, 2);
  relay->notify();
  ASSERT_TRUE(eventually([&] { return fast.ids().size() == ids.size(); }));
  ASSERT_TRUE(relay->trim_now_for_testing(std::chrono::steady_clock::now()).is_ok());
  EXPECT_EQ(*store->first_outbox_seq(), 0u) << "the down sink still needs everything";
  down.down = false;
  ASSERT_TRUE(eventually([&] { return down.ids().size() == ids.size(); }));
  ASSERT_TRUE(eventually([&] {
    relay->trim_now_for_testing(std::chrono::steady_clock::now());
    return store->first_outbox_seq().value() == store->next_outbox_seq().value();
  }));
  EXPECT_TRUE(store->read_outbox(0, 10)->empty());
}

}  // namespace
}  // namespace parley::events
