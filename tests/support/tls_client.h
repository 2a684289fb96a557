// Test helper: the HTTP and WebSocket clients of support/client.h over TLS (HTTPS, WSS), verifying
// the server's certificate against a CA file, as a browser or curl would.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>

#include "support/client.h"

namespace parley::testing {

namespace ssl = boost::asio::ssl;

// The TLS transport: a TLS stream over TCP, handshaken after the connect; the server's certificate
// must chain to `ca_file` and name 127.0.0.1.
class TlsTransport {
 public:
  using Stream = beast::ssl_stream<beast::tcp_stream>;

  // `max_version`: 0 = any, else e.g. TLS1_1_VERSION to offer nothing newer.
  explicit TlsTransport(const std::string& ca_file, int max_version = 0)
      : ctx_(std::make_shared<ssl::context>(ssl::context::tls_client)) {
    ctx_->load_verify_file(ca_file);
    ctx_->set_verify_mode(ssl::verify_peer);
    if (max_version) {
      SSL_CTX_set_min_proto_version(ctx_->native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_->native_handle(), max_version);
      SSL_CTX_set_security_level(ctx_->native_handle(), 0);  // let the old version be offered at all
    }
  }

  template <class T>
  void emplace(std::optional<T>& slot, asio::io_context& ioc) const {
    slot.emplace(ioc, *ctx_);
  }
  std::string handshake(Stream& stream, asio::io_context& ioc) const;

 private:
  std::shared_ptr<ssl::context> ctx_;  // shared by the copies a client makes
};

// Compiled once, in support/client.cc.
extern template class BasicHttpClient<TlsTransport>;
extern template class BasicWsClient<TlsTransport>;

using WssClient = BasicWsClient<TlsTransport>;

class TlsClient : public BasicHttpClient<TlsTransport> {
 public:
  TlsClient(uint16_t port, const std::string& ca_file, int max_version = 0, std::chrono::milliseconds timeout = 10s)
      : BasicHttpClient(port, timeout, TlsTransport(ca_file, max_version)) {}

  // Connects and handshakes; "" or the error (the TLS tests assert on the handshake's error).
  std::string connect() { return BasicHttpClient::connect() ? std::string() : connect_error(); }

  // The common name of the certificate the server presented.
  std::string peer_common_name();
  // "TLSv1.3", "TLSv1.2", ...
  std::string protocol();

  // A WSS connection of its own on `target` that sends `text` and returns the answer (or "error: ...").
  std::string ws_roundtrip(const std::string& target, const std::string& text);
};

}  // namespace parley::testing
