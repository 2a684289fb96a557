// Bad input and operations against the real `parley serve` process: each bad request gets its
// status and JSON error and the server keeps serving; a hanging action server delays only its
// own conversation; the queue bound answers 503; reload by SIGHUP and by route, a broken
// version refused; SIGTERM finishes the turn in flight and exits 0; settings from the
// environment; unknown config keys refused.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <netinet/in.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "server/echo_bot.h"
#include "server/server_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

void expect_serving(uint16_t port, const std::string& bot = "echo") {
  HttpClient c(port);
  EXPECT_EQ(c.get("/healthz").status, 200u);
  auto r = c.post_json("/v1/bots/" + bot + "/conversations/after-bad/messages", {{"text", "message 1"}});
  EXPECT_EQ(r.status, 200u) << r.body << r.error;
}

// A loopback TCP listener that accepts connections and never answers: a hanging action server.
class HangingServer {
 public:
  HangingServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HangingServer() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A loopback action server that answers every call with one fixed JSON body.
class CannedActionServer {
 public:
  explicit CannedActionServer(std::string body) : body_(std::move(body)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = ::accept(hang_fd(), nullptr, nullptr);
        if (c < 0) continue;
        std::string req;
        char buf[4096];
        // Read the headers and the body Content-Length announces.
        for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) {
          req.append(buf, static_cast<size_t>(n));
          const size_t end = req.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          const size_t cl = req.find("Content-Length: ");
          const size_t want = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
          if (req.size() >= end + 4 + want) break;
        }
        const std::string res = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
        (void)::send(c, res.data(), res.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~CannedActionServer() {
    stop_ = true;
    ::shutdown(hang_fd(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return listener_.port(); }

 private:
  int hang_fd() const { return listener_.fd(); }
  HangingServer listener_;
  std::string body_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The echo bot plus a "lookup" intent answered by a custom action.
void write_action_bot(const std::string& bots_dir, uint16_t action_port) {
  write_echo_bot(bots_dir, {.intents = "  - lookup\n",
                            .actions = "  - action_lookup\n",
                            .nlu = "- intent: lookup\n  examples: |\n    - look it up\n    - lookup please\n",
                            .rules = "- rule: lookup\n  steps:\n  - intent: lookup\n  - action: action_lookup\n"});
  std::string dir = bots_dir + "/echo";
  std::ofstream(dir + "/endpoints.yml") << "action_endpoint:\n  url: http://127.0.0.1:" << action_port << "/webhook\n";
}

TEST(ServeOps, each_bad_request_gets_its_status_and_error_and_the_server_keeps_serving) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  const std::string path = "/v1/bots/echo/conversations/bad/messages";
  struct Case {
    std::string name, target, body;
    unsigned status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"malformed json", path, R"({"text": "hi")", 400, "malformed_json"},
      {"text is a number", path, R"({"text": 5})", 422, "wrong_type"},
      {"id is an object", path, R"({"id": {}, "text": "x"})", 422, "wrong_type"},
      {"missing text", path, R"({"id": "a"})", 422, "missing_field"},
      {"text over 16 KiB", path, "{\"text\":\"" + std::string(16 * 1024 + 1, 'a') + "\"}", 413, "text_too_large"},
      {"invalid utf-8", path, "{\"text\":\"caf\xC3\x28\"}", 400, "invalid_utf8"},
      {"number beyond a double", path, R"({"text": "x", "metadata": {"n": 1e999}})", 422, "number_out_of_range"},
      {"unknown bot", "/v1/bots/nobot/conversations/c/messages", R"({"text":"x"})", 404, "unknown_bot"},
      {"unknown route", "/v1/nothing/here", "{}", 404, "not_found"},
  };
  for (const auto& bc : cases) {
    HttpClient c(server.port());
    auto r = c.post(bc.target, bc.body);
    EXPECT_EQ(r.status, bc.status) << bc.name << ": " << r.body << r.error;
    EXPECT_EQ(r.error_code(), bc.code) << bc.name << ": " << r.body;
    EXPECT_FALSE(r.json().at("error").at("message").as_string().empty()) << bc.name;
  }
  HttpClient c(server.port());
  auto big = c.post(path, "{\"text\":\"" + std::string(70 * 1024, 'b') + "\"}");
  EXPECT_EQ(big.status, 413u) << big.error;
  EXPECT_EQ(big.error_code(), "body_too_large");
  HttpClient m(server.port());
  auto method = m.get(path);
  EXPECT_EQ(method.status, 405u);
  EXPECT_EQ(method.error_code(), "method_not_allowed");
  HttpClient h(server.port());
  auto headers = h.request(http::verb::get, "/healthz", {}, {{"X-Big", std::string(20000, 'h')}});
  EXPECT_EQ(headers.status, 431u) << headers.error;
  expect_serving(server.port());
  // Nothing of the bad requests reached the conversation.
  EXPECT_EQ(HttpClient(server.port()).get("/v1/bots/echo/conversations/bad").json().at("turns").to_number<int>(), 0);
}

TEST(ServeOps, an_action_server_reply_of_the_wrong_shape_is_a_failed_call) {
  for (const std::string body : {R"({"events": "notalist"})", R"({"responses": {"text": "x"}})",
                                 R"({"events": [1, 2]})", R"([])",
                                 R"({"events": [{"event": "slot", "name": "last_text", "value": -1e999}]})"}) {
    CannedActionServer actions(body);
    TempDir dir;
    write_action_bot(dir.sub("bots"), actions.port());
    ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
    ASSERT_TRUE(server.start()) << server.log();
    HttpClient c(server.port());
    auto r = c.post_json("/v1/bots/echo/conversations/shape/messages", {{"text", "look it up"}});
    EXPECT_EQ(r.status, 200u) << r.body << r.error;
    auto view = HttpClient(server.port()).get("/v1/bots/echo/conversations/shape").json();
    std::string outcome, error;
    for (const auto& e : view.at("events").as_array()) {
      if (e.at("event") == "parley_action_call") outcome = e.at("outcome").as_string();
      if (e.at("event") == "parley_error") error = e.at("code").as_string();
    }
    EXPECT_EQ(outcome, "error") << body << ": " << json::serialize(view);
    EXPECT_EQ(error, "action_failed") << body;
  }
}

TEST(ServeOps, rate_limits_answer_429_with_retry_after) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "1"},
                                {"PARLEY_RATE_LIMIT_CONVERSATION_BURST", "2"}}});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  unsigned last = 0;
  HttpResult limited;
  for (int i = 0; i < 5 && last != 429; ++i) {
    limited = c.post_json("/v1/bots/echo/conversations/fast/messages", {{"text", "message 1"}});
    last = limited.status;
  }
  EXPECT_EQ(last, 429u);
  EXPECT_EQ(limited.error_code(), "rate_limited");
  EXPECT_FALSE(limited.header("retry-after").empty());
  // Another conversation is not limited.
  EXPECT_EQ(c.post_json("/v1/bots/echo/conversations/other/messages", {{"text", "message 1"}}).status, 200u);
}

