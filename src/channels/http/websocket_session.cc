// One WebSocket connection on /v1/bots/{bot}/ws: one JSON message in, its answer out, in order.
#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>

#include "channels/http/session.h"

namespace parley::channels {

namespace asio = boost::asio;
namespace websocket = beast::websocket;

template <class Stream>
WebSocketSession<Stream>::WebSocketSession(Stream&& stream, std::shared_ptr<asio::ssl::context> tls,
                                           std::shared_ptr<SessionContext> ctx, std::unique_ptr<ConnectionSlot> slot,
                                           WebSocketAccept accepted)
    : tls_(std::move(tls)),
      ws_(std::move(stream)),
      ctx_(std::move(ctx)),
      slot_(std::move(slot)),
      accepted_(std::move(accepted)) {}

namespace {

// A Sec-WebSocket-Key is 16 bytes in base64: 22 characters of the alphabet and "==".
bool valid_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

}  // namespace

std::optional<ApiError> check_websocket_handshake(const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get)
    return ApiError{405, "method_not_allowed", "a WebSocket upgrade must be a GET", 0, "GET"};
  if (req.version() < 11) return ApiError{400, "bad_handshake", "a WebSocket upgrade needs HTTP/1.1"};
  if (req[http::field::sec_websocket_version] != "13") {
    ApiError e{426, "unsupported_websocket_version", "Sec-WebSocket-Version must be 13"};
    e.headers.push_back({"Sec-WebSocket-Version", "13"});
    return e;
  }
  if (!valid_key(req[http::field::sec_websocket_key]))
    return ApiError{400, "bad_handshake", "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)"};
  return std::nullopt;
}

template <class Stream>
void WebSocketSession<Stream>::run(http::request<http::string_body> upgrade, std::string early) {
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = ctx_->options.read_timeout;
  timeouts.idle_timeout = ctx_->options.idle_timeout;  // a silent client is closed after this
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "parley"); }));
  // A larger message fails the read and Beast closes with 1009 (message too big).
  ws_.read_message_max(ctx_->options.max_body_bytes);
  auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
  asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), req, early = std::move(early)]() mutable {
    if (early.empty()) {
      self->ws_.async_accept(*req, [self, req](beast::error_code ec) { self->on_accept(ec); });
      return;
    }
    self->early_ = std::move(early);
    self->ws_.async_accept(asio::buffer(self->early_), [self](beast::error_code ec) {
      self->early_.clear();
      self->on_accept(ec);
    });
  });
}

template <class Stream>
void WebSocketSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) return;
  do_read();
}

template <class Stream>
void WebSocketSession<Stream>::do_read() {
  ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, size_t n) { self->on_read(ec, n); });
}

template <class Stream>
void WebSocketSession<Stream>::on_read(beast::error_code ec, size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) ctx_->metrics->error("body_too_large");
    return;  // closed, timed out or failed: the session ends
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  in_flight_.emplace(ctx_.get());
  ctx_->api->handle_ws_message(accepted_, std::move(text), [self = this->shared_from_this()](std::string out) {
    asio::dispatch(self->ws_.get_executor(),
                   [self, out = std::move(out)]() mutable { self->send(std::move(out)); });
  });
}

template <class Stream>
void WebSocketSession<Stream>::send(std::string text) {
  out_ = std::move(text);
  ws_.text(true);
  ws_.async_write(asio::buffer(out_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
    self->on_write(ec, n);
  });
}

template <class Stream>
void WebSocketSession<Stream>::on_write(beast::error_code ec, size_t) {
  in_flight_.reset();
  if (ec) return;
  do_read();
}

template class WebSocketSession<PlainStream>;
template class WebSocketSession<TlsStream>;

}  // namespace parley::channels
