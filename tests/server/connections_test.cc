// Issue 3 "Serve ... done when", against a real `parley serve` on loopback:
// - 10,000 TCP connections held open at once, then one keep-alive HTTP/1.1 request on every one of
//   them (GET /healthz, and a message to the echo bot on a few hundred): every one answered 200, a
//   fresh connection still answered, /metrics counts them in parley_open_connections; the server's
//   RSS with them all open is printed (and bounded generously, never timed);
// - over max_connections (PARLEY_MAX_CONNECTIONS=50) the 51st connection gets 503 with Retry-After,
//   and a slot freed by a closed connection is usable again.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "server/echo_bot.h"
#include "server/server_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;

constexpr int kConnections = 10000;
constexpr rlim_t kWantOpenFiles = 22000;                 // asked for (soft, and hard when allowed)
constexpr rlim_t kNeedOpenFiles = kConnections + 600;    // this process: the 10,000 sockets and a margin

// Raises RLIMIT_NOFILE of this process (the server child inherits it and raises its own soft limit
// to the hard one) and puts the old limits back when the test ends.
class OpenFilesLimit {
 public:
  OpenFilesLimit() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    // Raising the hard limit needs CAP_SYS_RESOURCE; without it, go as far as the hard limit allows.
    rlimit want{kWantOpenFiles, std::max(saved_.rlim_max, kWantOpenFiles)};
    if (saved_.rlim_cur >= kWantOpenFiles) want = saved_;
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
      want = {std::min(kWantOpenFiles, saved_.rlim_max), saved_.rlim_max};
      ::setrlimit(RLIMIT_NOFILE, &want);
    }
    ::getrlimit(RLIMIT_NOFILE, &now_);
  }
  ~OpenFilesLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  OpenFilesLimit(const OpenFilesLimit&) = delete;
  OpenFilesLimit& operator=(const OpenFilesLimit&) = delete;

  rlim_t soft() const { return now_.rlim_cur; }
  rlim_t hard() const { return now_.rlim_max; }

 private:
  rlimit saved_{};
  rlimit now_{};
};

// The value of an unlabelled sample in Prometheus text, or -1.
double metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

// One client connection of the 10,000: connected, then one request and its response.
struct Conn {
  explicit Conn(asio::io_context& ioc) : socket(ioc) {}
  tcp::socket socket;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  std::string text;  // the message sent to the echo bot ("" for GET /healthz)
  bool connected = false;
  bool answered = false;
  std::string error;
};