TEST(ServeOps, a_hanging_action_server_delays_only_its_conversation_and_a_full_queue_is_503) {
  HangingServer hang;
  TempDir dir;
  write_action_bot(dir.sub("bots"), hang.port());
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"},
                                {"PARLEY_MAX_QUEUE_PER_CONVERSATION", "2"}}});
  ASSERT_TRUE(server.start()) << server.log();
  // The stuck turn: its action call hangs until the action timeout.
  auto stuck = std::async(std::launch::async, [&] {
    HttpClient c(server.port(), std::chrono::milliseconds(60000));
    return c.post_json("/v1/bots/echo/conversations/stuck/messages", {{"text", "look it up"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Other conversations answer at once meanwhile.
  HttpClient other(server.port(), std::chrono::milliseconds(3000));
  auto start = Clock::now();
  for (int i = 0; i < 20; ++i) {
    auto r = other.post_json("/v1/bots/echo/conversations/free-" + std::to_string(i) + "/messages",
                             {{"text", "message 1"}});
    EXPECT_EQ(r.status, 200u) << r.body << r.error;
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));  // bounded wait, not a timing target
  // The stuck conversation's queue fills: the third waiting message is refused.
  std::vector<std::future<HttpResult>> queued;
  for (int i = 0; i < 2; ++i)
    queued.push_back(std::async(std::launch::async, [&] {
      HttpClient c(server.port(), std::chrono::milliseconds(60000));
      return c.post_json("/v1/bots/echo/conversations/stuck/messages", {{"text", "message 1"}});
    }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpClient extra(server.port());
  auto full = extra.post_json("/v1/bots/echo/conversations/stuck/messages", {{"text", "message 1"}});
  EXPECT_EQ(full.status, 503u) << full.body;
  EXPECT_FALSE(full.header("retry-after").empty());
  // When the action call times out, the stuck turn ends with the fallback and an error event,
  // and the queued ones are answered.
  auto first = stuck.get();
  EXPECT_EQ(first.status, 200u) << first.body << first.error;
  for (auto& q : queued) EXPECT_EQ(q.get().status, 200u);
  auto view = HttpClient(server.port()).get("/v1/bots/echo/conversations/stuck").json();
  bool error_event = false;
  for (const auto& e : view.at("events").as_array()) error_event |= e.at("event").as_string() == "parley_error";
  EXPECT_TRUE(error_event) << json::serialize(view);
}

TEST(ServeOps, reload_by_sighup_and_route_swaps_the_bot_and_refuses_a_broken_version) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  auto send = [&](const std::string& text) {
    auto r = c.post_json("/v1/bots/echo/conversations/kept/messages", {{"text", text}});
    return r.status == 200 ? std::string(r.json().at("messages").at(0).at("text").as_string()) : r.body;
  };
  EXPECT_EQ(send("message 1"), "Got message 1.");
  std::string domain = dir.sub("bots/echo/domain.yml");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::ifstream in(domain);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find(from), from.size(), to);
    std::ofstream(domain) << text;
  };
  // SIGHUP: the new response is served; the conversation keeps its tracker.
  replace("Got {last_text}.", "Heard {last_text}.");
  server.signal(SIGHUP);
  std::string reply;
  for (int i = 0; i < 100 && reply.rfind("Heard", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    reply = send("message 2");
  }
  EXPECT_EQ(reply, "Heard message 2.");
  // A broken version is refused with its errors; the old one keeps serving.
  replace("intents:", "intents: [");
  auto refused = c.post("/v1/bots/echo/reload", "");
  EXPECT_GE(refused.status, 400u) << refused.body;
  EXPECT_NE(refused.body.find("domain.yml"), std::string::npos) << refused.body;
  EXPECT_EQ(send("message 3"), "Heard message 3.");
  replace("intents: [", "intents:");
  replace("Heard {last_text}.", "Noted {last_text}.");
  auto ok = c.post("/v1/bots/echo/reload", "");
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(send("message 4"), "Noted message 4.");
  auto view = c.get("/v1/bots/echo/conversations/kept").json();
  EXPECT_EQ(view.at("turns").to_number<int>(), 4);
  EXPECT_EQ(user_texts(view).size(), 4u);
}

TEST(ServeOps, sigterm_answers_the_turn_in_flight_and_exits_zero) {
  // An action server that answers after a second, so a turn is in flight at SIGTERM.
  TempDir dir;
  std::atomic<bool> stop{false};
  boost::asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  uint16_t action_port = acceptor.local_endpoint().port();
  std::thread slow([&] {
    while (!stop) {
      tcp::socket s(ioc);
      boost::system::error_code ec;
      acceptor.accept(s, ec);
      if (ec || stop) break;
      beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(s, buf, req, ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"events":[],"responses":[{"text":"Looked it up."}]})";
      res.prepare_payload();
      http::write(s, res, ec);
    }
  });
  write_action_bot(dir.sub("bots"), action_port);
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient c(server.port(), std::chrono::milliseconds(10000));
    return c.post_json("/v1/bots/echo/conversations/drain/messages", {{"id", "d1"}, {"text", "look it up"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient late(server.port(), std::chrono::milliseconds(2000));
  EXPECT_FALSE(late.connect() && late.get("/healthz").status == 200) << "new connections are refused while draining";
  auto r = in_flight.get();
  EXPECT_EQ(r.status, 200u) << r.body << r.error;
  EXPECT_NE(r.body.find("Looked it up."), std::string::npos) << r.body;
  EXPECT_EQ(server.wait_exit(std::chrono::milliseconds(15000)), 0) << server.log();
  stop = true;
  {  // a blocking accept() does not wake on close(): connect once so it returns
    boost::asio::io_context wake_ioc;
    tcp::socket wake(wake_ioc);
    boost::system::error_code ec;
    wake.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), action_port), ec);
  }
  slow.join();
  acceptor.close();
  // The answered turn is durable.
  ServerProcess again({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(again.start()) << again.log();
  auto view = HttpClient(again.port()).get("/v1/bots/echo/conversations/drain").json();
  EXPECT_EQ(view.at("turns").to_number<int>(), 1);
}

TEST(ServeOps, settings_from_env_and_unknown_config_keys_are_refused) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  {
    ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                          .env = {{"PARLEY_MAX_TEXT_BYTES", "10"}}});
    ASSERT_TRUE(server.start()) << server.log();
    auto r = HttpClient(server.port()).post_json("/v1/bots/echo/conversations/x/messages",
                                                 {{"text", "more than ten bytes"}});
    EXPECT_EQ(r.status, 413u) << r.body;
  }
  ServerProcess bad({.bots = dir.sub("bots"), .data = dir.sub("store2"), .env = {}, .config_yaml = "durabilty: fsync\n"});
  EXPECT_FALSE(bad.start());
  EXPECT_NE(bad.log().find("durabilty"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace parley::testing
