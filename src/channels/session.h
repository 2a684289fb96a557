// The two connection roles of the server (Beast advanced_server style), each owning its socket and
// buffers, kept alive by shared_from_this through its own pending operations, on its own strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <optional>
#include <string>

#include "channels/server.h"

namespace parley::channels {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

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

// HTTP/1.1 keep-alive: wait for a request (idle timeout), read it (read timeout, size limits),
// answer it, repeat. An upgrade request on a WebSocket route becomes a WebSocketSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `slot` is null for a connection refused over max_connections: it only gets the 503.
  HttpSession(tcp::socket&& socket, std::shared_ptr<SessionContext> ctx, std::unique_ptr<ConnectionSlot> slot);
  void run();

 private:
  void do_wait();
  void on_wait(beast::error_code ec, size_t bytes);
  void do_read();
  void on_read(beast::error_code ec, size_t bytes);
  void send(Response res, bool close);
  void send_error(const ApiError& e);
  void on_write(bool close, beast::error_code ec, size_t bytes);
  void do_linger_close();
  void on_linger(beast::error_code ec, size_t bytes);

  beast::tcp_stream stream_;
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

// WebSocket on /v1/bots/{bot}/ws: read one message, answer it, read the next.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::shared_ptr<SessionContext> ctx, std::unique_ptr<ConnectionSlot> slot,
                   std::string bot);
  void run(http::request<http::string_body> upgrade);

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, size_t bytes);
  void send(std::string text);
  void on_write(beast::error_code ec, size_t bytes);

  beast::websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<SessionContext> ctx_;
  std::unique_ptr<ConnectionSlot> slot_;
  std::string bot_;
  std::string out_;
  std::optional<InFlight> in_flight_;
};

}  // namespace parley::channels
