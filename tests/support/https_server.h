// Test helper: a small HTTPS server on loopback (a LoopbackServer: a thread per connection,
// keep-alive) that answers every request with what `handler` returns, for the TLS tests of the
// action client and the HTTP sink. It records the bodies it received.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/loopback_server.h"

namespace parley::testing {

class HttpsServer {
 public:
  struct Answer {
    unsigned status = 200;
    std::string body;
  };
  using Handler = std::function<Answer(const std::string& target, const std::string& body)>;

  HttpsServer(const std::string& cert_file, const std::string& key_file, Handler handler)
      : ctx_(make_context(cert_file, key_file)),
        handler_(std::move(handler)),
        server_(0, [this](boost::asio::ip::tcp::socket& s) { serve(std::move(s)); }) {}
  ~HttpsServer() { stop(); }

  uint16_t port() const { return server_.port(); }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  size_t failed_handshakes() const { return failed_handshakes_.load(); }

  void stop() { server_.stop(); }

 private:
  static boost::asio::ssl::context make_context(const std::string& cert_file, const std::string& key_file) {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_server);
    ctx.use_certificate_chain_file(cert_file);
    ctx.use_private_key_file(key_file, boost::asio::ssl::context::pem);
    return ctx;
  }

  void serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(std::move(socket), ctx_);
    boost::system::error_code ec;
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) {
      ++failed_handshakes_;
      return;
    }
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body());
      }
      Answer a = handler_(std::string(req.target()), req.body());
      http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      res.body() = a.body;
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    stream.shutdown(ec);
  }

  boost::asio::ssl::context ctx_;
  Handler handler_;
  std::atomic<size_t> failed_handshakes_{0};
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
  LoopbackServer server_;  // last: it serves with the members above, and stops before they go
};

}  // namespace parley::testing
