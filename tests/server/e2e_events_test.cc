// The event pipeline on a real server: every event of every conversation reaches HTTP sinks that
// fail, time out, hang and heal; kill -9 with events not yet delivered; truncation; the admin
// routes for sinks, dead letters and replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "support/eventually.h"
#include "support/client.h"
#include "server/echo_bot.h"
#include "server/event_lists.h"
#include "server/event_receiver.h"
#include "server/server_process.h"
#include "support/child_process.h"

namespace parley::testing {
namespace {

boost::json::object sink_status(uint16_t port, const std::string& name) {
  auto v = HttpClient(port).get("/v1/events/sinks").json();
  for (auto& s : v.at("sinks").as_array())
    if (s.at("name").as_string() == name) return s.as_object();
  return {};
}

// Sends `turns` messages over `conversations` conversations from `clients` threads; returns the
// conversation ids.
std::vector<std::string> send_turns(uint16_t port, int turns, int conversations, int clients, const std::string& prefix) {
  std::vector<std::string> convs;
  for (int c = 0; c < conversations; ++c) convs.push_back(prefix + std::to_string(c));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(port);
      for (int i = t; i < turns; i += clients) {
        // A conversation belongs to one client thread, so its messages go in order.
        int conv = (i % conversations);
        if (conv % clients != t) conv = (conv / clients) * clients + t;
        if (conv >= conversations) conv = t;
        auto r = c.post_json("/v1/bots/echo/conversations/" + convs[conv] + "/messages",
                             {{"id", prefix + "-" + std::to_string(i)}, {"text", "message " + std::to_string(i)}});
        if (r.status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  return convs;
}

TEST(ServeEvents, a_chaotic_http_sink_ends_with_every_event_and_dedup_by_id_gives_the_event_lists) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  EventReceiver receiver;
  receiver.set_mode(EventReceiver::Mode::kChaos);  // 20% 500, 10% hang, 10% late, else 200
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}},
                        .config_yaml = "events:\n  sinks:\n" +
                                       http_sink("audit", receiver.port(),
                                                 "      retry: {max_attempts: 3, base_ms: 10, max_ms: 100}\n"
                                                 "      breaker: {failure_ratio: 0.9, window: 50, open_ms: 100}\n")});
  ASSERT_TRUE(server.start()) << server.log();
  auto convs = send_turns(server.port(), 2000, 40, 8, "chaos");
  auto listed = listed_events(server.port(), convs);
  ASSERT_GE(listed.size(), 2000u * 3);
  // Let the chaos run a while, then heal the receiver.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  receiver.set_mode(EventReceiver::Mode::kOk);
  ASSERT_TRUE(eventually([&] { return sink_status(server.port(), "audit").at("lag_events").to_number<uint64_t>() == 0; },
                         std::chrono::seconds(60)))
      << boost::json::serialize(sink_status(server.port(), "audit"));
  // What failed for good waits in the dead-letter store; replay it.
  HttpClient admin(server.port());
  auto dead = admin.get("/v1/events/sinks/audit/dead-letters").json();
  size_t dead_count = dead.at("dead_letters").as_array().size();
  auto replay = admin.post_json("/v1/events/sinks/audit/replay", {{"dead_letters", true}});
  EXPECT_EQ(replay.status, 202u) << replay.body;
  ASSERT_TRUE(eventually([&] { return admin.get("/v1/events/sinks/audit/dead-letters").json().at("dead_letters").as_array().empty(); },
                         std::chrono::seconds(30)));
  auto got = receiver.events();
  std::vector<std::string> missing;
  for (const auto& [id, e] : listed)
    if (!got.count(id)) missing.push_back(id);
  EXPECT_TRUE(missing.empty()) << missing.size() << " events missing, e.g. " << missing.front();
  EXPECT_EQ(got.size(), listed.size()) << "the receiver holds an event no conversation lists";
  for (const auto& [id, e] : listed)
    if (got.count(id)) {
      ASSERT_EQ(got[id], e) << "the delivered record differs from the listed one";
    }
  auto st = sink_status(server.port(), "audit");
  EXPECT_GT(st.at("failed_tries").to_number<uint64_t>(), 0u) << "the chaos did fail deliveries";
  std::cout << "[ events ] " << listed.size() << " events, " << receiver.received() << " deliveries received, "
            << dead_count << " dead letters replayed, " << st.at("failed_tries").to_number<uint64_t>()
            << " failed tries\n";
  // The metrics name the sink.
  auto metrics = admin.get("/metrics").body;
  EXPECT_NE(metrics.find("parley_sink_delivered_events_total{sink=\"audit\"}"), std::string::npos);
  EXPECT_NE(metrics.find("parley_sink_breaker_state{sink=\"audit\"} 0"), std::string::npos);
}

