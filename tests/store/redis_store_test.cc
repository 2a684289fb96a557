// The Redis store against a real redis-server started by the test.
#include "store/redis/redis_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "events/relay.h"
#include "store/turn_record.h"
#include "support/eventually.h"
#include "support/redis_server.h"

namespace parley::store {
namespace {

using parley::testing::turn;
using parley::testing::eventually;
using parley::testing::RedisCluster;
using parley::testing::RedisServer;

// The outbox record of event i of conversation b/c (what the relay parses).
std::string event_record(int i) {
  return R"({"id":"i)" + std::to_string(i) + R"(","type":"user","bot":"b","conversation":"c","seq":)" +
         std::to_string(i + 1) + R"(,"turn":1,"ts":1,"data":{}})";
}

// A sink that counts what it is given.
struct CountingSink : events::Sink {
  explicit CountingSink(std::atomic<size_t>* n) : n(n) {}
  std::atomic<size_t>* n;
  Status deliver(const events::Batch& b, std::chrono::milliseconds) override {
    *n += b.size();
    return Status::ok();
  }
};

std::shared_ptr<RedisStore> open_url(const std::string& url) {
  RedisStoreOptions o;
  o.url = url;
  auto s = open_redis_store(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::shared_ptr<RedisStore> open(const RedisServer& redis) { return open_url(redis.url()); }

// A relay over `store` with one sink "s" that counts what it is given into `n`.
std::unique_ptr<events::Relay> counting_relay(RedisStore& store, std::atomic<size_t>* n, uint64_t claim_ms = 6000) {
  events::EventsConfig config;
  config.relay_claim_ms = claim_ms;
  events::SinkConfig sc;
  sc.name = "s";
  sc.type = "test";
  config.sinks = {sc};
  std::vector<std::unique_ptr<events::Sink>> sinks;
  sinks.push_back(std::make_unique<CountingSink>(n));
  return events::Relay::create(store, config, std::move(sinks)).value();
}

TEST(RedisStore, appends_atomically_if_the_version_matches_and_reads_back) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto store = open(redis);
  ASSERT_TRUE(store);
  ConversationKey key{"pizza", "c/1"};
  EXPECT_EQ(store->load(key, 0)->version, 0u);
  ASSERT_TRUE(store->append_if_version(key, turn(0, {"e0", "e1"}, "m1", "r1", {"o0", "o1"})).is_ok());
  ASSERT_TRUE(store->append_if_version(key, turn(2, {"e2"}, "m2", "r2", {"o2"})).is_ok());
  // A writer that started from an old version cannot write (no fork).
  EXPECT_EQ(store->append_if_version(key, turn(2, {"x"}, "m3", "r3", {"ox"})).code(), Code::kConflict);
  auto c = store->load(key, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->version, 3u);
  EXPECT_EQ(c->turns, 2u);
  EXPECT_EQ(c->events, (std::vector<std::string>{"e0", "e1", "e2"}));
  EXPECT_EQ(store->load(key, 1)->events, (std::vector<std::string>{"e2"}));
  EXPECT_EQ(store->find_reply(key, "m1").value(), std::optional<std::string>("r1"));
  EXPECT_FALSE(store->find_reply(key, "m3").value().has_value()) << "the refused turn wrote nothing";
  EXPECT_EQ(store->read_events(key, 1, 5).value(), (std::vector<std::string>{"e1", "e2"}));
  auto te = store->read_turn_events(key, 1, 10).value();
  ASSERT_EQ(te.size(), 2u);
  EXPECT_EQ(te[0].turn, 1u);
  EXPECT_EQ(te[1].turn, 2u);
  EXPECT_EQ(te[1].text, "e2");
  // Another conversation with a confusable name is separate.
  EXPECT_EQ(store->load({"pizza", "c/1x"}, 0)->version, 0u);
  EXPECT_EQ(store->load({"pizzac", "/1"}, 0)->version, 0u);
  // Snapshots.
  TurnRecord snap = turn(3, {"e3"});
  snap.snapshot = "S";
  ASSERT_TRUE(store->append_if_version(key, std::move(snap)).is_ok());
  ASSERT_TRUE(store->append_if_version(key, turn(4, {"e4"})).is_ok());
  c = store->load(key, 0);
  EXPECT_EQ(c->snapshot, "S");
  EXPECT_EQ(c->snapshot_version, 4u);
  EXPECT_EQ(c->first_loaded, 4u);
  EXPECT_EQ(c->events, (std::vector<std::string>{"e4"}));
  // The outbox, in commit order.
  auto out = store->read_outbox(0, 10).value();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].seq, 0u);
  EXPECT_EQ(out[2].record, "o2");
  EXPECT_EQ(store->next_outbox_seq().value(), 3u);
  EXPECT_EQ(store->read_outbox(2, 10)->front().record, "o2");
  ASSERT_TRUE(store->trim_outbox(2).is_ok());
  EXPECT_EQ(store->first_outbox_seq().value(), 2u);
  // Cursors and dead letters.
  EXPECT_FALSE(store->load_cursor("s").value().has_value());
  ASSERT_TRUE(store->save_cursor("s", 7).is_ok());
  EXPECT_EQ(store->load_cursor("s").value(), std::optional<uint64_t>(7));
  ASSERT_TRUE(store->put_dead_letters("s", {{5, "d5"}, {3, "d3"}}).is_ok());
  auto dead = store->read_dead_letters("s", 0, 10).value();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].seq, 3u);
  EXPECT_EQ(dead[1].record, "d5");
  ASSERT_TRUE(store->delete_dead_letters("s", {3}).is_ok());
  EXPECT_EQ(store->read_dead_letters("s", 0, 10)->size(), 1u);
  EXPECT_TRUE(store->check_writable().is_ok());
}