// Connects every one of `conns` to `endpoint`, at most 256 at a time so the listen backlog never
// overflows (a dropped SYN would only come back after a second); how long it took.
std::chrono::milliseconds connect_all(asio::io_context& ioc, const tcp::endpoint& endpoint,
                                      std::vector<std::unique_ptr<Conn>>& conns) {
  constexpr int kInFlight = 256;
  const int total = static_cast<int>(conns.size());
  int next = 0;
  std::function<void()> connect_next = [&] {
    if (next >= total) return;
    Conn& c = *conns[next++];
    c.socket.async_connect(endpoint, [&](beast::error_code ec) {
      if (ec) {
        c.error = "connect: " + ec.message();
      } else {
        c.connected = true;
      }
      connect_next();
    });
  };
  for (int i = 0; i < kInFlight; ++i) connect_next();
  auto t0 = std::chrono::steady_clock::now();
  ioc.run_for(20s);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

// Sends one keep-alive request on every connection at once (a message to the echo bot on every
// `message_every`-th, GET /healthz on the others) and reads the answers; how long it took.
std::chrono::milliseconds request_on_each(asio::io_context& ioc, std::vector<std::unique_ptr<Conn>>& conns,
                                          int message_every) {
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = *conns[i];
    if (i % static_cast<size_t>(message_every) == 0) {
      c.text = "c" + std::to_string(i) + " m1";
      c.req = {http::verb::post, "/v1/bots/echo/conversations/conn-" + std::to_string(i) + "/messages", 11};
      c.req.set(http::field::content_type, "application/json");
      c.req.body() = json::serialize(json::object{{"id", c.text}, {"text", c.text}});
    } else {
      c.req = {http::verb::get, "/healthz", 11};
    }
    c.req.set(http::field::host, "127.0.0.1");
    c.req.keep_alive(true);
    c.req.prepare_payload();
    http::async_write(c.socket, c.req, [&c](beast::error_code ec, size_t) {
      if (ec) {
        c.error = "write: " + ec.message();
        return;
      }
      http::async_read(c.socket, c.buffer, c.res, [&c](beast::error_code ec, size_t) {
        if (ec) c.error = "read: " + ec.message();
        else c.answered = true;
      });
    });
  }
  auto t0 = std::chrono::steady_clock::now();
  ioc.restart();
  ioc.run_for(30s);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

// What is wrong with a connection's answer: "" when it is a keep-alive 200 (with the echo bot's
// reply to its message, if it sent one).
std::string answer_problem(const Conn& c) {
  if (!c.answered) return c.error.empty() ? "no answer in time" : c.error;
  if (c.res.result_int() != 200) return "status " + std::to_string(c.res.result_int()) + " " + c.res.body();
  if (!c.res.keep_alive()) return "answered without keep-alive";
  if (c.text.empty()) return {};
  boost::system::error_code ec;
  auto v = json::parse(c.res.body(), ec);
  const json::value* reply = nullptr;
  if (!ec && v.is_object())
    if (auto* m = v.as_object().if_contains("messages"); m && m->is_array() && !m->as_array().empty())
      reply = m->as_array()[0].as_object().if_contains("text");
  if (!reply || !reply->is_string() || reply->as_string() != "Got " + c.text + ".") return "echo reply " + c.res.body();
  return {};
}

TEST(Connections, ten_thousand_open_connections_each_answered_on_keep_alive) {
  OpenFilesLimit limit;
  if (limit.soft() < kNeedOpenFiles)
    GTEST_SKIP() << "RLIMIT_NOFILE is " << limit.soft() << " (hard " << limit.hard() << "), " << kNeedOpenFiles
                 << " needed for " << kConnections << " connections (raise `ulimit -Hn` or run as root)";

  TempDir dir("parley-conns");
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"},
                                // no idle connection may be closed while the others are being opened
                                {"PARLEY_IDLE_TIMEOUT_MS", "120000"}}});
  ASSERT_TRUE(server.start()) << server.log();
  const uint64_t rss_idle = rss_kib(server.pid());

  asio::io_context ioc(1);
  const auto endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  std::vector<std::unique_ptr<Conn>> conns;
  conns.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) conns.push_back(std::make_unique<Conn>(ioc));

  auto connect_ms = connect_all(ioc, endpoint, conns);
  int connected = 0;
  std::string first_error;
  for (const auto& c : conns) {
    if (c->connected) ++connected;
    else if (first_error.empty()) first_error = c->error.empty() ? "not connected in time" : c->error;
  }
  ASSERT_EQ(connected, kConnections) << "first failure: " << first_error;

  // All 10,000 are open; now one keep-alive request on every one, all at once.
  constexpr int kMessageEvery = 32;  // 313 connections send a message to the echo bot
  auto request_ms = request_on_each(ioc, conns, kMessageEvery);

  int ok = 0, messages = 0;
  std::vector<std::string> failures;
  for (int i = 0; i < kConnections; ++i) {
    const Conn& c = *conns[i];
    std::string problem = answer_problem(c);
    if (problem.empty() && !c.text.empty()) ++messages;
    if (problem.empty()) ++ok;
    else if (failures.size() < 5) failures.push_back("connection " + std::to_string(i) + ": " + problem);
  }
  EXPECT_EQ(ok, kConnections) << ::testing::PrintToString(failures);
  EXPECT_EQ(messages, (kConnections + kMessageEvery - 1) / kMessageEvery);

  // With the 10,000 still open: a fresh connection is answered, and /metrics counts them all.
  HttpClient fresh(server.port());
  EXPECT_EQ(fresh.get("/healthz").status, 200u);
  auto metrics = fresh.get("/metrics");
  ASSERT_EQ(metrics.status, 200u) << metrics.error;
  double open = metric_value(metrics.body, "parley_open_connections");
  EXPECT_GE(open, kConnections) << metrics.body.substr(0, 2000);
  EXPECT_EQ(metric_value(metrics.body, "parley_connections_refused_total"), 0);

  const uint64_t rss = rss_kib(server.pid());
  std::cout << "[ connections ] " << kConnections << " connections opened in " << connect_ms.count()
            << " ms, answered in " << request_ms.count() << " ms; parley_open_connections " << open
            << "; server VmRSS " << rss_idle / 1024 << " MiB before, " << rss / 1024 << " MiB with them open ("
            << (rss > rss_idle ? (rss - rss_idle) * 1024 / kConnections : 0)
            << " bytes per connection); RLIMIT_NOFILE " << limit.soft() << "\n";
  RecordProperty("server_rss_kib_before", std::to_string(rss_idle));
  RecordProperty("server_rss_kib_10k_connections", std::to_string(rss));
  EXPECT_GT(rss, 0u);
  EXPECT_LT(rss, 1024u * 1024u) << "server RSS with " << kConnections << " connections: " << rss << " KiB";

  // Close everything; the server then drains and exits cleanly.
  for (auto& c : conns) {
    beast::error_code ignored;
    c->socket.close(ignored);
  }
  conns.clear();
  EXPECT_EQ(server.terminate(), 0) << server.log().substr(0, 4000);
}