TEST(ServeEvents, a_hanging_sink_does_not_hold_up_a_healthy_one_and_its_breaker_opens_then_closes) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  EventReceiver healthy, hanging;
  hanging.set_mode(EventReceiver::Mode::kHang);
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}},
                        .config_yaml = "events:\n  sinks:\n" + http_sink("healthy", healthy.port()) +
                                       http_sink("hanging", hanging.port(),
                                                 "      window_bytes: 262144\n"
                                                 "      retry: {max_attempts: 1000, base_ms: 10, max_ms: 100}\n"
                                                 "      breaker: {failure_ratio: 0.5, window: 4, open_ms: 500}\n")});
  ASSERT_TRUE(server.start()) << server.log();
  auto convs = send_turns(server.port(), 1000, 20, 4, "h");
  auto listed = listed_events(server.port(), convs);
  ASSERT_TRUE(eventually([&] { return healthy.unique() == listed.size(); }, std::chrono::seconds(10)))
      << healthy.unique() << " of " << listed.size();
  ASSERT_TRUE(eventually([&] { return sink_status(server.port(), "hanging").at("breaker_opened").to_number<uint64_t>() > 0; },
                         std::chrono::seconds(10)));
  auto st = sink_status(server.port(), "hanging");
  EXPECT_LE(st.at("window_bytes").to_number<uint64_t>(), 262144u + 4 * 50 * 1024) << "the window bounds memory";
  EXPECT_GT(st.at("lag_events").to_number<uint64_t>(), 0u);
  // Memory stays bounded while the backlog waits on disk (bench/events runs it with a million events).
  size_t rss_kb = 0;
  std::ifstream status("/proc/" + std::to_string(server.pid()) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) rss_kb = std::stoul(line.substr(6));
  EXPECT_GT(rss_kb, 0u);
  EXPECT_LT(rss_kb, 512u * 1024) << "RSS " << rss_kb << " kB with a hanging sink";
  auto ready = HttpClient(server.port()).get("/readyz");
  EXPECT_EQ(ready.status, 200u) << "a broken sink degrades, the server stays ready";
  EXPECT_EQ(ready.json().at("sinks").at("hanging").as_string(), "degraded") << ready.body;
  hanging.set_mode(EventReceiver::Mode::kOk);
  ASSERT_TRUE(eventually([&] { return hanging.unique() == listed.size(); }, std::chrono::seconds(30)))
      << hanging.unique() << " of " << listed.size();
  EXPECT_TRUE(eventually([&] { return sink_status(server.port(), "hanging").at("breaker").as_string() == "closed"; },
                         std::chrono::seconds(5)));
}

TEST(ServeEvents, events_not_yet_delivered_at_kill_9_are_delivered_after_the_restart) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  uint16_t port = 0;
  {
    EventReceiver probe;  // find a free port, then leave it closed: the sink is down
    port = probe.port();
  }
  std::string config = "events:\n  sinks:\n" +
                       http_sink("audit", port, "      retry: {max_attempts: 1000, base_ms: 10, max_ms: 50}\n");
  ServerOptions options{.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}, .config_yaml = config};
  std::vector<std::string> convs;
  {
    ServerProcess server(options);
    ASSERT_TRUE(server.start()) << server.log();
    convs = send_turns(server.port(), 200, 10, 2, "k");
    EXPECT_GT(sink_status(server.port(), "audit").at("lag_events").to_number<uint64_t>(), 0u);
    server.kill_now();
  }
  EventReceiver receiver(port);
  ServerProcess again(options);
  ASSERT_TRUE(again.start()) << again.log();
  auto listed = listed_events(again.port(), convs);
  ASSERT_TRUE(eventually([&] { return receiver.unique() == listed.size(); }, std::chrono::seconds(20)))
      << receiver.unique() << " of " << listed.size();
  auto got = receiver.events();
  for (const auto& [id, e] : listed) EXPECT_TRUE(got.count(id)) << id;
}

