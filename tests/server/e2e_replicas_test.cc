// Replicas on one Redis: clients spread every conversation's messages over two `parley serve`
// processes at once, retrying failures with the same id. Every acknowledged message is in its
// tracker exactly once and in each client's order (no fork, no double apply); a Redis restart
// makes the replicas unready, then they recover with nothing acknowledged lost.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/eventually.h"
#include "server/echo_bot.h"
#include "server/event_lists.h"
#include "server/event_receiver.h"
#include "server/server_process.h"
#include "support/redis_server.h"

namespace parley::testing {
namespace {

ServerOptions replica(TempDir& dir, const std::string& redis_url, const std::string& name,
                      const std::string& config_yaml = {}) {
  return ServerOptions{.bots = dir.sub("bots"),
                       .data = dir.sub(name),
                       .env = {{"PARLEY_STORE", "redis"},
                               {"PARLEY_REDIS_URL", redis_url},
                               {"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}},
                       .config_yaml = config_yaml};
}

// Two replicas on the store at redis_url; 24 clients, 4 per conversation, alternate replicas per
// message and per retry. With `receiver`, the replicas deliver events to it and every event of
// every conversation must arrive.
void two_replicas_keep_each_clients_order(const std::string& redis_url, EventReceiver* receiver = nullptr) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  std::string config;
  if (receiver)
    config = "events:\n  relay_claim_ms: 2000\n  sinks:\n" + http_sink("audit", receiver->port());
  ServerProcess a(replica(dir, redis_url, "a", config)), b(replica(dir, redis_url, "b", config));
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  const uint16_t ports[2] = {a.port(), b.port()};

  constexpr int kClients = 24, kConversations = 6, kMessages = 15;
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> sent;  // client -> acknowledged texts, in order
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient clients[2] = {HttpClient(ports[0]), HttpClient(ports[1])};
      std::string conv = "conv-" + std::to_string(c % kConversations);  // 4 clients per conversation
      for (int m = 0; m < kMessages; ++m) {
        std::string text = "c" + std::to_string(c) + " m" + std::to_string(m);
        bool acked = false;
        for (int attempt = 0; attempt < 20 && !acked; ++attempt) {
          // Alternate replicas per message and per retry: no stickiness at all.
          auto r = clients[(m + attempt + c) % 2].post_json("/v1/bots/echo/conversations/" + conv + "/messages",
                                                            {{"id", text}, {"text", text}});
          if (r.status == 200) {
            acked = true;
            std::string reply(r.json().at("messages").at(0).at("text").as_string());
            if (reply != "Got " + text + ".") {
              std::lock_guard<std::mutex> lock(mu);
              failures.push_back(text + " answered " + reply);
            }
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        if (acked) sent["c" + std::to_string(c)].push_back(text);
        else failures.push_back(text + " never acknowledged");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();

  HttpClient check(ports[1]);
  size_t total = 0;
  for (int k = 0; k < kConversations; ++k) {
    auto texts = user_texts(check.get("/v1/bots/echo/conversations/conv-" + std::to_string(k)).json());
    total += texts.size();
    std::set<std::string> unique(texts.begin(), texts.end());
    EXPECT_EQ(unique.size(), texts.size()) << "a message was applied twice in conv-" << k;
    // Each client's messages appear in the order it sent them (it waited for each ack).
    std::map<std::string, int> next;
    for (const auto& t : texts) {
      std::string client = t.substr(0, t.find(' '));
      int m = std::stoi(t.substr(t.find(" m") + 2));
      EXPECT_EQ(m, next[client]) << t << " out of order in conv-" << k;
      next[client] = m + 1;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kClients * kMessages));

  if (!receiver) return;
  std::vector<std::string> names;
  for (int k = 0; k < kConversations; ++k) names.push_back("conv-" + std::to_string(k));
  auto listed = listed_events(ports[1], names);
  EXPECT_GE(listed.size(), static_cast<size_t>(kClients * kMessages) * 2);
  EXPECT_TRUE(eventually([&] { return receiver->missing(listed) == 0; }, std::chrono::seconds(30)))
      << receiver->missing(listed) << " of " << listed.size() << " events never reached the sink";
}

TEST(ServeReplicas, two_replicas_on_one_redis_apply_each_message_once_in_each_clients_order) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  two_replicas_keep_each_clients_order(redis.url());
}

// The same on a Redis Cluster of three masters: conversations spread over the masters by their
// partition's hash tag; each turn's outbox records go to its partition's stream and are merged
// into the global one, so every event still reaches the sink.
TEST(ServeReplicas, two_replicas_on_a_redis_cluster_of_three_masters_keep_the_order_and_deliver_every_event) {
  RedisCluster cluster(3);
  ASSERT_TRUE(cluster.ready()) << "redis-cli --cluster create failed";
  EventReceiver receiver;
  two_replicas_keep_each_clients_order(cluster.url(), &receiver);
  // The conversations' keys are spread over the three masters.
  for (size_t i = 0; i < cluster.size(); ++i)
    EXPECT_NE(RedisCluster::cli(cluster.node(i).port(), "dbsize"), "0\n") << "master " << i << " holds nothing";
}

TEST(ServeReplicas, a_redis_restart_makes_replicas_unready_then_they_recover_with_nothing_lost) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess a(replica(dir, redis.url(), "a"));
  ASSERT_TRUE(a.start()) << a.log();
  HttpClient c(a.port());
  for (int m = 0; m < 20; ++m)
    ASSERT_EQ(c.post_json("/v1/bots/echo/conversations/r/messages", {{"id", "m" + std::to_string(m)}, {"text", "m" + std::to_string(m)}}).status,
              200u);
  redis.kill();
  EXPECT_TRUE(eventually([&] { return HttpClient(a.port()).get("/readyz").status == 503; }, std::chrono::seconds(10)));
  auto down = c.post_json("/v1/bots/echo/conversations/r/messages", {{"id", "m20"}, {"text", "m20"}});
  EXPECT_EQ(down.status, 503u) << down.body;
  redis.start();
  ASSERT_TRUE(redis.ready());
  EXPECT_TRUE(eventually([&] { return HttpClient(a.port()).get("/readyz").status == 200; }, std::chrono::seconds(10)));
  EXPECT_TRUE(eventually(
      [&] { return c.post_json("/v1/bots/echo/conversations/r/messages", {{"id", "m20"}, {"text", "m20"}}).status == 200; },
      std::chrono::seconds(10)));
  auto texts = user_texts(c.get("/v1/bots/echo/conversations/r").json());
  ASSERT_EQ(texts.size(), 21u);
  for (int m = 0; m <= 20; ++m) EXPECT_EQ(texts[m], "m" + std::to_string(m));
}

}  // namespace
}  // namespace parley::testing