TEST(RedisStore, two_writers_racing_on_one_conversation_never_fork_it) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto a = open(redis);
  auto b = open(redis);
  ConversationKey key{"bot", "shared"};
  std::atomic<int> applied{0};
  auto writer = [&](RedisStore* s, const std::string& name) {
    for (int i = 0; i < 200; ++i) {
      while (true) {
        uint64_t v = s->load(key, 1)->version;
        Status st = s->append_if_version(key, turn(v, {name + std::to_string(i)}));
        if (st.is_ok()) break;
        ASSERT_EQ(st.code(), Code::kConflict);
      }
      ++applied;
    }
  };
  std::thread ta(writer, a.get(), "a");
  std::thread tb(writer, b.get(), "b");
  ta.join();
  tb.join();
  auto c = a->load(key, 0).value();
  EXPECT_EQ(c.version, 400u);
  EXPECT_EQ(c.turns, 400u);
  // Each writer's events appear once each, in its own order.
  int next_a = 0, next_b = 0;
  for (const auto& e : c.events) {
    if (e[0] == 'a') EXPECT_EQ(e, "a" + std::to_string(next_a++));
    else EXPECT_EQ(e, "b" + std::to_string(next_b++));
  }
  EXPECT_EQ(next_a, 200);
  EXPECT_EQ(next_b, 200);
}

TEST(RedisStore, a_redis_crash_keeps_every_acknowledged_turn_and_the_store_reconnects) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto store = open(redis);
  ConversationKey key{"bot", "crash"};
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->append_if_version(key, turn(i, {"e" + std::to_string(i)})).is_ok());
  redis.kill();  // SIGKILL: with appendfsync always, every acknowledged write is in the AOF
  EXPECT_FALSE(store->check_writable().is_ok());
  EXPECT_EQ(store->append_if_version(key, turn(50, {"lost"})).code(), Code::kUnavailable);
  redis.start();
  ASSERT_TRUE(redis.ready());
  auto c = store->load(key, 0);  // the same store object: it reconnects, and reloads its scripts
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->version, 50u);
  ASSERT_TRUE(store->append_if_version(key, turn(50, {"e50"})).is_ok());
  EXPECT_TRUE(store->check_writable().is_ok());
}

TEST(RedisStore, carries_the_event_relay) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto store = open(redis);
  std::atomic<size_t> delivered{0};
  auto relay = counting_relay(*store, &delivered);
  store->set_commit_listener([r = relay.get()] { r->notify(); });
  ASSERT_TRUE(relay->start().is_ok());
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(store->append_if_version({"b", "c"}, turn(i, {"e"}, "", "", {event_record(i)})).is_ok());
  eventually([&] { return delivered >= 100; }, std::chrono::seconds(4), std::chrono::milliseconds(10));
  EXPECT_EQ(delivered.load(), 100u);
  relay->stop();
  EXPECT_EQ(store->load_cursor("s").value(), std::optional<uint64_t>(100));
}

