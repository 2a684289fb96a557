// The HTTP and WebSocket edge of a real server process, from a raw TCP client: a frame sent in
// the same packet as the WebSocket handshake is answered, handshake errors are JSON, a request
// that stalls gets 408 before the close, a Host that a DNS rebinding would bring gets 421.
#include <gtest/gtest.h>

#include "server/server_process.h"

namespace parley::testing {
namespace {

std::string upgrade_request(const std::string& key, const std::string& version = "13") {
  return "GET /v1/bots/pizza/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
}

// One masked client text frame (RFC 6455 5.2) with a payload under 64 KiB.
std::string client_text_frame(const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x81);  // FIN, text
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

class ServeEdge : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        ServerOptions{.data = dir_.sub("store"), .env = {{"PARLEY_READ_TIMEOUT_MS", "400"}}});
    ASSERT_TRUE(server_->start()) << server_->log();
  }
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServeEdge, a_frame_in_the_same_packet_as_the_handshake_is_answered) {
  HttpClient c(server_->port());
  // Two frames right behind the handshake, in one write: both answered, in order.
  ASSERT_TRUE(c.send_raw(upgrade_request("dGhlIHNhbXBsZSBub25jZQ==") +
                         client_text_frame(R"({"conversation":"early","id":"e1","text":"hi"})") +
                         client_text_frame(R"({"conversation":"early","id":"e2","text":"Alice"})")));
  bool closed = false;
  const std::string got = c.read_raw(2s, &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 101", 0), 0u) << got;
  const size_t first = got.find("What is your name"), second = got.find("Nice to meet you, Alice");
  EXPECT_NE(first, std::string::npos) << "the early frame was not answered: " << got;
  EXPECT_NE(second, std::string::npos) << "the second early frame was not answered: " << got;
  EXPECT_LT(first, second);
}

TEST_F(ServeEdge, websocket_handshake_errors_are_json) {
  for (const std::string key : {"", "short", "!!!!!!!!!!!!!!!!!!!!!!==", "dGhlIHNhbXBsZSBub25jZQ"}) {
    HttpClient c(server_->port());
    auto r = c.request(http::verb::get, "/v1/bots/pizza/ws", "",
                       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Key", key},
                        {"Sec-WebSocket-Version", "13"}});
    EXPECT_EQ(r.status, 400u) << "key '" << key << "': " << r.body;
    EXPECT_EQ(r.error_code(), "bad_handshake") << r.body;
  }
  HttpClient c(server_->port());
  auto r = c.request(http::verb::get, "/v1/bots/pizza/ws", "",
                     {{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "8"}});
  EXPECT_EQ(r.status, 426u) << r.body;
  EXPECT_EQ(r.error_code(), "unsupported_websocket_version") << r.body;
  EXPECT_EQ(r.header("sec-websocket-version"), "13");
}

