// The two connection roles of the server (Beast advanced_server_flex style), each owning its
// stream and buffers, kept alive by shared_from_this through its own pending operations, on its
// own strand. Both are templates over the stream: PlainStream (TCP) or TlsStream (TLS over TCP),
// instantiated for the two in their .cc files.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <optional>
#include <string>

#include "channels/http/http_errors.h"
#include "channels/http/server.h"

namespace parley::channels {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Counts one open connection for as long as it lives (moves from HTTP to WebSocket on upgrade).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ops::ServerMetrics* metrics) : metrics_(metrics) { metrics_->connection_opened(); }
  ~ConnectionSlot() { metrics_->connection_closed(); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  ops::ServerMetrics* metrics_;
};

// Counts one request between its arrival and its answer (for the drain on SIGTERM).
class InFlight {
 public:
  explicit InFlight(SessionContext* ctx) : ctx_(ctx) { ctx_->requests_in_flight.fetch_add(1); }
  ~InFlight() { ctx_->requests_in_flight.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  SessionContext* ctx_;
};

// HTTP/1.1 keep-alive: (TLS: the handshake, within read_timeout), wait for a request (idle
// timeout), read it (read timeout, size limits), answer it, repeat. An upgrade request on a
// WebSocket route becomes a WebSocketSession over the same stream.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  // `slot` is null for a connection refused over max_connections: it only gets the 503. `tls` is
  // the listener's TLS context at accept time (TlsStream only; a SIGHUP swap leaves this one be).
  HttpSession(tcp::socket&& socket, std::shared_ptr<SessionContext> ctx, std::unique_ptr<ConnectionSlot> slot,
              std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  void run();

 private:
  void start();
  void on_handshake(beast::error_code ec);
  void do_wait();
  void on_wait(beast::error_code ec, size_t bytes);
  void do_read();
  void on_read(beast::error_code ec, size_t bytes);
  void send(Response res, bool close);
  void send_error(const ApiError& e);
  void on_write(bool close, beast::error_code ec, size_t bytes);
  void do_linger_close();
  void on_linger(beast::error_code ec, size_t bytes);
  void upgrade(http::request<http::string_body> req, WebSocketAccept accepted);
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  std::shared_ptr<boost::asio::ssl::context> tls_;  // declared before stream_, which refers to it
  Stream stream_;
  // read_timeout of a request once it began: a timer of its own rather than the stream's expiry,
  // which would close the socket before the 408 could be sent.
  boost::asio::steady_timer read_deadline_;
  bool read_timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<SessionContext> ctx_;
  std::unique_ptr<ConnectionSlot> slot_;
  std::shared_ptr<Response> res_;
  std::optional<InFlight> in_flight_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::array<char, 4096> discard_{};
};

// The RFC 6455 opening handshake's own checks (method, version 13, a 16-byte base64
// Sec-WebSocket-Key), answered as JSON errors before Beast would answer them in plain text.
std::optional<ApiError> check_websocket_handshake(const http::request<http::string_body>& req);
// Beast's handshake reader holds at most this many bytes of request and early frames.
constexpr size_t kMaxEarlyHandshakeBytes = 1536;  // websocket::stream::tcp_frame_size (private)

// WebSocket on /v1/bots/{bot}/ws: read one message, answer it, read the next.
template <class Stream>
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream&& stream, std::shared_ptr<boost::asio::ssl::context> tls,
                   std::shared_ptr<SessionContext> ctx, std::unique_ptr<ConnectionSlot> slot, WebSocketAccept accepted);
  // `early` is empty, or the upgrade request's bytes followed by what the client sent before our
  // 101 (frames in the same packet as the handshake): Beast reads both, the frames as the first.
  void run(http::request<http::string_body> upgrade, std::string early);

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, size_t bytes);
  void send(std::string text);
  void on_write(beast::error_code ec, size_t bytes);

  std::shared_ptr<boost::asio::ssl::context> tls_;  // kept for as long as the stream lives
  beast::websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<SessionContext> ctx_;
  std::unique_ptr<ConnectionSlot> slot_;
  WebSocketAccept accepted_;  // the bot and what the upgrade's credential proved
  std::string early_;  // the handshake and early frames, while async_accept reads them
  std::string out_;
  std::optional<InFlight> in_flight_;
};

}  // namespace parley::channels
