// The turn pipeline with a real RocksDB store and real bots: replies and stored turns, order
// per conversation under concurrency (G1), dedup also across a restart (G3), bounded mailboxes,
// reloads, the byte-bounded cache, and custom actions that hang.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "runtime/engine_fixture.h"
#include "runtime/stats.h"
#include "store/stats.h"

namespace parley::runtime {
namespace {

using parley::testing::EngineHarness;
using parley::testing::texts;
using namespace std::chrono_literals;

TEST(Engine, replies_and_commits_each_turn) {
  EngineHarness h;
  h.start();
  auto r1 = h.send("alice", "hi");
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  EXPECT_EQ(texts(*r1), std::vector<std::string>{"Hello!"});
  EXPECT_EQ(r1->turn, 1u);
  EXPECT_EQ(r1->conversation, "alice");
  EXPECT_FALSE(r1->replayed);

  auto r2 = h.send("alice", "message 17");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(texts(*r2), std::vector<std::string>{"Got message 17."});
  EXPECT_EQ(r2->turn, 2u);

  EXPECT_EQ(h.user_texts("alice"), (std::vector<std::string>{"hi", "message 17"}));
  auto events = h.stored_events("alice");
  EXPECT_EQ(events.front().at("event"), "action");  // the session starts with the first message
  EXPECT_EQ(events.front().at("name"), "action_session_start");

  auto view = h.engine().conversation("clock", "alice");
  ASSERT_TRUE(view.ok()) << view.status().to_string();
  EXPECT_EQ(view->at("version").as_uint64(), events.size());
  EXPECT_EQ(view->at("turns").as_uint64(), 2u);
  EXPECT_EQ(view->at("slots").at("last_text"), "message 17");
  EXPECT_EQ(view->at("events").as_array().size(), events.size());

  // Every event has its outbox record, in order, with the event inside.
  auto outbox = h.store().read_outbox(0, 1000).value();
  ASSERT_EQ(outbox.size(), events.size());
  auto last = json::parse(outbox.back().record).as_object();
  EXPECT_EQ(last.at("bot"), "clock");
  EXPECT_EQ(last.at("conversation"), "alice");
  EXPECT_EQ(last.at("seq").as_int64(), static_cast<int64_t>(events.size()));
  EXPECT_EQ(last.at("turn").as_int64(), 2);
  EXPECT_EQ(last.at("data"), json::value(events.back()));
  EXPECT_EQ(last.at("id").as_string().size(), 36u);

  const EngineStats& stats = h.engine().stats();
  EXPECT_EQ(stats.cache_misses.load(), 1u);
  EXPECT_EQ(stats.cache_hits.load(), 1u);
  EXPECT_EQ(stats.turn_seconds.count(), 2u);
  ASSERT_NE(stats.store, nullptr);
  EXPECT_EQ(stats.store->appends.load(), 2u);
}

TEST(Engine, unknown_bot_and_empty_conversation_are_refused) {
  EngineHarness h;
  h.start();
  EXPECT_EQ(h.send("alice", "hi", "", "nobot").status().code(), Code::kNotFound);
  EXPECT_EQ(h.send("", "hi").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(h.engine().conversation("nobot", "x").status().code(), Code::kNotFound);
  EXPECT_EQ(h.engine().rasa_tracker("clock", "x", "SOME").status().code(), Code::kInvalidArgument);
}

TEST(Engine, turns_of_a_conversation_are_stored_in_the_order_they_were_acknowledged) {
  EngineOptions options;
  options.max_queue_per_conversation = 10000;
  EngineHarness h(options);
  h.start();
  constexpr int kThreads = 8, kPerThread = 30, kConversations = 5;
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> acked;  // conversation -> texts in ack order
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t + 1);
      for (int i = 0; i < kPerThread; ++i) {
        std::string conv = "c" + std::to_string(rng() % kConversations);
        std::string text = "message " + std::to_string(t * 1000 + i);
        MessageRequest r{"clock", conv, "", text};
        h.engine().handle_message(std::move(r), [&, conv, text](Result<MessageReply> reply) {
          std::lock_guard<std::mutex> lock(mu);
          if (reply.ok()) acked[conv].push_back(text);
          else ++failed;
          ++answered;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 600 && answered < kThreads * kPerThread; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  size_t total = 0;
  for (int c = 0; c < kConversations; ++c) {
    std::string conv = "c" + std::to_string(c);
    auto stored = h.user_texts(conv);
    EXPECT_EQ(stored, acked[conv]) << conv;
    total += stored.size();
    // Each sender's messages to one conversation keep their sending order (arrival order).
    std::map<int, int> last_of_thread;
    for (const auto& text : stored) {
      int n = std::stoi(text.substr(8));
      int t = n / 1000, i = n % 1000;
      auto it = last_of_thread.find(t);
      if (it != last_of_thread.end()) {
        EXPECT_LT(it->second, i) << conv << " " << text;
      }
      last_of_thread[t] = i;
    }
    auto view = h.engine().conversation("clock", conv);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->at("turns").as_uint64(), stored.size());
  }
  EXPECT_EQ(total, size_t{kThreads} * kPerThread);
}

TEST(Engine, a_repeated_message_id_gets_the_stored_reply_and_appends_nothing) {
  EngineHarness h;
  h.start();
  auto first = h.send("alice", "message 1", "id-1");
  ASSERT_TRUE(first.ok());
  auto version = h.stored_events("alice").size();
  auto again = h.send("alice", "message 2 (a retry with other text)", "id-1");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(texts(*again), texts(*first));
  EXPECT_EQ(again->turn, first->turn);
  EXPECT_EQ(h.stored_events("alice").size(), version);
  // Ids belong to their conversation.
  auto other = h.send("bob", "message 1", "id-1");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->replayed);
  EXPECT_EQ(h.engine().stats().turn_count("clock", TurnOutcome::kReplayed), 1u);
}

TEST(Engine, dedup_holds_after_closing_and_reopening_the_store) {
  EngineHarness h;
  h.start();
  auto first = h.send("alice", "hi", "id-1");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(h.send("alice", "message 2", "id-2").ok());
  h.stop();
  h.start();
  auto version = h.stored_events("alice").size();
  auto again = h.send("alice", "hi", "id-1");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(texts(*again), std::vector<std::string>{"Hello!"});
  EXPECT_EQ(again->turn, 1u);
  EXPECT_EQ(h.stored_events("alice").size(), version);
  // The conversation goes on from its stored state.
  auto next = h.send("alice", "message 3", "id-3");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->turn, 3u);
  EXPECT_EQ(h.user_texts("alice"), (std::vector<std::string>{"hi", "message 2", "message 3"}));
}

TEST(Engine, a_full_mailbox_answers_unavailable) {
  EngineOptions options;
  options.max_queue_per_conversation = 2;
  options.action_timeout = 1500ms;
  EngineHarness h(options);
  h.start();
  h.actions().hang("stuck");
  auto blocked = h.send_async("stuck", "what time is it");  // runs, waits for its action
  std::this_thread::sleep_for(200ms);
  auto q1 = h.send_async("stuck", "hi");
  auto q2 = h.send_async("stuck", "hi");
  auto refused = h.send("stuck", "hi");
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_TRUE(h.send("free", "hi").ok());  // other conversations are not affected
  EXPECT_TRUE(blocked.get().ok());
  EXPECT_TRUE(q1.get().ok());
  EXPECT_TRUE(q2.get().ok());
  EXPECT_EQ(h.engine().stats().turn_count("clock", TurnOutcome::kRejected), 1u);
}

TEST(Engine, the_engine_wide_bound_answers_unavailable) {
  EngineOptions options;
  options.max_pending_turns = 2;
  options.action_timeout = 1500ms;
  EngineHarness h(options);
  h.start();
  h.actions().hang("a");
  h.actions().hang("b");
  auto a = h.send_async("a", "what time is it");
  auto b = h.send_async("b", "what time is it");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(h.send("c", "hi").status().code(), Code::kUnavailable);
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_TRUE(h.send("c", "hi").ok());
}

TEST(Engine, reload_swaps_the_bot_keeps_conversations_and_refuses_a_broken_version) {
  EngineHarness h;
  h.start();
  ASSERT_TRUE(h.send("alice", "message 1").ok());
  uint64_t v1 = h.engine().bots().front().version;

  parley::testing::write_test_bot(h.bot_dir(), "Hello again!");
  auto reloaded = h.engine().reload_bot("clock");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().to_string();
  EXPECT_GT(h.engine().bots().front().version, v1);
  auto r = h.send("alice", "hi");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(texts(*r), std::vector<std::string>{"Hello again!"});
  EXPECT_EQ(r->turn, 2u);  // the same conversation, its tracker kept
  EXPECT_EQ(h.engine().stats().cache_misses.load(), 1u);

  // A rule that uses an action the domain lacks: the new version does not validate.
  std::ofstream(h.bot_dir() + "/data/rules.yml")
      << "version: \"3.1\"\nrules:\n- rule: greet\n  steps:\n  - intent: greet\n  - action: utter_missing\n";
  auto broken = h.engine().reload_bot("clock");
  EXPECT_EQ(broken.status().code(), Code::kInvalidArgument);
  EXPECT_NE(broken.status().message().find("utter_missing"), std::string::npos) << broken.status().message();
  auto still = h.send("alice", "hi");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(texts(*still), std::vector<std::string>{"Hello again!"});
  EXPECT_EQ(h.engine().reload_bot("nobot").status().code(), Code::kNotFound);
  EXPECT_FALSE(h.engine().reload_all().is_ok());
}

TEST(Engine, an_evicted_tracker_reloads_from_the_store_unchanged) {
  EngineOptions options;
  options.cache_bytes = 48 << 10;
  options.snapshot_every = 2;  // reloads go through a snapshot plus the events after it
  EngineHarness h(options);
  h.start();
  for (const char* text : {"hi", "message 1", "what time is it"}) ASSERT_TRUE(h.send("alice", text).ok());
  const EngineStats& stats = h.engine().stats();
  auto cached_view = h.engine().rasa_tracker("clock", "alice", "APPLIED");
  auto cached_native = h.engine().conversation("clock", "alice");
  ASSERT_TRUE(cached_view.ok() && cached_native.ok());
  EXPECT_EQ(stats.cache_entries.load(), 1);

  for (int i = 0; i < 60; ++i) ASSERT_TRUE(h.send("other" + std::to_string(i), "message " + std::to_string(i)).ok());
  EXPECT_GT(stats.cache_evictions.load(), 0u);
  EXPECT_LE(stats.cache_bytes.load(), int64_t{48 << 10});

  auto stored_view = h.engine().rasa_tracker("clock", "alice", "APPLIED");
  auto stored_native = h.engine().conversation("clock", "alice");
  ASSERT_TRUE(stored_view.ok() && stored_native.ok());
  EXPECT_EQ(json::serialize(*stored_view), json::serialize(*cached_view));
  EXPECT_EQ(json::serialize(*stored_native), json::serialize(*cached_native));

  uint64_t misses = stats.cache_misses.load();
  auto next = h.send("alice", "message 4");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(stats.cache_misses.load(), misses + 1);  // alice had been evicted
  EXPECT_EQ(next->turn, 4u);
  EXPECT_EQ(texts(*next), std::vector<std::string>{"Got message 4."});
}

TEST(Engine, rasa_tracker_has_rasa_shape) {
  EngineHarness h;
  h.start();
  ASSERT_TRUE(h.send("alice", "hi", "m-1").ok());
  auto t = h.engine().rasa_tracker("clock", "alice", "AFTER_RESTART");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at("sender_id"), "alice");
  EXPECT_EQ(t->at("latest_message").at("text"), "hi");
  EXPECT_EQ(t->at("latest_message").at("intent").at("name"), "greet");
  EXPECT_EQ(t->at("latest_message").at("message_id"), "m-1");
  EXPECT_EQ(t->at("latest_action_name"), "action_listen");
  EXPECT_TRUE(t->at("active_loop").as_object().empty());
  EXPECT_EQ(t->at("events").as_array().size(), h.stored_events("alice").size());
  auto none = h.engine().rasa_tracker("clock", "alice", "NONE");
  EXPECT_TRUE(none->at("events").is_null());
  auto unknown = h.engine().rasa_tracker("clock", "nobody", "ALL");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->at("events").as_array().empty());
}

