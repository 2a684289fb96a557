// TLS contexts with Boost.Asio's ssl::context over OpenSSL.
#include "core/tls.h"

#include <openssl/ssl.h>

namespace parley::tls {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 and later, no compression, no renegotiation, the server's cipher order.
void harden(Context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                  ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Forward-secret AEAD suites only for TLS 1.2 (TLS 1.3's suites are all of that kind).
  SSL_CTX_set_cipher_list(ctx.native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
}

std::string reason(const boost::system::error_code& ec) {
  std::string r = ec.message();
  return r.empty() ? "unknown error" : r;
}

}  // namespace

Result<std::shared_ptr<Context>> server_context(const std::string& cert_file, const std::string& key_file) {
  auto ctx = std::make_shared<Context>(ssl::context::tls_server);
  harden(*ctx);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) return Status::invalid("tls_cert_file '" + cert_file + "': " + reason(ec));
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && reason(ec).find("mismatch") != std::string::npos)
    return Status::invalid("tls_key_file '" + key_file + "' does not match the certificate in '" + cert_file + "'");
  if (ec) return Status::invalid("tls_key_file '" + key_file + "': " + reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return Status::invalid("tls_key_file '" + key_file + "' does not match the certificate in '" + cert_file + "'");
  return ctx;
}

Result<std::shared_ptr<Context>> client_context(const std::string& ca_file) {
  auto ctx = std::make_shared<Context>(ssl::context::tls_client);
  harden(*ctx);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return Status::invalid("the system's CA certificates cannot be read: " + reason(ec));
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return Status::invalid("CA file '" + ca_file + "': " + reason(ec));
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace parley::tls