TEST_F(ServeEdge, a_stalled_request_gets_408_then_the_close) {
  for (const std::string& partial :
       {std::string("POST /v1/bots/pizza/conversations/s/messages HTTP/1.1\r\nHost: x\r\n"),  // headers stall
        std::string("POST /v1/bots/pizza/conversations/s/messages HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":")}) {  // body stalls
    HttpClient c(server_->port());
    ASSERT_TRUE(c.send_raw(partial));
    bool closed = false;
    const std::string got = c.read_raw(5s, &closed);
    EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
    EXPECT_NE(got.find("\"request_timeout\""), std::string::npos) << got;
    EXPECT_TRUE(closed) << "the connection stays open after the 408";
  }
  HttpClient ok(server_->port());
  EXPECT_EQ(ok.get("/healthz").status, 200u);
}

TEST_F(ServeEdge, a_client_that_keeps_sending_after_a_closing_answer_is_cut_off) {
  HttpClient c(server_->port());
  ASSERT_TRUE(c.send_raw("BAD\x01 / HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  std::string got = c.read_raw(300ms, &closed);
  ASSERT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  // The server drains what the client still sends for a bounded while (the linger close), then
  // closes even though the client never stops.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    if (!c.send_raw("x")) {
      closed = true;
      break;
    }
    c.read_raw(100ms, &closed);
  }
  EXPECT_TRUE(closed) << "the server kept a connection open for a client that never stops sending";
}

TEST(ServeRequireMessageId, a_message_without_an_id_is_refused_and_one_with_an_id_is_applied_once) {
  TempDir dir;
  ServerProcess server({.data = dir.sub("store"), .env = {{"PARLEY_REQUIRE_MESSAGE_ID", "true"}}});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  const std::string route = "/v1/bots/pizza/conversations/ids/messages";
  auto r = c.post_json(route, {{"text", "hi"}});
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(r.error_code(), "missing_message_id") << r.body;
  auto rasa = c.post_json("/bots/pizza/webhooks/rest/webhook", {{"sender", "ids"}, {"message", "hi"}});
  EXPECT_EQ(rasa.status, 422u) << rasa.body;
  auto first = c.post_json(route, {{"id", "m1"}, {"text", "hi"}});
  ASSERT_EQ(first.status, 200u) << first.body;
  auto again = c.post_json(route, {{"id", "m1"}, {"text", "hi"}});
  EXPECT_EQ(again.json().at("messages"), first.json().at("messages"));
  EXPECT_EQ(again.json().at("turn"), first.json().at("turn"));
  EXPECT_EQ(HttpClient(server.port()).get("/v1/bots/pizza/conversations/ids").json().at("turns").to_number<int>(), 1);
}

TEST(ServeHosts, a_loopback_server_answers_only_loopback_host_names_against_dns_rebinding) {
  TempDir dir;
  ServerProcess server({.data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  const std::string port = std::to_string(server.port());
  const std::string route = "/v1/bots/pizza/conversations/rebind/messages";
  for (const std::string& host : std::vector<std::string>{"attacker.example:" + port, "attacker.example", "localhost.attacker.example"}) {
    HttpClient c(server.port());
    auto r = c.request(http::verb::post, route, R"({"id":"x","text":"hi"})", {{"Host", host}});
    EXPECT_EQ(r.status, 421u) << host << ": " << r.body;
    EXPECT_EQ(r.error_code(), "host_not_allowed") << r.body;
    auto read = c.request(http::verb::get, "/v1/bots/pizza/conversations/rebind", {}, {{"Host", host}});
    EXPECT_EQ(read.status, 421u) << host;
    WsClient ws(server.port());
    EXPECT_NE(ws.connect("/v1/bots/pizza/ws", {{"Host", host}}), "") << host;
  }
  for (const std::string& host : std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "app.localhost", "LOCALHOST."}) {
    HttpClient c(server.port());
    auto r = c.request(http::verb::get, "/healthz", {}, {{"Host", host}});
    EXPECT_EQ(r.status, 200u) << host << ": " << r.body;
  }
  // Nothing of the refused requests reached the conversation.
  EXPECT_EQ(HttpClient(server.port()).get("/v1/bots/pizza/conversations/rebind").json().at("turns").to_number<int>(), 0);
}

TEST(ServeHosts, allowed_hosts_names_the_hosts_answered) {
  TempDir dir;
  ServerProcess server({.data = dir.sub("store"), .env = {{"PARLEY_ALLOWED_HOSTS", "bots.example, *.chat.example"}}});
  ASSERT_TRUE(server.start()) << server.log();
  auto status = [&](const std::string& host) {
    return HttpClient(server.port()).request(http::verb::get, "/healthz", {}, {{"Host", host}}).status;
  };
  EXPECT_EQ(status("bots.example"), 200u);
  EXPECT_EQ(status("eu.chat.example:443"), 200u);
  EXPECT_EQ(status("chat.example"), 421u);
  EXPECT_EQ(status("localhost"), 421u);
  EXPECT_EQ(status("127.0.0.1"), 200u);
}

}  // namespace
}  // namespace parley::testing
