// The test clients' operations over TLS, instantiated once (a test file that includes
// support/tls_client.h only calls them), and TlsClient's own.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "support/client_impl.h"
#include "support/tls_client.h"

namespace parley::testing {

template class BasicHttpClient<TlsTransport>;
template class BasicWsClient<TlsTransport>;

std::string TlsTransport::handshake(Stream& stream, asio::io_context& ioc) const {
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::error_code ec = run_one_operation(
      ioc, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
  return ec ? "handshake: " + ec.message() : std::string();
}

std::string TlsClient::peer_common_name() {
  if (!stream()) return {};
  X509* cert = SSL_get1_peer_certificate(stream()->native_handle());
  if (!cert) return {};
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

std::string TlsClient::protocol() { return stream() ? SSL_get_version(stream()->native_handle()) : ""; }

std::string TlsClient::ws_roundtrip(const std::string& target, const std::string& text) {
  WssClient ws(port(), timeout(), transport());
  if (std::string e = ws.connect(target); !e.empty()) return "error: " + e;
  auto answer = ws.exchange(text);
  return answer ? *answer : "error: " + ws.error();
}

}  // namespace parley::testing
