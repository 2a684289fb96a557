// TLS contexts (OpenSSL through Boost.Asio), the same rules everywhere: TLS 1.2 and 1.3 only, no
// compression, no renegotiation. The listener's context is built from PEM certificate and key
// files; a client's verifies the server's certificate chain and name against a CA file (PEM) or,
// when none is given, the system's store (/etc/ssl/certs).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "core/status.h"

namespace parley::tls {

using Context = boost::asio::ssl::context;

// kInvalidArgument naming the file and OpenSSL's reason when a file cannot be used.
Result<std::shared_ptr<Context>> server_context(const std::string& cert_file, const std::string& key_file);
Result<std::shared_ptr<Context>> client_context(const std::string& ca_file = "");

// A client stream's SNI and the check of the certificate's name (DNS name or IP address) against
// `host`. Call before the handshake.
template <class Stream>
Status prepare_client(Stream& stream, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))  // no SNI for addresses
    return Status::io_error("cannot set the TLS server name '" + host + "'");
  stream.set_verify_mode(boost::asio::ssl::verify_peer);
  stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  return Status::ok();
}

}  // namespace parley::tls
