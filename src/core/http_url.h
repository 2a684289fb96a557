// URLs of the servers Parley calls over HTTP (action servers, HTTP event sinks): http:// or
// https://, a host (name, IPv4 or [IPv6]), an optional port, a path and query. Parsed with
// Boost.URL; anything else (other schemes, user info, fragments, bad ports) is refused with a
// message that quotes the URL and says what is wrong.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace parley {

struct HttpUrl {
  bool tls = false;        // https
  std::string host;        // without brackets for IPv6
  std::string port;        // "80" / "443" when the URL names none
  std::string target = "/";  // path and query, as sent in the request line
  // The Host header's value: host[:port], brackets around IPv6.
  std::string host_header() const;
};

// `what` names the URL's role in errors ("action endpoint", "sink 'audit' url").
Result<HttpUrl> parse_http_url(std::string_view url, std::string_view what);

}  // namespace parley
