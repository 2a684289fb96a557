// Test helper: the HTTP and WebSocket clients of support/client.h over TLS (HTTPS, WSS), verifying
// the server's certificate against a CA file, as a browser or curl would.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

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
  std::string handshake(Stream& stream, asio::io_context& ioc) const {
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::error_code ec = run_one_operation(
        ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
    return ec ? "handshake: " + ec.message() : std::string();
  }

 private:
  std::shared_ptr<ssl::context> ctx_;  // shared by the copies a client makes
};

using WssClient = BasicWsClient<TlsTransport>;

class TlsClient : public BasicHttpClient<TlsTransport> {
 public:
  TlsClient(uint16_t port, const std::string& ca_file, int max_version = 0, std::chrono::milliseconds timeout = 10s)
      : BasicHttpClient(port, timeout, TlsTransport(ca_file, max_version)) {}

  // Connects and handshakes; "" or the error (the TLS tests assert on the handshake's error).
  std::string connect() { return BasicHttpClient::connect() ? std::string() : connect_error(); }

  // The common name of the certificate the server presented.
  std::string peer_common_name() {
    if (!stream()) return {};
    X509* cert = SSL_get1_peer_certificate(stream()->native_handle());
    if (!cert) return {};
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }
  // "TLSv1.3", "TLSv1.2", ...
  std::string protocol() { return stream() ? SSL_get_version(stream()->native_handle()) : ""; }

  // A WSS connection of its own on `target` that sends `text` and returns the answer (or "error: ...").
  std::string ws_roundtrip(const std::string& target, const std::string& text) {
    WssClient ws(port(), timeout(), transport());
    if (std::string e = ws.connect(target); !e.empty()) return "error: " + e;
    auto answer = ws.exchange(text);
    return answer ? *answer : "error: " + ws.error();
  }
};

}  // namespace parley::testing