TEST(ServeEvents, an_oversized_event_is_truncated_and_flagged_and_replay_from_a_position_delivers_again) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  EventReceiver receiver;
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .config_yaml = "events:\n  max_event_bytes: 2048\n  retain_acknowledged_s: 3600\n  sinks:\n" +
                                       http_sink("audit", receiver.port())});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  std::string big(10000, 'x');
  ASSERT_EQ(c.post_json("/v1/bots/echo/conversations/big/messages", {{"id", "b1"}, {"text", big}}).status, 200u);
  auto listed = listed_events(server.port(), {"big"});
  ASSERT_TRUE(eventually([&] { return receiver.unique() == listed.size(); }, std::chrono::seconds(10)));
  size_t truncated = 0;
  for (const auto& [id, e] : receiver.events()) {
    EXPECT_LE(boost::json::serialize(e).size(), 2048u + 64);
    if (e.as_object().contains("truncated")) {
      ++truncated;
      EXPECT_TRUE(e.at("truncated").as_bool());
      EXPECT_GT(e.at("data").at("original_bytes").to_number<uint64_t>(), 10000u);
      EXPECT_EQ(listed.at(id), e) << "the events route shows the same truncated record";
    }
  }
  EXPECT_GE(truncated, 2u) << "the user event and the bot reply carry the long text";
  // Replay from position 0: everything again.
  size_t before = receiver.received();
  auto r = c.post_json("/v1/events/sinks/audit/replay", {{"from", 0}});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_TRUE(eventually([&] { return receiver.received() >= before + listed.size(); }, std::chrono::seconds(10)));
  // Replay from a time before the message: the same.
  before = receiver.received();
  r = c.post_json("/v1/events/sinks/audit/replay", {{"from_time", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(r.status, 202u) << r.body;
  EXPECT_TRUE(eventually([&] { return receiver.received() >= before + listed.size(); }, std::chrono::seconds(10)));
  // Bad admin requests get their errors.
  EXPECT_EQ(c.post_json("/v1/events/sinks/nope/replay", {{"from", 0}}).status, 404u);
  EXPECT_EQ(c.post_json("/v1/events/sinks/audit/replay", {{"from", "x"}}).status, 422u);
  EXPECT_EQ(c.post_json("/v1/events/sinks/audit/replay", boost::json::object{}).status, 422u);
  EXPECT_EQ(c.get("/v1/bots/echo/conversations/big/events?after=x").status, 400u);
}

TEST(ServeEvents, the_cli_lists_dead_letters_and_replays_them) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  uint16_t port = 0;
  {
    EventReceiver probe;
    port = probe.port();
  }
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .config_yaml = "events:\n  sinks:\n" +
                                       http_sink("audit", port, "      retry: {max_attempts: 2, base_ms: 1, max_ms: 5}\n")});
  ASSERT_TRUE(server.start()) << server.log();
  send_turns(server.port(), 5, 1, 1, "cli");
  auto listed = listed_events(server.port(), {"cli0"});
  ASSERT_TRUE(eventually([&] { return sink_status(server.port(), "audit").at("dead_lettered").to_number<uint64_t>() == listed.size(); },
                         std::chrono::seconds(10)));
  std::string cli = std::string(PARLEY_BINARY) + " events ";
  std::string at = " --server 127.0.0.1:" + std::to_string(server.port());
  auto [rc, lines] = run_command(cli + "dead-letters --sink audit" + at + " 2>/dev/null");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n')), listed.size()) << lines;
  EXPECT_NE(run_command(cli + "dead-letters --sink nope" + at + " 2>/dev/null").status, 0);
  EventReceiver receiver(port);
  auto [rc2, out] = run_command(cli + "replay --sink audit --dead-letters" + at);
  EXPECT_EQ(rc2, 0) << out;
  ASSERT_TRUE(eventually([&] { return receiver.unique() == listed.size(); }, std::chrono::seconds(10)));
  EXPECT_EQ(run_command(cli + "replay --sink audit" + at + " 2>/dev/null").status, 2) << "needs --dead-letters or --from";
  EXPECT_EQ(run_command(cli + "replay --sink audit --from 2020-01-01T00:00:00Z" + at).status, 0);
  EXPECT_TRUE(eventually([&] { return receiver.received() >= 2 * listed.size(); }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace parley::testing
