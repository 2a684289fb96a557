// The HTTP/1.1 + WebSocket server (Boost.Beast, shaped like Beast's advanced_server example): a
// listener accepting connections, an http_session per connection (keep-alive, one request at a
// time, each on its own strand) that hands WebSocket upgrades to a websocket_session. All of it
// runs on the caller's io_context threads; there is no thread per connection.
//
// Limits at the edge: max_header_bytes (431), max_body_bytes (413), read_timeout for a request
// once it began (408, then close), idle_timeout between requests (close), write_timeout,
// max_connections (503 with Retry-After, then close).
//
// TLS: with a certificate and key (PEM files) the listener speaks HTTPS and WSS only, TLS 1.2 and
// 1.3 (core/tls.h); reload_tls() reads the files again (SIGHUP) and new connections use the new
// certificate while open ones keep theirs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "channels/api.h"
#include "core/status.h"
#include "ops/metrics.h"

namespace boost::asio::ssl {
class context;
}

namespace parley::channels {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                       // 0 = any free port; see Server::port()
  size_t max_connections = 12000;
  size_t max_header_bytes = 8u << 10;
  size_t max_body_bytes = 64u << 10;
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{10000};
  unsigned retry_after_s = kDefaultRetryAfterS;
  std::string tls_cert_file;                  // PEM chain; with tls_key_file: HTTPS only
  std::string tls_key_file;
};

// State every session shares. Owned by the Server; sessions hold it by shared_ptr.
struct SessionContext {
  ServerOptions options;
  Api* api = nullptr;
  ops::ServerMetrics* metrics = nullptr;
  std::atomic<int64_t> requests_in_flight{0};
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, ServerOptions options, Api& api, ops::ServerMetrics& metrics);
  ~Server();

  // Reads the TLS files when set (kInvalidArgument naming a file that cannot be used), binds and
  // listens (kIOError naming the address when that fails, e.g. in use).
  Status listen();
  // Reads the TLS certificate and key again; on failure the current ones stay. Thread-safe.
  Status reload_tls();
  bool tls() const { return !ctx_->options.tls_cert_file.empty(); }
  // The bound port (after listen()).
  uint16_t port() const { return port_; }
  // Starts accepting on the io_context's threads.
  void start();
  // Stops accepting new connections and sets the API draining (Api::set_draining): responses
  // carry Connection: close, /readyz and messages answer 503. Thread-safe.
  void stop_accepting();
  // Requests read and not yet answered (HTTP and WebSocket).
  int64_t requests_in_flight() const { return ctx_->requests_in_flight.load(); }

 private:
  class Listener;
  boost::asio::io_context& ioc_;
  std::shared_ptr<SessionContext> ctx_;
  std::shared_ptr<Listener> listener_;
  uint16_t port_ = 0;
  std::mutex tls_mu_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // guarded by tls_mu_
};

}  // namespace parley::channels