TEST(Connections, over_max_connections_answers_503_with_retry_after) {
  TempDir dir("parley-conns");
  write_echo_bot(dir.sub("bots"));
  constexpr int kMax = 50;
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_MAX_CONNECTIONS", std::to_string(kMax)},
                                {"PARLEY_RETRY_AFTER_S", "3"}}});
  ASSERT_TRUE(server.start()) << server.log();

  // 50 keep-alive connections, each answered and left open.
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < kMax; ++i) {
    held.push_back(std::make_unique<HttpClient>(server.port(), 5s));
    auto r = held.back()->get("/healthz");
    ASSERT_EQ(r.status, 200u) << "connection " << i + 1 << ": " << r.body << r.error;
    ASSERT_TRUE(held.back()->connected()) << "connection " << i + 1 << " was closed";
  }

  // The 51st: 503 with Retry-After, and closed.
  HttpClient over(server.port(), 5s);
  auto r = over.get("/healthz");
  EXPECT_EQ(r.status, 503u) << r.body << r.error;
  EXPECT_EQ(r.header("retry-after"), "3");
  EXPECT_EQ(r.error_code(), "too_many_connections") << r.body;
  EXPECT_FALSE(r.keep_alive);

  // The held ones still work.
  for (int i = 0; i < kMax; i += 7) EXPECT_EQ(held[i]->get("/healthz").status, 200u) << "connection " << i + 1;

  // Closing one frees its slot: a new connection is answered again (once the server saw the close).
  held.pop_back();
  unsigned status = 0;
  std::string metrics_body;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpClient again(server.port(), 5s);
    auto a = again.get("/metrics");
    status = a.status;
    if (status == 200) {
      metrics_body = a.body;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200u);
  EXPECT_GE(metric_value(metrics_body, "parley_connections_refused_total"), 1);
  EXPECT_LE(metric_value(metrics_body, "parley_open_connections"), kMax);

  held.clear();
  EXPECT_EQ(server.terminate(), 0) << server.log().substr(0, 4000);
}

}  // namespace
}  // namespace parley::testing