TEST(Engine, a_hanging_action_server_delays_only_its_own_conversation) {
  EngineOptions options;
  options.action_timeout = 1500ms;
  EngineHarness h(options);
  h.start();
  h.actions().hang("stuck");
  auto start = std::chrono::steady_clock::now();
  auto stuck = h.send_async("stuck", "what time is it");
  for (int i = 0; i < 3; ++i) {
    auto r = h.send("free", "what time is it");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(texts(*r), std::vector<std::string>{"It is noon."});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_EQ(stuck.wait_for(0ms), std::future_status::timeout);

  auto r = stuck.get();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  ASSERT_TRUE(r.ok()) << r.status().to_string();  // answered with the fallback, not hanging
  bool error_event = false;
  for (const auto& e : h.stored_events("stuck"))
    if (e.at("event") == "parley_error" && e.at("code") == "action_timeout") error_event = true;
  EXPECT_TRUE(error_event);
  EXPECT_EQ(h.engine().stats().action_count(ActionCallStat::kTimeout), 1u);
  EXPECT_EQ(h.engine().stats().action_count(ActionCallStat::kOk), 3u);
  // A late answer is ignored: nothing more is written or answered.
  auto version = h.stored_events("stuck").size();
  h.actions().release();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(h.stored_events("stuck").size(), version);
}

TEST(Engine, a_full_action_bulkhead_fails_fast) {
  EngineOptions options;
  options.action_timeout = 2000ms;
  options.action_max_in_flight_per_bot = 1;
  EngineHarness h(options);
  h.start();
  h.actions().hang("stuck");
  auto stuck = h.send_async("stuck", "what time is it");
  std::this_thread::sleep_for(200ms);
  auto start = std::chrono::steady_clock::now();
  auto r = h.send("free", "what time is it");
  ASSERT_TRUE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_NE(texts(*r), std::vector<std::string>{"It is noon."});
  EXPECT_EQ(h.engine().stats().action_count(ActionCallStat::kRejected), 1u);
  EXPECT_TRUE(stuck.get().ok());
  // Once the stuck call is over, calls go through again.
  auto after = h.send("free", "what time is it");
  EXPECT_EQ(texts(*after), std::vector<std::string>{"It is noon."});
}

TEST(Engine, drain_answers_turns_in_flight_and_refuses_new_ones) {
  EngineOptions options;
  options.action_timeout = 800ms;
  EngineHarness h(options);
  h.start();
  h.actions().hang("stuck");
  auto stuck = h.send_async("stuck", "what time is it");
  std::this_thread::sleep_for(100ms);
  std::promise<void> drained;
  auto drained_f = drained.get_future();
  h.engine().drain([&] { drained.set_value(); });
  EXPECT_EQ(h.send("other", "hi").status().code(), Code::kUnavailable);
  EXPECT_FALSE(h.engine().ready().is_ok());
  EXPECT_EQ(drained_f.wait_for(100ms), std::future_status::timeout);
  EXPECT_TRUE(stuck.get().ok());
  EXPECT_EQ(drained_f.wait_for(5s), std::future_status::ready);
}

TEST(Engine, ready_needs_a_bot_and_a_writable_store) {
  EngineHarness h;
  h.start();
  EXPECT_TRUE(h.engine().ready().is_ok());
  parley::testing::TempDir dir;
  auto store = store::RocksDbStore::open(dir.sub("x"));
  ASSERT_TRUE(store.ok());
  boost::asio::thread_pool pool(1);
  Engine empty({}, store.value(), nullptr, pool.get_executor());
  EXPECT_FALSE(empty.ready().is_ok());
  EXPECT_EQ(empty.load_bots("/nonexistent/bots").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace parley::runtime