TEST(RedisStore, one_replica_at_a_time_runs_the_relay_and_another_takes_over_when_it_stops) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto store = open(redis);
  std::atomic<size_t> got_a{0}, got_b{0};
  auto a = counting_relay(*store, &got_a, 600);
  auto b = counting_relay(*store, &got_b, 600);
  ASSERT_TRUE(a->start().is_ok());
  ASSERT_TRUE(b->start().is_ok());
  EXPECT_TRUE(a->delivering());
  EXPECT_FALSE(b->delivering()) << "the claim is held by the first relay";
  auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      ASSERT_TRUE(store->append_if_version({"b", "c"}, turn(i, {"e"}, "", "", {event_record(i)})).is_ok());
    a->notify();
    b->notify();
  };
  write(0, 50);
  eventually([&] { return got_a >= 50; }, std::chrono::seconds(3), std::chrono::milliseconds(10));
  EXPECT_EQ(got_a.load(), 50u);
  EXPECT_EQ(got_b.load(), 0u);
  a->stop();  // the holder goes away; its claim expires
  write(50, 80);
  eventually([&] { return got_b >= 30; }, std::chrono::seconds(5), std::chrono::milliseconds(10));
  EXPECT_TRUE(b->delivering());
  EXPECT_GE(got_b.load(), 30u) << "the other replica took over from the saved cursor";
  EXPECT_LE(got_b.load(), 80u);
}

TEST(RedisStore, leases_fence_out_a_writer_whose_lease_was_taken_over) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto store = open(redis);
  ConversationKey key{"bot", "leased"};
  using std::chrono::milliseconds;
  auto first = store->acquire_lease(key, milliseconds(200), 0);
  ASSERT_TRUE(first.ok());
  EXPECT_GT(*first, 0u);
  EXPECT_EQ(store->acquire_lease(key, milliseconds(200), 0).status().code(), Code::kConflict) << "held by the first";
  EXPECT_EQ(store->acquire_lease(key, milliseconds(200), *first).value(), *first) << "the holder renews";
  std::this_thread::sleep_for(milliseconds(300));  // the first holder stalls past its lease
  auto second = store->acquire_lease(key, milliseconds(5000), 0);
  ASSERT_TRUE(second.ok());
  EXPECT_GT(*second, *first) << "fencing tokens increase";
  TurnRecord stale = turn(0, {"from the stalled holder"});
  stale.fence = *first;
  EXPECT_EQ(store->append_if_version(key, std::move(stale)).code(), Code::kConflict);
  TurnRecord fresh = turn(0, {"from the new holder"});
  fresh.fence = *second;
  ASSERT_TRUE(store->append_if_version(key, std::move(fresh)).is_ok());
  EXPECT_EQ(store->load(key, 0)->events, std::vector<std::string>{"from the new holder"});
  // The successful append released the lease: the next turn need not wait for it to lapse.
  EXPECT_TRUE(store->acquire_lease(key, milliseconds(200), 0).ok());
}


// Two stores (replicas) write 100 conversations at once on a three-master cluster, then both read
// the outbox at once: every record reaches the global stream once (no duplicate from the
// concurrent merges), and each conversation's records keep their commit order.
void write_and_merge(RedisCluster& cluster, const std::function<void()>& meanwhile = {}) {
  auto a = open_url(cluster.url());
  auto b = open_url(cluster.url());
  ASSERT_TRUE(a && b);
  constexpr int kConversations = 100, kTurns = 6;
  std::atomic<int> failures{0};
  auto writer = [&](RedisStore* s, int first) {
    for (int t = 0; t < kTurns; ++t)
      for (int c = first; c < kConversations; c += 2) {
        ConversationKey key{"bot", "conv-" + std::to_string(c)};
        std::string rec = "c" + std::to_string(c) + " t" + std::to_string(t);
        Status st;
        for (int attempt = 0; attempt < 50; ++attempt) {  // a slot on the move: retry as a client would
          st = s->append_if_version(key, turn(t, {rec}, "m" + std::to_string(t), "r", {rec + " a", rec + " b"}));
          if (st.is_ok() || st.code() == Code::kConflict) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!st.is_ok()) {
          ADD_FAILURE() << rec << ": " << st.message();
          ++failures;
        }
      }
  };
  std::thread ta(writer, a.get(), 0), tb(writer, b.get(), 1);
  if (meanwhile) meanwhile();
  ta.join();
  tb.join();
  ASSERT_EQ(failures.load(), 0);

  // The keys are spread over the three masters.
  for (size_t i = 0; i < cluster.size(); ++i)
    EXPECT_NE(RedisCluster::cli(cluster.node(i).port(), "dbsize"), "0\n") << "master " << i << " holds nothing";

  std::vector<OutboxRecord> all;
  std::mutex mu;
  auto reader = [&](RedisStore* s) {
    for (int i = 0; i < 50; ++i) {
      auto r = s->read_outbox(0, 100000);
      ASSERT_TRUE(r.ok()) << r.status().message();
      std::lock_guard<std::mutex> lock(mu);
      if (r->size() > all.size()) all = *r;
    }
  };
  std::thread ra(reader, a.get()), rb(reader, b.get());
  ra.join();
  rb.join();
  ASSERT_EQ(all.size(), size_t(kConversations * kTurns * 2));
  EXPECT_EQ(a->next_outbox_seq().value(), all.size()) << "a record was merged twice";
  std::map<int, int> next;  // conversation -> next expected record index
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i);
    int c = std::stoi(all[i].record.substr(1));
    int t = std::stoi(all[i].record.substr(all[i].record.find(" t") + 2));
    int half = all[i].record.back() == 'a' ? 0 : 1;
    EXPECT_EQ(t * 2 + half, next[c]) << all[i].record << " out of order";
    next[c] = t * 2 + half + 1;
  }
  // Every conversation reads back whole, from either store.
  for (int c = 0; c < kConversations; ++c) {
    auto conv = b->load({"bot", "conv-" + std::to_string(c)}, 0);
    ASSERT_TRUE(conv.ok()) << conv.status().message();
    EXPECT_EQ(conv->version, uint64_t(kTurns));
    EXPECT_EQ(*a->find_reply({"bot", "conv-" + std::to_string(c)}, "m0").value(), "r");
  }
}

