// The HTTP/WebSocket layer over a fake backend: routes, reply shapes, every bad input of G7
// answered with its status and JSON error, limits and timeouts, and the server healthy after each.
#include <gtest/gtest.h>

#include <thread>

#include "channels/fake_backend.h"
#include "support/client.h"

namespace parley::testing {
namespace {

namespace bj = boost::json;

const std::string kMsgPath = "/v1/bots/echo/conversations/c1/messages";

void expect_healthy(uint16_t port) {
  HttpClient c(port);
  auto r = c.get("/healthz");
  EXPECT_EQ(r.status, 200u) << r.error;
  auto m = c.post(kMsgPath, R"({"text":"still there?"})");
  EXPECT_EQ(m.status, 200u) << m.body << m.error;
}

TEST(ChannelServer, native_message_answers_with_conversation_turn_and_messages) {
  InProcessServer s;
  ASSERT_TRUE(s.status()) << s.status().to_string();
  HttpClient c(s.port());
  auto r = c.post(kMsgPath, R"({"id":"m1","text":"hello"})");
  ASSERT_EQ(r.status, 200u) << r.body << r.error;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(bj::parse(r.body),
            bj::parse(R"({"conversation":"c1","turn":1,"messages":[{"text":"echo: hello"}]})"));
  auto r2 = c.post(kMsgPath, R"({"id":"m2","text":"again"})");
  EXPECT_EQ(r2.json().at("turn"), 2);
}

TEST(ChannelServer, same_message_id_returns_the_same_reply) {
  InProcessServer s;
  HttpClient c(s.port());
  auto a = c.post(kMsgPath, R"({"id":"dup","text":"one"})");
  auto b = c.post(kMsgPath, R"({"id":"dup","text":"one"})");
  ASSERT_EQ(a.status, 200u);
  ASSERT_EQ(b.status, 200u);
  auto bo = b.json().as_object();
  EXPECT_EQ(bo.at("replayed"), true);
  bo.erase("replayed");
  EXPECT_EQ(bj::value(bo), a.json());
  EXPECT_EQ(s.backend().texts("echo", "c1").size(), 1u);
}

TEST(ChannelServer, percent_encoded_conversation_ids_are_decoded) {
  InProcessServer s;
  HttpClient c(s.port());
  auto r = c.post("/v1/bots/echo/conversations/a%20b%2Fc/messages", R"({"text":"x"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("conversation"), "a b/c");
}

TEST(ChannelServer, rasa_webhook_answers_an_array_with_recipient_id) {
  InProcessServer s;
  HttpClient c(s.port());
  auto r = c.post("/bots/echo/webhooks/rest/webhook", R"({"sender":"u1","message":"hi","message_id":"x1"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json(), bj::parse(R"([{"recipient_id":"u1","text":"echo: hi"}])"));
  // One bot served: the unprefixed Rasa routes work too.
  auto r2 = c.post("/webhooks/rest/webhook", R"({"sender":"u1","message":"yo"})");
  ASSERT_EQ(r2.status, 200u) << r2.body;
  EXPECT_EQ(r2.json(), bj::parse(R"([{"recipient_id":"u1","text":"echo: yo"}])"));
  EXPECT_EQ(c.get("/webhooks/rest/").json(), bj::parse(R"({"status":"ok"})"));
  EXPECT_EQ(c.get("/bots/echo/webhooks/rest").json(), bj::parse(R"({"status":"ok"})"));
  auto st = c.post("/webhooks/rest/webhook?stream=true", R"({"sender":"u1","message":"s"})");
  EXPECT_EQ(st.header("content-type"), "application/x-ndjson");
  EXPECT_EQ(st.body, "{\"recipient_id\":\"u1\",\"text\":\"echo: s\"}\n");
}

TEST(ChannelServer, unprefixed_rasa_route_needs_exactly_one_bot) {
  InProcessServer s;
  s.backend().served.insert("other");
  HttpClient c(s.port());
  auto r = c.post("/webhooks/rest/webhook", R"({"sender":"u1","message":"hi"})");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.error_code(), "unknown_bot");
}

TEST(ChannelServer, lists_bots_and_serves_tracker_views) {
  InProcessServer s;
  HttpClient c(s.port());
  EXPECT_EQ(c.get("/v1/bots").json(), bj::parse(R"({"bots":[{"name":"echo","version":1,"dir":"/bots/echo"}]})"));
  c.post(kMsgPath, R"({"text":"a"})");
  auto conv = c.get("/v1/bots/echo/conversations/c1");
  ASSERT_EQ(conv.status, 200u);
  EXPECT_EQ(conv.json().at("events"), bj::parse(R"(["a"])"));
  auto t = c.get("/bots/echo/conversations/c1/tracker?include_events=all");
  ASSERT_EQ(t.status, 200u);
  EXPECT_EQ(t.json().at("include"), "ALL");
  EXPECT_EQ(c.get("/conversations/c1/tracker").json().at("include"), "AFTER_RESTART");
  auto bad = c.get("/conversations/c1/tracker?include_events=SOME");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.error_code(), "bad_query");
}

struct BadInput {
  const char* name;
  std::string target;
  std::string body;
  unsigned status;
  const char* code;
};

TEST(ChannelServer, each_bad_body_gets_its_status_and_json_error) {
  InProcessServer s;
  const std::vector<BadInput> cases = {
      {"malformed json", kMsgPath, R"({"text": "hi")", 400, "malformed_json"},
      {"not an object", kMsgPath, R"(["hi"])", 422, "wrong_type"},
      {"text not a string", kMsgPath, R"({"text": 5})", 422, "wrong_type"},
      {"id not a string", kMsgPath, R"({"id": 7, "text": "x"})", 422, "wrong_type"},
      {"metadata not an object", kMsgPath, R"({"text": "x", "metadata": 1})", 422, "wrong_type"},
      {"missing text", kMsgPath, R"({"id": "a"})", 422, "missing_field"},
      {"text over the limit", kMsgPath, "{\"text\":\"" + std::string(16 * 1024 + 1, 'a') + "\"}", 413,
       "text_too_large"},
      {"invalid utf-8", kMsgPath, "{\"text\":\"caf\xC3\x28\"}", 400, "invalid_utf8"},
      {"rasa without sender", "/bots/echo/webhooks/rest/webhook", R"({"message":"x"})", 422, "missing_field"},
      {"rasa message not a string", "/bots/echo/webhooks/rest/webhook", R"({"sender":"a","message":[]})", 422,
       "wrong_type"},
      {"unknown bot", "/v1/bots/nobot/conversations/c/messages", R"({"text":"x"})", 404, "unknown_bot"},
      {"unknown route", "/v2/whatever", "{}", 404, "not_found"},
      {"too long conversation id", "/v1/bots/echo/conversations/" + std::string(300, 'c') + "/messages",
       R"({"text":"x"})", 400, "invalid_id"},
  };
  HttpClient c(s.port());
  for (const auto& bc : cases) {
    auto r = c.post(bc.target, bc.body);
    EXPECT_EQ(r.status, bc.status) << bc.name << ": " << r.body << r.error;
    EXPECT_EQ(r.error_code(), bc.code) << bc.name << ": " << r.body;
    EXPECT_FALSE(r.json().at("error").at("message").as_string().empty()) << bc.name;
  }
  EXPECT_GE(s.metrics().errors("wrong_type"), 4u);
  expect_healthy(s.port());
}

TEST(ChannelServer, wrong_method_is_405_with_allow) {
  InProcessServer s;
  HttpClient c(s.port());
  auto r = c.get(kMsgPath);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(r.error_code(), "method_not_allowed");
  auto r2 = c.request(http::verb::delete_, "/v1/bots");
  EXPECT_EQ(r2.status, 405u);
  EXPECT_EQ(r2.header("allow"), "GET");
  expect_healthy(s.port());
}

TEST(ChannelServer, body_over_the_limit_is_413_and_the_connection_closes) {
  channels::ServerOptions so;
  so.max_body_bytes = 1024;
  InProcessServer s(so);
  HttpClient c(s.port());
  auto r = c.post(kMsgPath, "{\"text\":\"" + std::string(5000, 'b') + "\"}");
  EXPECT_EQ(r.status, 413u) << r.error;
  EXPECT_EQ(r.error_code(), "body_too_large");
  EXPECT_FALSE(r.keep_alive);
  expect_healthy(s.port());
}

TEST(ChannelServer, oversized_headers_are_431) {
  InProcessServer s;
  HttpClient c(s.port());
  auto r = c.request(http::verb::get, "/healthz", {}, {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431u) << r.error;
  EXPECT_EQ(r.error_code(), "headers_too_large");
  expect_healthy(s.port());
}

TEST(ChannelServer, garbage_request_line_is_400) {
  InProcessServer s;
  HttpClient c(s.port());
  ASSERT_TRUE(c.send_raw("HELLO THERE\r\n\r\n"));
  bool closed = false;
  std::string got = c.read_raw(2s, &closed);
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("bad_request"), std::string::npos) << got;
  EXPECT_TRUE(closed);
  expect_healthy(s.port());
}

TEST(ChannelServer, idle_and_slow_clients_are_closed_by_timeouts) {
  channels::ServerOptions so;
  so.idle_timeout = 300ms;
  so.read_timeout = 300ms;
  InProcessServer s(so);
  {
    HttpClient idle(s.port());
    ASSERT_TRUE(idle.connect());
    bool closed = false;
    idle.read_raw(3s, &closed);
    EXPECT_TRUE(closed) << "an idle connection stays open";
  }
  {
    HttpClient slow(s.port());
    ASSERT_TRUE(slow.send_raw("POST /v1/bots/echo/conversations/c/messages HTTP/1.1\r\nHost: x\r\n"));
    bool closed = false;
    auto start = std::chrono::steady_clock::now();
    const std::string got = slow.read_raw(3s, &closed);
    EXPECT_TRUE(closed) << "a client that never finishes its headers stays connected";
    EXPECT_NE(got.find("HTTP/1.1 408"), std::string::npos) << got;
    EXPECT_NE(got.find("\"request_timeout\""), std::string::npos) << got;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
  for (int i = 0; i < 100 && s.metrics().errors("request_timeout") == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s.metrics().errors("request_timeout"), 1u);
  expect_healthy(s.port());
}

TEST(ChannelServer, too_many_connections_get_503_with_retry_after) {
  channels::ServerOptions so;
  so.max_connections = 3;
  InProcessServer s(so);
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpClient>(s.port()));
    ASSERT_EQ(held.back()->get("/healthz").status, 200u);
  }
  HttpClient extra(s.port());
  ASSERT_TRUE(extra.connect());
  bool closed = false;
  std::string got = extra.read_raw(2s, &closed);
  EXPECT_NE(got.find("HTTP/1.1 503"), std::string::npos) << got;
  EXPECT_NE(got.find("Retry-After: 1"), std::string::npos) << got;
  EXPECT_NE(got.find("too_many_connections"), std::string::npos) << got;
  held.clear();
  // Slots free up once the clients leave.
  for (int i = 0; i < 50 && s.metrics().open_connections() > 0; ++i) std::this_thread::sleep_for(20ms);
  expect_healthy(s.port());
}

TEST(ChannelServer, full_queue_is_503_with_retry_after) {
  InProcessServer s;
  s.backend().overloaded = true;
  HttpClient c(s.port());
  auto r = c.post(kMsgPath, R"({"text":"x"})");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(r.error_code(), "unavailable");
  s.backend().overloaded = false;
  expect_healthy(s.port());
}

TEST(ChannelServer, per_conversation_rate_limit_is_429_with_retry_after) {
  channels::ApiOptions ao;
  ao.submit.conversation_rate = {1, 3};
  InProcessServer s({}, ao);
  HttpClient c(s.port());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.post(kMsgPath, R"({"text":"x"})").status, 200u);
  auto r = c.post(kMsgPath, R"({"text":"x"})");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.error_code(), "rate_limited");
  EXPECT_EQ(r.header("retry-after"), "1");
  // Another conversation has its own bucket.
  EXPECT_EQ(c.post("/v1/bots/echo/conversations/other/messages", R"({"text":"x"})").status, 200u);
  EXPECT_EQ(s.backend().texts("echo", "c1").size(), 3u);
}

