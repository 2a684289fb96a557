// Test helpers that talk to a server on loopback: a keep-alive HTTP/1.1 client, a WebSocket
// client and a raw TCP connection for malformed input. Synchronous, each call with a deadline;
// failures come back as status 0 (HTTP) or an error string, never as exceptions.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parley::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct HttpResult {
  unsigned status = 0;       // 0: transport error (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
  bool keep_alive = true;

  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // {"error": {"code": ...}} -> code, or "".
  std::string error_code() const {
    auto v = json();
    if (!v.is_object()) return {};
    auto* e = v.as_object().if_contains("error");
    if (!e || !e->is_object()) return {};
    auto* c = e->as_object().if_contains("code");
    return c && c->is_string() ? std::string(c->as_string()) : std::string();
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = 10s) : port_(port), timeout_(timeout) {}

  bool connect() {
    stream_.emplace(ioc_);
    buffer_.clear();
    beast::error_code ec;
    stream_->expires_after(timeout_);
    stream_->async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                           [&ec, this](beast::error_code e) { ec = e; ++completions_; });
    run();
    connected_ = !ec;
    return connected_;
  }
  bool connected() const { return connected_; }

  HttpResult request(http::verb method, const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpResult out;
    if (!connected_ && !connect()) {
      out.error = "connect failed";
      return out;
    }
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == http::verb::post) {
      if (req.find(http::field::content_type) == req.end()) req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    stream_->expires_after(timeout_);
    http::async_write(*stream_, req, [&ec, this](beast::error_code e, size_t) { ec = e; ++completions_; });
    run();
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      stream_->expires_after(timeout_);
      http::async_read(*stream_, buffer_, parser, [&ec, this](beast::error_code e, size_t) { ec = e; ++completions_; });
      run();
      if (!ec) {
        auto& res = parser.get();
        out.status = res.result_int();
        out.body = res.body();
        out.keep_alive = res.keep_alive();
        for (const auto& f : res) {
          std::string name(f.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          out.headers[name] = std::string(f.value());
        }
      }
    }
    if (ec) {
      out.error = ec.message();
      connected_ = false;
    } else if (!out.keep_alive) {
      connected_ = false;
    }
    return out;
  }

  HttpResult get(const std::string& target) { return request(http::verb::get, target); }
  HttpResult post(const std::string& target, const std::string& body) { return request(http::verb::post, target, body); }
  HttpResult post_json(const std::string& target, const boost::json::value& v) {
    return post(target, boost::json::serialize(v));
  }

  // Sends raw bytes on the connection (connecting first if needed).
  bool send_raw(const std::string& bytes) {
    if (!connected_ && !connect()) return false;
    beast::error_code ec;
    stream_->expires_after(timeout_);
    asio::async_write(*stream_, asio::buffer(bytes), [&ec, this](beast::error_code e, size_t) { ec = e; ++completions_; });
    run();
    return !ec;
  }
  // Reads what arrives until the peer closes or `wait` passes; `closed` tells which.
  std::string read_raw(std::chrono::milliseconds wait, bool* closed) {
    std::string got = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    *closed = false;
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      std::array<char, 4096> buf;
      beast::error_code ec;
      size_t n = 0;
      stream_->expires_at(deadline);
      stream_->async_read_some(asio::buffer(buf), [&, this](beast::error_code e, size_t k) {
        ec = e;
        n = k;
        ++completions_;
      });
      run();
      got.append(buf.data(), n);
      if (ec == beast::error::timeout) break;
      if (ec) {
        *closed = true;
        connected_ = false;
        break;
      }
    }
    return got;
  }

 private:
  // Runs until the one operation started last completes (timers of the stream may stay pending).
  void run() {
    ioc_.restart();
    size_t before = completions_;
    while (completions_ == before && ioc_.run_one()) {
    }
  }
  size_t completions_ = 0;

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

class WsClient {
 public:
  explicit WsClient(uint16_t port, std::chrono::milliseconds timeout = 10s) : port_(port), timeout_(timeout) {}

  // Connects and upgrades on `target` (with `headers` on the upgrade request); returns "" or the error.
  std::string connect(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    ws_.emplace(ioc_);
    beast::error_code ec;
    beast::get_lowest_layer(*ws_).expires_after(timeout_);
    beast::get_lowest_layer(*ws_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                [&ec, this](beast::error_code e) { ec = e; ++completions_; });
    run();
    if (ec) return "connect: " + ec.message();
    ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    ws_->async_handshake("127.0.0.1", target, [&ec, this](beast::error_code e) { ec = e; ++completions_; });
    run();
    if (ec) return "handshake: " + ec.message();
    beast::get_lowest_layer(*ws_).expires_never();
    return {};
  }

  // Sends one text message and reads one answer; nullopt on failure (error() says why).
  std::optional<std::string> exchange(const std::string& text) {
    if (!send(text)) return std::nullopt;
    return receive();
  }
  bool send(const std::string& text) {
    beast::error_code ec;
    ws_->text(true);
    arm();
    ws_->async_write(asio::buffer(text), [&ec, this](beast::error_code e, size_t) { ec = e; ++completions_; });
    run();
    if (ec) error_ = "write: " + ec.message();
    return !ec;
  }
  std::optional<std::string> receive() {
    beast::flat_buffer buf;
    beast::error_code ec;
    arm();
    ws_->async_read(buf, [&ec, this](beast::error_code e, size_t) { ec = e; ++completions_; });
    run();
    if (ec) {
      error_ = "read: " + ec.message();
      return std::nullopt;
    }
    return beast::buffers_to_string(buf.data());
  }
  const std::string& error() const { return error_; }
  websocket::close_reason close_reason() const { return ws_->reason(); }

 private:
  void arm() {
    websocket::stream_base::timeout t;
    t.handshake_timeout = timeout_;
    t.idle_timeout = timeout_;
    t.keep_alive_pings = false;
    ws_->set_option(t);
  }
  // Runs until the one operation started last completes (timers of the stream may stay pending).
  void run() {
    ioc_.restart();
    size_t before = completions_;
    while (completions_ == before && ioc_.run_one()) {
    }
  }
  size_t completions_ = 0;

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  std::string error_;
};

}  // namespace parley::testing