TEST(RedisStoreCluster, spreads_conversations_over_three_masters_and_merges_each_outbox_record_once_in_order) {
  RedisCluster cluster(3);
  ASSERT_TRUE(cluster.ready());
  write_and_merge(cluster);
}

// Slots move between masters while the stores write (redis-cli --cluster reshard migrates the
// keys): the stores follow MOVED and ASK redirections and lose nothing.
TEST(RedisStoreCluster, follows_moved_and_ask_while_slots_are_resharded) {
  RedisCluster cluster(3);
  ASSERT_TRUE(cluster.ready());
  auto id = [&](size_t i) {
    std::string s = RedisCluster::cli(cluster.node(i).port(), "cluster myid");
    return s.substr(0, s.find('\n'));
  };
  bool resharded = false;
  write_and_merge(cluster, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string cmd = "redis-cli --cluster reshard 127.0.0.1:" + std::to_string(cluster.node(0).port()) +
                      " --cluster-from " + id(0) + " --cluster-to " + id(1) +
                      " --cluster-slots 2000 --cluster-yes >/dev/null 2>&1";
    resharded = std::system(cmd.c_str()) == 0;
  });
  EXPECT_TRUE(resharded);
}


// A turn's start in one round trip: the lease with the stored version, or the stored reply of a
// retried message id (no lease taken, the caller's own released), or kConflict while another
// replica holds the conversation.
TEST(RedisStore, begin_turn_takes_the_lease_with_the_version_or_returns_the_stored_reply) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  auto a = open(redis);
  auto b = open(redis);
  ConversationKey key{"bot", "begin"};
  const auto ttl = std::chrono::milliseconds(5000);
  auto first = a->begin_turn(key, ttl, 0, "m1");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->reply);
  EXPECT_EQ(first->version, std::optional<uint64_t>(0));
  EXPECT_GT(first->fence, 0u);
  EXPECT_EQ(b->begin_turn(key, ttl, 0, "m1").status().code(), Code::kConflict);
  auto t = turn(0, {"e0", "e1"}, "m1", "reply one");
  t.fence = first->fence;
  ASSERT_TRUE(a->append_if_version(key, t).is_ok());  // releases the lease
  auto retry = b->begin_turn(key, ttl, 0, "m1");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->reply, std::optional<std::string>("reply one"));
  EXPECT_EQ(retry->fence, 0u);
  auto next = b->begin_turn(key, ttl, 0, "m2");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->version, std::optional<uint64_t>(2));
  EXPECT_GT(next->fence, first->fence);
  // Renewal by the holder; a stored reply found by the holder gives its lease back.
  auto renewed = b->begin_turn(key, ttl, next->fence, "m2");
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->fence, next->fence);
  ASSERT_TRUE(b->begin_turn(key, ttl, next->fence, "m1")->reply.has_value());
  auto free_again = a->begin_turn(key, ttl, 0, "");
  ASSERT_TRUE(free_again.ok()) << "the holder's lease was not released";
}

}  // namespace
}  // namespace parley::store
