// The listener: accepts connections on its strand and gives each one an HttpSession on a new strand.
#include "channels/http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "channels/http/session.h"
#include "core/log.h"
#include "core/tls.h"

namespace parley::channels {

namespace asio = boost::asio;

class Server::Listener : public std::enable_shared_from_this<Server::Listener> {
 public:
  // `tls` returns the TLS context for a new connection; null = plain HTTP.
  Listener(asio::io_context& ioc, std::shared_ptr<SessionContext> ctx,
           std::function<std::shared_ptr<asio::ssl::context>()> tls)
      : ioc_(ioc), acceptor_(asio::make_strand(ioc)), retry_(acceptor_.get_executor()), ctx_(std::move(ctx)),
        tls_(std::move(tls)) {}

  Status open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::io_error("cannot listen on " + endpoint.address().to_string() + ":" +
                              std::to_string(endpoint.port()) + ": " + ec.message());
    return Status::ok();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->retry_.cancel();
      self->acceptor_.close(ignored);
    });
  }

 private:
  void do_accept() {
    if (!acceptor_.is_open()) return;
    acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      self->on_accept(ec, std::move(s));
    });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors (or another transient failure): wait a little instead of spinning.
      log(spdlog::level::warn, "accept failed", {{"error", ec.message()}});
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->do_accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::unique_ptr<ConnectionSlot> slot;
    if (static_cast<size_t>(ctx_->metrics->open_connections()) < ctx_->options.max_connections)
      slot = std::make_unique<ConnectionSlot>(ctx_->metrics);
    if (auto tls = tls_ ? tls_() : nullptr)
      std::make_shared<HttpSession<TlsStream>>(std::move(socket), ctx_, std::move(slot), std::move(tls))->run();
    else
      std::make_shared<HttpSession<PlainStream>>(std::move(socket), ctx_, std::move(slot))->run();
    do_accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<SessionContext> ctx_;
  std::function<std::shared_ptr<asio::ssl::context>()> tls_;
};

Server::Server(asio::io_context& ioc, ServerOptions options, Api& api, ops::ServerMetrics& metrics)
    : ioc_(ioc), ctx_(std::make_shared<SessionContext>()) {
  ctx_->options = std::move(options);
  ctx_->api = &api;
  ctx_->metrics = &metrics;
}

Server::~Server() = default;

Status Server::reload_tls() {
  if (!tls()) return Status::ok();
  auto made = tls::server_context(ctx_->options.tls_cert_file, ctx_->options.tls_key_file);
  if (!made.ok()) return made.status();
  std::lock_guard<std::mutex> lock(tls_mu_);
  tls_context_ = std::move(made).value();
  return Status::ok();
}

Status Server::listen() {
  if (tls()) {
    if (ctx_->options.tls_key_file.empty()) return Status::invalid("tls_cert_file is set but tls_key_file is not");
    if (Status s = reload_tls(); !s) return s;
  } else if (!ctx_->options.tls_key_file.empty()) {
    return Status::invalid("tls_key_file is set but tls_cert_file is not");
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(ctx_->options.host, ec);
  if (ec) {
    // A host name: resolve it once.
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(ctx_->options.host, std::to_string(ctx_->options.port), ec);
    if (ec || results.empty()) return Status::invalid("cannot resolve listen host '" + ctx_->options.host + "'");
    address = results.begin()->endpoint().address();
  }
  std::function<std::shared_ptr<asio::ssl::context>()> current_tls;
  if (tls())
    current_tls = [this] {
      std::lock_guard<std::mutex> lock(tls_mu_);
      return tls_context_;
    };
  listener_ = std::make_shared<Listener>(ioc_, ctx_, std::move(current_tls));
  if (Status s = listener_->open(tcp::endpoint(address, ctx_->options.port)); !s) return s;
  port_ = listener_->port();
  return Status::ok();
}

void Server::start() {
  if (listener_) listener_->run();
}

void Server::stop_accepting() {
  ctx_->api->set_draining(true);  // the one drain flag: 503 on /readyz and messages, Connection: close
  if (listener_) listener_->stop();
}

}  // namespace parley::channels
