// One HTTP/1.1 connection (plain or TLS): wait, read, answer, repeat; errors at the edge answered
// and closed.
#include <boost/asio/dispatch.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <sstream>
#include <type_traits>

#include "channels/http/session.h"
#include "core/log.h"

namespace parley::channels {

namespace asio = boost::asio;
namespace websocket = beast::websocket;

namespace {

template <class Stream>
Stream make_stream(tcp::socket&& socket, const std::shared_ptr<asio::ssl::context>& tls) {
  if constexpr (std::is_same_v<Stream, PlainStream>) {
    return Stream(std::move(socket));
  } else {
    return Stream(std::move(socket), *tls);
  }
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(tcp::socket&& socket, std::shared_ptr<SessionContext> ctx,
                                 std::unique_ptr<ConnectionSlot> slot, std::shared_ptr<asio::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(make_stream<Stream>(std::move(socket), tls_)),
      read_deadline_(stream_.get_executor()),
      ctx_(std::move(ctx)),
      slot_(std::move(slot)) {}

template <class Stream>
void HttpSession<Stream>::run() {
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // The handshake first, within read_timeout: a client that never completes it is closed.
      self->lowest().expires_after(self->ctx_->options.read_timeout);
      self->stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      self->start();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // Not TLS, an old protocol version, a bad certificate on the client's side, or a timeout.
    ctx_->metrics->error("tls_handshake_failed");
    beast::error_code ignored;
    lowest().socket().close(ignored);
    return;
  }
  start();
}

template <class Stream>
void HttpSession<Stream>::start() {
  if (!slot_) {
    ctx_->metrics->connection_refused();
    return send_error({503, "too_many_connections", "the server has too many open connections",
                       ctx_->options.retry_after_s});
  }
  do_wait();
}

// Between requests the connection may idle for idle_timeout; the first bytes start the request.
template <class Stream>
void HttpSession<Stream>::do_wait() {
  if (buffer_.size() > 0) return do_read();  // a pipelined request is already here
  lowest().expires_after(ctx_->options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(2048), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
    self->on_wait(ec, n);
  });
}

template <class Stream>
void HttpSession<Stream>::on_wait(beast::error_code ec, size_t bytes) {
  if (ec) return;  // idle timeout (the stream closed the socket), peer closed, or reset
  buffer_.commit(bytes);
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(ctx_->options.max_header_bytes));
  parser_->body_limit(ctx_->options.max_body_bytes);
  lowest().expires_never();
  read_timed_out_ = false;
  read_deadline_.expires_after(ctx_->options.read_timeout);
  read_deadline_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec) return;  // the read completed first
    self->read_timed_out_ = true;
    beast::error_code ignored;
    self->lowest().socket().cancel(ignored);
  });
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
    self->on_read(ec, n);
  });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, size_t) {
  read_deadline_.cancel();
  if (read_timed_out_)
    return send_error({408, "request_timeout",
                       "the request was not received within " +
                           std::to_string(ctx_->options.read_timeout.count()) + " ms"});
  if (ec == http::error::end_of_stream) return do_linger_close();
  if (ec == http::error::header_limit)
    return send_error({431, "headers_too_large",
                       "request headers exceed " + std::to_string(ctx_->options.max_header_bytes) + " bytes"});
  if (ec == http::error::body_limit)
    return send_error({413, "body_too_large",
                       "request body exceeds " + std::to_string(ctx_->options.max_body_bytes) + " bytes"});
  if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
    return send_error({400, "bad_request", "malformed HTTP request: " + ec.message()});
  if (ec) return;  // reset or closed by the peer

  auto& req = parser_->get();
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  if (websocket::is_upgrade(req)) {
    if (auto e = check_websocket_handshake(req)) return send_error(*e);
    auto accepted = ctx_->api->accept_websocket(req);
    if (auto* ws = std::get_if<WebSocketAccept>(&accepted)) return upgrade(parser_->release(), std::move(*ws));
    return send(std::move(std::get<Response>(accepted)), true);
  }

  in_flight_.emplace(ctx_.get());
  lowest().expires_never();  // the turn may take a while (custom actions); the engine bounds it
  ctx_->api->handle(parser_->release(), [self = this->shared_from_this()](Response res) {
    asio::dispatch(self->stream_.get_executor(),
                   [self, res = std::move(res)]() mutable { self->send(std::move(res), false); });
  });
}

// The bytes after the upgrade request in buffer_ are the client's first frames: they go with the
// socket, or the first message would be lost.
template <class Stream>
void HttpSession<Stream>::upgrade(http::request<http::string_body> req, WebSocketAccept accepted) {
  std::string early;
  if (buffer_.size() > 0) {
    std::ostringstream handshake;  // Beast reads the request again from these bytes, then the frames
    handshake << req;
    early = handshake.str() + beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (early.size() > kMaxEarlyHandshakeBytes)
      return send_error({400, "frames_before_handshake",
                         "more than " + std::to_string(kMaxEarlyHandshakeBytes) +
                             " bytes of handshake and frames arrived before the server's 101; wait for it"});
  }
  lowest().expires_never();
  std::make_shared<WebSocketSession<Stream>>(std::move(stream_), std::move(tls_), ctx_, std::move(slot_),
                                             std::move(accepted))
      ->run(std::move(req), std::move(early));
}

template <class Stream>
void HttpSession<Stream>::send_error(const ApiError& e) {
  ctx_->metrics->error(e.code);
  keep_alive_ = false;
  send(error_response(e), true);
}

template <class Stream>
void HttpSession<Stream>::send(Response res, bool close) {
  close = close || !keep_alive_ || ctx_->api->draining();
  res.version(version_);
  res.keep_alive(!close);
  ctx_->metrics->response(res.result_int());
  res_ = std::make_shared<Response>(std::move(res));
  lowest().expires_after(ctx_->options.write_timeout);
  http::async_write(stream_, *res_, [self = this->shared_from_this(), close](beast::error_code ec, size_t n) {
    self->on_write(close, ec, n);
  });
}

template <class Stream>
void HttpSession<Stream>::on_write(bool close, beast::error_code ec, size_t) {
  in_flight_.reset();
  res_.reset();
  if (ec) return;
  if (close) return do_linger_close();
  do_wait();
}

// Closing with unread request bytes would reset the connection and could destroy the response
// before the client reads it; so stop sending, read and drop what the client still sends (for a
// short while), then close. Over TLS the stop is TLS's close_notify, and its answer ends the wait.
template <class Stream>
void HttpSession<Stream>::do_linger_close() {
  lowest().expires_after(std::min<std::chrono::milliseconds>(ctx_->options.read_timeout, std::chrono::seconds(2)));
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->lowest().socket().close(ignored);
    });
  } else {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Through the tcp_stream, whose expiry bounds the wait (a read on the bare socket would not).
    stream_.async_read_some(asio::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->on_linger(ec, n);
    });
  }
}

template <class Stream>
void HttpSession<Stream>::on_linger(beast::error_code ec, size_t) {
  if (!ec) {
    lowest().async_read_some(asio::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->on_linger(ec, n);
    });
    return;
  }
  beast::error_code ignored;
  lowest().socket().close(ignored);
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace parley::channels
