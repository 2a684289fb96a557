// Test helpers that talk to a server on loopback: a keep-alive HTTP/1.1 client (which can also send
// raw bytes, for malformed input) and a WebSocket client. Synchronous, each call with a deadline;
// failures come back as status 0 (HTTP) or an error string, never as exceptions. Both are templates
// over a transport, as the server's sessions are over their stream: plain TCP here, TLS in
// support/tls_client.h. Their operations are defined in support/client_impl.h and instantiated for
// both transports once, in support/client.cc.
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
  bool connect();
  bool connected() const { return connected_; }
  const std::string& connect_error() const { return connect_error_; }
  uint16_t port() const { return port_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  const Transport& transport() const { return transport_; }

  HttpResult request(http::verb method, const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

  HttpResult get(const std::string& target) { return request(http::verb::get, target); }
  HttpResult post(const std::string& target, const std::string& body) { return request(http::verb::post, target, body); }
  HttpResult post_json(const std::string& target, const boost::json::value& v) {
    return post(target, boost::json::serialize(v));
  }

  // Sends raw bytes on the connection (connecting first if needed).
  bool send_raw(const std::string& bytes);
  // Reads what arrives until the peer closes or `wait` passes; `closed` tells which.
  std::string read_raw(std::chrono::milliseconds wait, bool* closed);

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
  std::string connect(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Sends one text message and reads one answer; nullopt on failure (error() says why).
  std::optional<std::string> exchange(const std::string& text) {
    if (!send(text)) return std::nullopt;
    return receive();
  }
  bool send(const std::string& text);
  std::optional<std::string> receive();
  const std::string& error() const { return error_; }
  websocket::close_reason close_reason() const { return ws_->reason(); }

 private:
  void arm();

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  Transport transport_;
  asio::io_context ioc_;
  std::optional<websocket::stream<typename Transport::Stream>> ws_;
  std::string error_;
};

// Compiled once, in support/client.cc (their operations are the costly part of a test's build).
extern template class BasicHttpClient<TcpTransport>;
extern template class BasicWsClient<TcpTransport>;

using HttpClient = BasicHttpClient<TcpTransport>;
using WsClient = BasicWsClient<TcpTransport>;

}  // namespace parley::testing
