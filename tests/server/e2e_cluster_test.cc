// The deploy of issue 6 end to end: three replicas on one Redis behind HAProxy, configured from
// deploy/haproxy.cfg.template exactly as deploy/local-cluster.sh renders it. 200 conversations
// run at once through HAProxy over keep-alive connections, each sending 20 numbered messages with
// ids and retrying every failure with the same id; one replica is killed with SIGKILL mid-run and
// restarted later on the same port. Every acknowledged message is in its tracker exactly once and
// in order, no message waited longer than the lease TTL plus one second for its ack, retries did
// happen (the kill was felt), and every event of every conversation reached the HTTP sink (the
// relay runs on one replica at a time and moves to another when its replica dies). After the
// restart another replica drains (SIGTERM) under load and exits 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "server/echo_bot.h"
#include "server/event_lists.h"
#include "server/event_receiver.h"
#include "server/server_process.h"
#include "support/eventually.h"
#include "support/ports.h"
#include "support/redis_server.h"

namespace parley::testing {
namespace {

using Clock = std::chrono::steady_clock;

// HAProxy in the foreground (-db) as a child process, with deploy/haproxy.cfg.template rendered
// into `dir` for the given replica ports. Killed (and reaped) with the object.
class HaproxyProcess {
 public:
  HaproxyProcess(std::string dir, const std::vector<uint16_t>& replicas)
      : dir_(std::move(dir)), port_(free_port()), stats_port_(free_port()) {
    std::filesystem::create_directories(dir_);
    std::string servers;
    for (size_t i = 0; i < replicas.size(); ++i)
      servers += "    server r" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(replicas[i]) + " check\n";
    std::string text = read_text(source_dir() + "/deploy/haproxy.cfg.template");
    auto replace = [&](const std::string& what, const std::string& with) {
      for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
    };
    replace("@SERVERS@\n", servers);
    replace("@LISTEN@", "127.0.0.1:" + std::to_string(port_));
    replace("@STATS_LISTEN@", "127.0.0.1:" + std::to_string(stats_port_));
    std::ofstream(config()) << text;
  }
  ~HaproxyProcess() { stop(); }
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  static std::string binary() {
    for (const char* p : {"/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"})
      if (std::filesystem::exists(p)) return p;
    return "/usr/sbin/haproxy";
  }
  std::string config() const { return dir_ + "/haproxy.cfg"; }
  uint16_t port() const { return port_; }

  // Starts HAProxy and waits until it answers and sees every server up.
  bool start(size_t servers) {
    if (!child_.start({.args = {binary(), "-db", "-f", config()}, .log = dir_ + "/haproxy.log", .log_stdout = true,
                       .env = {}}))
      return false;
    return eventually([&] { return servers_up() == servers; }, std::chrono::seconds(10));
  }

  void stop() { child_.kill(); }

  std::string log() const { return read_text(dir_ + "/haproxy.log"); }

  // The backend's servers from the stats CSV: server name -> column -> value.
  std::map<std::string, std::map<std::string, std::string>> stats() const {
    std::map<std::string, std::map<std::string, std::string>> out;
    auto r = HttpClient(stats_port_, std::chrono::milliseconds(2000)).get("/stats;csv");
    if (r.status != 200) return out;
    std::istringstream lines(r.body);
    std::string line;
    std::vector<std::string> columns;
    auto split = [](const std::string& s) {
      std::vector<std::string> v;
      std::string cell;
      std::istringstream in(s);
      while (std::getline(in, cell, ',')) v.push_back(cell);
      return v;
    };
    while (std::getline(lines, line)) {
      if (line.rfind("# ", 0) == 0) {
        columns = split(line.substr(2));
        continue;
      }
      auto cells = split(line);
      if (cells.size() < 2 || cells[0] != "replicas") continue;
      for (size_t i = 0; i < cells.size() && i < columns.size(); ++i) out[cells[1]][columns[i]] = cells[i];
    }
    return out;
  }
  size_t servers_up() const {
    size_t n = 0;
    for (auto& [name, s] : stats())
      if (name != "BACKEND" && s.count("status") && s.at("status") == "UP") ++n;
    return n;
  }

