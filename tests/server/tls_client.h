// Test helper: an HTTPS (and WSS) client for a server on loopback, verifying the server's
// certificate against a CA file, as a browser or curl would. Synchronous; failures come back as
// strings or status 0, never as exceptions.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "server/client.h"

namespace parley::testing {

namespace ssl = boost::asio::ssl;

class TlsClient {
 public:
  // `max_version`: 0 = any, else e.g. TLS1_1_VERSION to offer nothing newer.
  TlsClient(uint16_t port, const std::string& ca_file, int max_version = 0, std::chrono::milliseconds timeout = 10s)
      : port_(port), timeout_(timeout), ctx_(ssl::context::tls_client) {
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(ssl::verify_peer);
    if (max_version) {
      SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_.native_handle(), max_version);
      SSL_CTX_set_security_level(ctx_.native_handle(), 0);  // let the old version be offered at all
    }
  }

  // Connects and handshakes; "" or the error.
  std::string connect() {
    stream_.emplace(ioc_, ctx_);
    buffer_.clear();
    stream_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::error_code ec;
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    beast::get_lowest_layer(*stream_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                    [&](beast::error_code e) { ec = e; ++done_; });
    run();
    if (ec) return "connect: " + ec.message();
    stream_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; ++done_; });
    run();
    if (ec) return "handshake: " + ec.message();
    connected_ = true;
    return {};
  }

  // The common name of the certificate the server presented.
  std::string peer_common_name() {
    if (!stream_) return {};
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (!cert) return {};
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }
  // "TLSv1.3", "TLSv1.2", ...
  std::string protocol() { return stream_ ? SSL_get_version(stream_->native_handle()) : ""; }

  HttpResult request(http::verb method, const std::string& target, const std::string& body = {}) {
    HttpResult out;
    if (!connected_) {
      if (std::string e = connect(); !e.empty()) {
        out.error = e;
        return out;
      }
    }
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (method == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    http::async_write(*stream_, req, [&](beast::error_code e, size_t) { ec = e; ++done_; });
    run();
    http::response<http::string_body> res;
    if (!ec) {
      http::async_read(*stream_, buffer_, res, [&](beast::error_code e, size_t) { ec = e; ++done_; });
      run();
    }
    if (ec) {
      out.error = ec.message();
      connected_ = false;
      return out;
    }
    out.status = res.result_int();
    out.body = res.body();
    out.keep_alive = res.keep_alive();
    if (!out.keep_alive) connected_ = false;
    return out;
  }
  HttpResult post_json(const std::string& target, const boost::json::value& v) {
    return request(http::verb::post, target, boost::json::serialize(v));
  }

  // A WSS connection on `target` that sends `text` and returns the answer (or "error: ...").
  std::string ws_roundtrip(const std::string& target, const std::string& text) {
    if (!connected_) {
      if (std::string e = connect(); !e.empty()) return "error: " + e;
    }
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(*stream_));
    stream_.reset();
    connected_ = false;
    beast::error_code ec;
    beast::get_lowest_layer(ws).expires_after(timeout_);
    ws.async_handshake("127.0.0.1", target, [&](beast::error_code e) { ec = e; ++done_; });
    run();
    if (ec) return "error: handshake: " + ec.message();
    ws.async_write(asio::buffer(text), [&](beast::error_code e, size_t) { ec = e; ++done_; });
    run();
    beast::flat_buffer in;
    if (!ec) {
      ws.async_read(in, [&](beast::error_code e, size_t) { ec = e; ++done_; });
      run();
    }
    if (ec) return "error: " + ec.message();
    return beast::buffers_to_string(in.data());
  }

 private:
  void run() {
    ioc_.restart();
    size_t before = done_;
    while (done_ == before && ioc_.run_one()) {
    }
  }

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  ssl::context ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  size_t done_ = 0;
};

}  // namespace parley::testing
