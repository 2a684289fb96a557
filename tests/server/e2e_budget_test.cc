// Issue 13: a bot whose NLU regex backtracks exponentially ((a+)+$) and messages that trip it.
// Against the real `parley serve`: the tripping turns get a clear 500 turn_budget_exceeded and an
// error event while /healthz, /metrics and other conversations answer; a turn that keeps its
// thread computing is answered by its budget, and SIGTERM still exits by drain_timeout_ms with
// every acknowledged message kept; `parley validate` warns about the regex.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/child_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

const std::string kRunaway = std::string(34, 'a') + "!";

// The echo bot with an entity regex that backtracks exponentially: the entity extractor, the
// intent features and the CRF all run it.
void write_runaway_bot(const std::string& bots_dir) {
  write_echo_bot(bots_dir, {.nlu = "- regex: code\n  examples: |\n    - (a+)+$\n", .entities = "  - code\n"});
}

// Sent on its own connection, with a deadline long enough for today's behaviour to show.
std::future<HttpResult> post_async(uint16_t port, std::string target, json::value body) {
  return std::async(std::launch::async, [port, target = std::move(target), body = std::move(body)] {
    return HttpClient(port, std::chrono::seconds(20)).post_json(target, body);
  });
}

bool has_error_event(const json::value& view, const std::string& code) {
  for (const auto& e : view.at("events").as_array())
    if (e.at("event") == "parley_error" && e.at("code") == json::value(code)) return true;
  return false;
}

TEST(ServeBudget, a_catastrophic_regex_stops_only_its_own_turns) {
  TempDir dir;
  write_runaway_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"), .extra_args = {"--threads", "2"}});
  ASSERT_TRUE(server.start()) << server.log();
  auto native = post_async(server.port(), "/v1/bots/echo/conversations/bad1/messages", {{"id", "b1"}, {"text", kRunaway}});
  auto rasa = post_async(server.port(), "/bots/echo/webhooks/rest/webhook", {{"sender", "bad2"}, {"message", kRunaway}});

  // Meanwhile the server answers everyone else (5 s: std::regex would still be backtracking).
  HttpClient probe(server.port(), std::chrono::seconds(5));
  EXPECT_EQ(probe.get("/healthz").status, 200u);
  auto metrics = probe.get("/metrics");
  EXPECT_EQ(metrics.status, 200u) << metrics.error;
  auto good = probe.post_json("/v1/bots/echo/conversations/good/messages", {{"text", "message 1"}});
  ASSERT_EQ(good.status, 200u) << good.error << good.body;
  EXPECT_EQ(good.json().at("messages").at(0).at("text"), "Got message 1.");

  for (auto* f : {&native, &rasa}) {
    HttpResult r = f->get();
    EXPECT_EQ(r.status, 500u) << r.error << r.body;
    EXPECT_EQ(r.error_code(), "turn_budget_exceeded") << r.body;
  }
  // The stopped turns left an error event and nothing else; the conversations go on.
  for (const char* conv : {"bad1", "bad2"}) {
    auto view = probe.get(std::string("/v1/bots/echo/conversations/") + conv).json();
    EXPECT_TRUE(has_error_event(view, "turn_budget_exceeded")) << json::serialize(view);
    EXPECT_TRUE(user_texts(view).empty()) << json::serialize(view);
  }
  auto after = probe.post_json("/v1/bots/echo/conversations/bad1/messages", {{"text", "hello there"}});
  EXPECT_EQ(after.status, 200u) << after.body;
  EXPECT_NE(probe.get("/metrics").body.find("outcome=\"over_budget\"} 2"), std::string::npos);
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

TEST(ServeBudget, sigterm_amid_catastrophic_messages_exits_by_the_drain_deadline) {
  TempDir dir;
  write_runaway_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .extra_args = {"--threads", "2"},
                        .env = {{"PARLEY_DRAIN_TIMEOUT_MS", "2000"}}});
  ASSERT_TRUE(server.start()) << server.log();
  auto one = post_async(server.port(), "/v1/bots/echo/conversations/bad1/messages", {{"text", kRunaway}});
  auto two = post_async(server.port(), "/v1/bots/echo/conversations/bad2/messages", {{"text", kRunaway}});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto sent = Clock::now();
  const int code = server.terminate(std::chrono::milliseconds(2000 + 5000));
  EXPECT_NE(code, -1) << "still running after drain_timeout_ms and a margin\n" << server.log();
  EXPECT_LT(Clock::now() - sent, std::chrono::milliseconds(2000 + 5000));
  for (auto* f : {&one, &two}) EXPECT_NE(f->get().status, 200u);
}

TEST(ServeBudget, a_turn_stuck_computing_is_answered_and_sigterm_exits_by_the_drain_deadline) {
  TempDir dir;
  write_runaway_bot(dir.sub("bots"));
  // A match limit this high keeps the runaway search on its thread for many seconds: a turn
  // stuck computing, which its budget must answer and the drain must not wait for.
  ServerOptions options{.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .config_yaml = "threads: 2\nturn_budget_ms: 300\nregex_match_limit: 4000000000\n"
                                       "drain_timeout_ms: 2000\n"};
  ServerProcess server(options);
  ASSERT_TRUE(server.start()) << server.log();
  auto stuck = post_async(server.port(), "/v1/bots/echo/conversations/stuck/messages", {{"text", kRunaway}});
  HttpResult r = stuck.get();
  EXPECT_EQ(r.status, 500u) << r.error << r.body;
  EXPECT_EQ(r.error_code(), "turn_budget_exceeded") << r.body;
  EXPECT_NE(server.log().find("still computing"), std::string::npos) << server.log();

  HttpClient c(server.port(), std::chrono::seconds(5));
  auto acked = c.post_json("/v1/bots/echo/conversations/kept/messages", {{"id", "k1"}, {"text", "message 1"}});
  ASSERT_EQ(acked.status, 200u) << acked.error << acked.body;

  const auto sent = Clock::now();
  const int code = server.terminate(std::chrono::milliseconds(2000 + 5000));
  EXPECT_EQ(code, 1) << "drain times out with the turn still computing\n" << server.log();
  EXPECT_LT(Clock::now() - sent, std::chrono::milliseconds(2000 + 5000));
  EXPECT_NE(server.log().find("drain timed out"), std::string::npos) << server.log();

  // Nothing acknowledged is lost.
  options.config_yaml.clear();
  ServerProcess again(options);
  ASSERT_TRUE(again.start()) << again.log();
  auto view = HttpClient(again.port()).get("/v1/bots/echo/conversations/kept").json();
  EXPECT_EQ(user_texts(view), std::vector<std::string>{"message 1"}) << json::serialize(view);
}

TEST(ServeBudget, validate_warns_about_a_regex_that_backtracks_exponentially) {
  TempDir dir;
  write_runaway_bot(dir.sub("bots"));
  std::string command = "PARLEY_MODEL_CACHE=off " + std::string(PARLEY_BINARY) + " validate " + dir.sub("bots/echo") + " 2>&1";
  auto [status, out] = run_command(command);
  ASSERT_NE(status, -1) << "could not run: " << command;
  EXPECT_EQ(status, 0) << out;  // a warning: the limits keep it from hanging
  EXPECT_NE(out.find("data/nlu.yml:10: warning: regex 'code': pattern \"(a+)+$\" reaches the default match limit"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace parley::testing