 private:
  std::string dir_;
  uint16_t port_;
  uint16_t stats_port_;
  ChildProcess child_;
};

struct Message {
  std::string text;
  int attempts = 0;
  bool acked = false;
  Clock::time_point first_sent;
  Clock::duration wait{};  // first send to ack
  std::string last_error;
};

constexpr int kThreads = 40, kConversationsPerThread = 5, kMessages = 20;
constexpr int kTotal = kThreads * kConversationsPerThread * kMessages;
constexpr auto kGiveUp = std::chrono::seconds(30);  // per message: then it counts as never acknowledged

std::string conv_name(int c) { return "conv-" + std::to_string(c); }

// The clients' side of the run: every message sent, and what came of it.
struct ClusterLoad {
  // conversations[t * kConversationsPerThread + k][m]
  std::vector<std::vector<Message>> conversations =
      std::vector<std::vector<Message>>(kThreads * kConversationsPerThread, std::vector<Message>(kMessages));
  std::atomic<int> acks{0};
  std::mutex mu;
  std::vector<std::string> failures;

  // Client thread `t`: its conversations advance together (message m of each, then m + 1), each
  // message retried with the same id until acknowledged or kGiveUp passes.
  void client(int t, uint16_t port) {
    HttpClient client(port, std::chrono::seconds(15));  // keep-alive through HAProxy
    for (int m = 0; m < kMessages; ++m) {
      for (int k = 0; k < kConversationsPerThread; ++k) {
        int c = t * kConversationsPerThread + k;
        Message& msg = conversations[c][m];
        msg.text = conv_name(c) + " m" + std::to_string(m);
        msg.first_sent = Clock::now();
        while (true) {
          ++msg.attempts;
          auto r = client.post_json("/v1/bots/echo/conversations/" + conv_name(c) + "/messages",
                                    {{"id", "m" + std::to_string(m)}, {"text", msg.text}});
          if (r.status == 200) {
            msg.wait = Clock::now() - msg.first_sent;
            auto v = r.json();
            std::string reply;
            if (v.is_object() && v.as_object().contains("messages") && !v.at("messages").as_array().empty())
              reply = std::string(v.at("messages").at(0).at("text").as_string());
            if (reply == "Got " + msg.text + ".") {
              msg.acked = true;
              acks.fetch_add(1);
            } else {
              std::lock_guard<std::mutex> lock(mu);
              failures.push_back(msg.text + " answered: " + r.body);
            }
            break;
          }
          msg.last_error = r.status ? std::to_string(r.status) + " " + r.body : r.error;
          if (Clock::now() - msg.first_sent > kGiveUp) {
            std::lock_guard<std::mutex> lock(mu);
            failures.push_back(msg.text + " never acknowledged, last: " + msg.last_error);
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  }
};

// Time to an ack over all acknowledged messages, and how many messages needed a retry.
struct AckWaits {
  Clock::duration max_wait{};
  std::string slowest;
  int retried = 0, attempts = 0;
  std::vector<double> sorted_ms;

  double max_ms() const { return std::chrono::duration<double, std::milli>(max_wait).count(); }
  double percentile(double p) const {
    return sorted_ms.empty() ? 0.0 : sorted_ms[std::min(sorted_ms.size() - 1, size_t(p * sorted_ms.size()))];
  }
};

AckWaits ack_waits(const std::vector<std::vector<Message>>& conversations) {
  AckWaits out;
  for (const auto& conv : conversations)
    for (const auto& msg : conv) {
      out.attempts += msg.attempts;
      if (msg.attempts > 1) ++out.retried;
      if (!msg.acked) continue;
      out.sorted_ms.push_back(std::chrono::duration<double, std::milli>(msg.wait).count());
      if (msg.wait > out.max_wait) {
        out.max_wait = msg.wait;
        out.slowest = msg.text;
      }
    }
  std::sort(out.sorted_ms.begin(), out.sorted_ms.end());
  return out;
}

// A number from HAProxy's stats (server -> column -> value); 0 when absent or empty.
long haproxy_stat(const std::map<std::string, std::map<std::string, std::string>>& stats, const std::string& server,
                  const std::string& column) {
  auto s = stats.find(server);
  if (s == stats.end() || !s->second.count(column) || s->second.at(column).empty()) return 0L;
  return std::stol(s->second.at(column));
}

TEST(ServeCluster, three_replicas_behind_haproxy_lose_nothing_when_one_is_killed_and_restarted) {
  ASSERT_TRUE(std::filesystem::exists(HaproxyProcess::binary())) << "haproxy is missing: scripts/install-deps.sh";
  RedisServer redis;
  ASSERT_TRUE(redis.ready());
  TempDir dir("parley-cluster");
  write_echo_bot(dir.sub("bots"));

  EventReceiver receiver;
  const std::string events_config = "events:\n  relay_claim_ms: 2000\n  sinks:\n" + http_sink("audit", receiver.port());

  constexpr size_t kReplicas = 3;
  std::vector<uint16_t> ports;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (size_t i = 0; i < kReplicas; ++i) {
    ports.push_back(free_port());
    replicas.push_back(std::make_unique<ServerProcess>(
        ServerOptions{.bots = dir.sub("bots"),
                      .data = dir.sub("r" + std::to_string(i + 1)),  // only its log file: the store is Redis
                      .env = {{"PARLEY_STORE", "redis"},
                              {"PARLEY_REDIS_URL", redis.url()},
                              {"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}},
                      .config_yaml = events_config,
                      .listen = "127.0.0.1:" + std::to_string(ports.back())}));
    ASSERT_TRUE(replicas.back()->start()) << replicas.back()->log();
  }
  HaproxyProcess haproxy(dir.sub("haproxy"), ports);
  ASSERT_TRUE(haproxy.start(kReplicas)) << haproxy.log() << read_text(haproxy.config());

  ClusterLoad load;
  auto run_start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&, t] { load.client(t, haproxy.port()); });

  // The crash: replica r1 (about a third of the conversations hash to it) dies at ~30% of the acks
  // and comes back on the same port 2 s later.
  const int kill_at = kTotal * 3 / 10;
  bool reached =
      eventually([&] { return load.acks.load() >= kill_at; }, std::chrono::seconds(30), std::chrono::milliseconds(1));
  int acks_at_kill = load.acks.load();
  auto killed_at = Clock::now();
  replicas[0]->kill_now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int acks_at_restart = load.acks.load();
  bool restarted = replicas[0]->start();
  auto restarted_at = Clock::now();
  // Then r2 drains (SIGTERM) while the load goes on: /readyz turns 503, HAProxy stops sending it
  // requests, its turns in flight finish, it exits 0; the clients see nothing of it.
  int acks_at_drain = load.acks.load();
  int drained = replicas[1]->terminate(std::chrono::seconds(30));
  for (auto& th : threads) th.join();
  auto run_end = Clock::now();

  ASSERT_TRUE(reached) << "the load never reached " << kill_at << " acks: " << load.acks.load();
  EXPECT_LT(acks_at_kill, kTotal * 2 / 3) << "the kill came too late to be mid-run";
  EXPECT_TRUE(restarted) << replicas[0]->log();
  EXPECT_EQ(drained, 0) << "r2 did not drain cleanly: " << replicas[1]->log();
  EXPECT_LT(acks_at_drain, kTotal) << "the drain came after the load";
  EXPECT_TRUE(load.failures.empty()) << load.failures.size() << " failures, first: " << load.failures.front();

  // Every acknowledged message is in its tracker exactly once, in the order sent; read through
  // another replica (views read Redis).
  HttpClient check(ports[2]);
  size_t checked = 0;
  for (int c = 0; c < kThreads * kConversationsPerThread; ++c) {
    auto r = check.get("/v1/bots/echo/conversations/" + conv_name(c));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto texts = user_texts(r.json());
    std::map<std::string, int> seen;
    for (const auto& text : texts) ++seen[text];
    std::vector<std::string> acked_in_tracker;
    for (const auto& text : texts)
      for (const auto& msg : load.conversations[c])
        if (msg.acked && msg.text == text) acked_in_tracker.push_back(text);
    std::vector<std::string> expected;
    for (const auto& msg : load.conversations[c]) {
      if (!msg.acked) continue;
      expected.push_back(msg.text);
      EXPECT_EQ(seen[msg.text], 1) << msg.text << " is in its tracker " << seen[msg.text] << " times";
      ++checked;
    }
    EXPECT_EQ(acked_in_tracker, expected) << conv_name(c) << ": acknowledged messages out of order";
    for (const auto& [text, n] : seen) EXPECT_EQ(n, 1) << text << " applied " << n << " times";
  }
  EXPECT_EQ(checked, static_cast<size_t>(kTotal));

  // Every event of every conversation, as the events route lists them, reaches the sink.
  std::vector<std::string> names;
  for (int c = 0; c < kThreads * kConversationsPerThread; ++c) names.push_back(conv_name(c));
  auto listed = listed_events(ports[2], names);
  EXPECT_GE(listed.size(), static_cast<size_t>(kTotal) * 2) << "each turn has a user and a bot event at least";
  EXPECT_TRUE(eventually([&] { return receiver.missing(listed) == 0; }, std::chrono::seconds(60)))
      << receiver.missing(listed) << " of " << listed.size() << " events never reached the sink";

  // Time to an ack: nobody waited for the crash more than the bound (the lease of a conversation
  // the dead replica was serving lapses after 8 s at most).
  AckWaits waits = ack_waits(load.conversations);
  auto stats = haproxy.stats();
  auto stat = [&](const std::string& server, const std::string& column) { return haproxy_stat(stats, server, column); };
  long lb_retries = stat("BACKEND", "wretr"), lb_redispatches = stat("BACKEND", "wredis");
  std::printf(
      "[cluster] %d acks in %.1f s; r1 killed at %d acks (+%.1f s), restarted at %d acks (+%.1f s); r2 drained from %d acks\n"
      "[cluster] time to ack: p50 %.1f ms, p99 %.1f ms, max %.0f ms (%s)\n"
      "[cluster] client retries: %d messages needed more than one attempt (%d attempts in all); "
      "HAProxy: %ld retries, %ld redispatches; r1/r2/r3 requests %ld/%ld/%ld\n"
      "[cluster] events: %zu listed, %zu delivered to the sink (%zu with duplicates)\n",
      load.acks.load(), std::chrono::duration<double>(run_end - run_start).count(), acks_at_kill,
      std::chrono::duration<double>(killed_at - run_start).count(), acks_at_restart,
      std::chrono::duration<double>(restarted_at - run_start).count(), acks_at_drain, waits.percentile(0.5),
      waits.percentile(0.99), waits.max_ms(), waits.slowest.c_str(), waits.retried, waits.attempts, lb_retries,
      lb_redispatches, stat("r1", "stot"), stat("r2", "stot"), stat("r3", "stot"), listed.size(), receiver.unique(),
      receiver.received());
  // Bound: lease TTL (8 s) plus one second.
  EXPECT_LT(waits.max_ms(), 9000.0) << "the slowest ack was " << waits.slowest;
  // The kill was felt: some messages had to be sent again, by the clients or by HAProxy.
  EXPECT_GT(waits.retried + lb_retries + lb_redispatches, 0) << "no retry at all: the kill proved nothing";
  EXPECT_GT(stat("r1", "stot"), 0) << "r1 served nothing";

  haproxy.stop();
  EXPECT_EQ(replicas[0]->terminate(), 0) << replicas[0]->log();
  EXPECT_EQ(replicas[2]->terminate(), 0) << replicas[2]->log();
}

}  // namespace
}  // namespace parley::testing
