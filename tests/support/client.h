// Test helpers that talk to a server on loopback: a keep-alive HTTP/1.1 client (which can also send
// raw bytes, for malformed input) and a WebSocket client. Synchronous, each call with a deadline;
// failures come back as status 0 (HTTP) or an error string, never as exceptions. Both are templates
// over a transport, as the server's sessions are over their stream: plain TCP here, TLS in
// support/tls_client.h.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <array>
#include <cctype>
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

// Runs one asynchronous operation on `ioc` until it completes (timers of the stream may stay
// pending); its error. `start` is given the completion handler.
template <class Start>
beast::error_code run_one_operation(asio::io_context& ioc, Start&& start) {
  beast::error_code ec;
  bool done = false;
  start([&ec, &done](beast::error_code e, auto&&...) {
    ec = e;
    done = true;
  });
  ioc.restart();
  while (!done && ioc.run_one()) {
  }
  return ec;
}

// The plain transport: a TCP stream, nothing to negotiate after the connect.
struct TcpTransport {
  using Stream = beast::tcp_stream;

  // Constructs the stream (or a websocket::stream over one) in `slot`.
  template <class T>
  void emplace(std::optional<T>& slot, asio::io_context& ioc) const {
    slot.emplace(ioc);
  }
  // What follows the TCP connect; "" or the error.
  std::string handshake(Stream&, asio::io_context&) const { return {}; }
};

template <class Transport>
class BasicHttpClient {
 public:
  using Stream = typename Transport::Stream;

  explicit BasicHttpClient(uint16_t port, std::chrono::milliseconds timeout = 10s, Transport transport = {})
      : port_(port), timeout_(timeout), transport_(std::move(transport)) {}

  // Connects (and, over TLS, handshakes); false with connect_error() saying why.
  bool connect() {
    transport_.emplace(stream_, ioc_);
    buffer_.clear();
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    beast::error_code ec = run_one_operation(ioc_, [this](auto handler) {
      beast::get_lowest_layer(*stream_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                      std::move(handler));
    });
    connect_error_ = ec ? "connect: " + ec.message() : transport_.handshake(*stream_, ioc_);
    connected_ = connect_error_.empty();
    return connected_;
  }
  bool connected() const { return connected_; }
  const std::string& connect_error() const { return connect_error_; }
  uint16_t port() const { return port_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  const Transport& transport() const { return transport_; }

  HttpResult request(http::verb method, const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpResult out;
    if (!connected_ && !connect()) {
      out.error = connect_error_;
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
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    beast::error_code ec =
        run_one_operation(ioc_, [&](auto handler) { http::async_write(*stream_, req, std::move(handler)); });
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      beast::get_lowest_layer(*stream_).expires_after(timeout_);
      ec = run_one_operation(ioc_, [&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); });
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
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    return !run_one_operation(ioc_, [&](auto handler) { asio::async_write(*stream_, asio::buffer(bytes), std::move(handler)); });
  }
  // Reads what arrives until the peer closes or `wait` passes; `closed` tells which.
  std::string read_raw(std::chrono::milliseconds wait, bool* closed) {
    std::string got = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    *closed = false;
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      std::array<char, 4096> buf;
      size_t n = 0;
      beast::get_lowest_layer(*stream_).expires_at(deadline);
      beast::error_code ec = run_one_operation(ioc_, [&](auto handler) {
        stream_->async_read_some(asio::buffer(buf), [&n, handler = std::move(handler)](beast::error_code e, size_t k) mutable {
          n = k;
          handler(e);
        });
      });
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

 protected:
  Stream* stream() { return stream_ ? &*stream_ : nullptr; }

 private:
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  Transport transport_;
  asio::io_context ioc_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  std::string connect_error_;
};

template <class Transport>
class BasicWsClient {
 public:
  explicit BasicWsClient(uint16_t port, std::chrono::milliseconds timeout = 10s, Transport transport = {})
      : port_(port), timeout_(timeout), transport_(std::move(transport)) {}

  // Connects and upgrades on `target` (with `headers` on the upgrade request); returns "" or the error.
  std::string connect(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    transport_.emplace(ws_, ioc_);
    beast::get_lowest_layer(*ws_).expires_after(timeout_);
    beast::error_code ec = run_one_operation(ioc_, [this](auto handler) {
      beast::get_lowest_layer(*ws_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                  std::move(handler));
    });
    if (ec) return "connect: " + ec.message();
    if (std::string e = transport_.handshake(ws_->next_layer(), ioc_); !e.empty()) return e;
    ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    ec = run_one_operation(ioc_, [&](auto handler) { ws_->async_handshake("127.0.0.1", target, std::move(handler)); });
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
    ws_->text(true);
    arm();
    beast::error_code ec =
        run_one_operation(ioc_, [&](auto handler) { ws_->async_write(asio::buffer(text), std::move(handler)); });
    if (ec) error_ = "write: " + ec.message();
    return !ec;
  }
  std::optional<std::string> receive() {
    beast::flat_buffer buf;
    arm();
    beast::error_code ec = run_one_operation(ioc_, [&](auto handler) { ws_->async_read(buf, std::move(handler)); });
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

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  Transport transport_;
  asio::io_context ioc_;
  std::optional<websocket::stream<typename Transport::Stream>> ws_;
  std::string error_;
};

using HttpClient = BasicHttpClient<TcpTransport>;
using WsClient = BasicWsClient<TcpTransport>;

}  // namespace parley::testing