TEST(ChannelServer, per_bot_rate_limit_is_429) {
  channels::ApiOptions ao;
  ao.submit.bot_rate = {0.5, 2};
  InProcessServer s({}, ao);
  HttpClient c(s.port());
  EXPECT_EQ(c.post("/v1/bots/echo/conversations/a/messages", R"({"text":"x"})").status, 200u);
  EXPECT_EQ(c.post("/v1/bots/echo/conversations/b/messages", R"({"text":"x"})").status, 200u);
  auto r = c.post("/v1/bots/echo/conversations/c/messages", R"({"text":"x"})");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.header("retry-after"), "2");
  auto metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find("parley_rate_limited_total{scope=\"bot\"} 1"), std::string::npos) << metrics;
}

TEST(ChannelServer, keep_alive_and_pipelined_requests_are_answered_in_order) {
  InProcessServer s;
  HttpClient c(s.port());
  std::string req = "POST " + kMsgPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"text\":\"1\"}";
  std::string req2 = "POST " + kMsgPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{\"text\":\"2\"}";
  ASSERT_TRUE(c.send_raw(req + req2));
  bool closed = false;
  std::string got = c.read_raw(300ms, &closed);
  EXPECT_FALSE(closed);
  auto first = got.find("echo: 1"), second = got.find("echo: 2");
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
}

TEST(ChannelServer, a_slow_conversation_does_not_delay_others) {
  InProcessServer s;
  s.backend().slow["stuck"] = 1500ms;
  std::thread stuck([&] {
    HttpClient c(s.port());
    auto r = c.post("/v1/bots/echo/conversations/stuck/messages", R"({"text":"x"})");
    EXPECT_EQ(r.status, 200u);
  });
  std::this_thread::sleep_for(100ms);
  HttpClient c(s.port());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.post(kMsgPath, R"({"text":"quick"})").status, 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  stuck.join();
}

TEST(ChannelServer, health_readiness_and_metrics) {
  InProcessServer s;
  HttpClient c(s.port());
  EXPECT_EQ(c.get("/healthz").json(), bj::parse(R"({"status":"ok"})"));
  EXPECT_EQ(c.get("/readyz").status, 200u);
  s.backend().is_ready = false;
  auto nr = c.get("/readyz");
  EXPECT_EQ(nr.status, 503u);
  EXPECT_EQ(nr.error_code(), "not_ready");
  s.backend().is_ready = true;
  s.api().set_draining(true);
  EXPECT_EQ(c.get("/readyz").status, 503u);
  s.api().set_draining(false);
  c.post(kMsgPath, R"({"text":"x"})");
  auto m = c.get("/metrics");
  ASSERT_EQ(m.status, 200u);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  for (const char* needle : {"parley_open_connections 1", "parley_message_requests_total{bot=\"echo\",outcome=\"ok\"} 1",
                             "parley_message_request_seconds_bucket{le=\"+Inf\"} 1", "fake_backend_up 1",
                             "parley_errors_total{code=\"not_ready\"} 1"})
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle << "\n" << m.body;
}

TEST(ChannelServer, reload_route_refuses_a_broken_bot_with_its_diagnostics) {
  InProcessServer s;
  s.backend().served.insert("broken");
  HttpClient c(s.port());
  auto ok = c.post("/v1/bots/echo/reload", "");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(ok.json().at("bot"), "echo");
  auto bad = c.post("/v1/bots/broken/reload", "");
  EXPECT_EQ(bad.status, 422u) << bad.body;
  EXPECT_EQ(bad.error_code(), "invalid_bot");
  EXPECT_EQ(bad.json().at("error").at("diagnostics"),
            bj::parse(R"(["domain.yml:3: error: bad slot","domain.yml:9: error: bad form"])"));
  EXPECT_EQ(c.post("/v1/bots/ghost/reload", "").status, 404u);
}

TEST(ChannelServer, websocket_answers_like_the_native_route_in_order) {
  InProcessServer s;
  WsClient ws(s.port());
  ASSERT_EQ(ws.connect("/v1/bots/echo/ws"), "");
  auto r = ws.exchange(R"({"conversation":"w1","id":"a","text":"hi"})");
  ASSERT_TRUE(r) << ws.error();
  EXPECT_EQ(bj::parse(*r), bj::parse(R"({"conversation":"w1","turn":1,"messages":[{"text":"echo: hi"}]})"));
  auto again = ws.exchange(R"({"conversation":"w1","id":"a","text":"hi"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(bj::parse(*again).at("replayed"), true);
  auto bad = ws.exchange(R"({"conversation":"w1","text":5})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bj::parse(*bad).at("error").at("code"), "wrong_type");
  auto junk = ws.exchange("not json");
  ASSERT_TRUE(junk);
  EXPECT_EQ(bj::parse(*junk).at("error").at("code"), "malformed_json");
  // Many messages sent at once come back in order.
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(ws.send(R"({"conversation":"w2","text":")" + std::to_string(i) + "\"}"));
  for (int i = 0; i < 10; ++i) {
    auto m = ws.receive();
    ASSERT_TRUE(m) << ws.error();
    EXPECT_EQ(bj::parse(*m).at("messages").at(0).at("text"), bj::value("echo: " + std::to_string(i)));
  }
}

TEST(ChannelServer, websocket_to_an_unknown_bot_is_refused_with_404) {
  InProcessServer s;
  WsClient ws(s.port());
  EXPECT_NE(ws.connect("/v1/bots/ghost/ws"), "");
  HttpClient c(s.port());
  auto r = c.get("/v1/bots/echo/ws");
  EXPECT_EQ(r.status, 426u);
  expect_healthy(s.port());
}

TEST(ChannelServer, stop_accepting_refuses_new_connections_and_closes_keep_alive) {
  InProcessServer s;
  HttpClient c(s.port());
  ASSERT_EQ(c.get("/healthz").status, 200u);
  s.server().stop_accepting();
  std::this_thread::sleep_for(50ms);
  auto r = c.get("/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.keep_alive);
  HttpClient late(s.port());
  EXPECT_FALSE(late.connect());
}

}  // namespace
}  // namespace parley::testing
