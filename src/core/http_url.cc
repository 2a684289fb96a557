// http(s) URLs with Boost.URL.
#include "core/http_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace parley {

std::string HttpUrl::host_header() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? h : h + ":" + port;
}

Result<HttpUrl> parse_http_url(std::string_view url, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return Status::invalid(std::string(what) + " '" + std::string(url) + "' " + std::string(why));
  };
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return bad("is not a URL (expected http://host:port/path or https://...)");
  const boost::urls::url_view& u = *parsed;
  HttpUrl out;
  if (u.scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return bad("is not an http:// or https:// URL");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return bad("has no host");
  if (u.has_userinfo()) return bad("has user info; credentials do not go in the URL");
  if (u.has_fragment()) return bad("has a fragment");
  switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::ipvfuture:
      return bad("has an address form that is not supported");
    default:
      out.host = u.host();
  }
  if (u.has_port()) {
    std::string_view port = u.port();
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535)
      return bad("has a bad port");
    out.port = std::string(port);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  std::string target(u.encoded_path());
  if (target.empty()) target = "/";
  if (u.has_query()) target += "?" + std::string(u.encoded_query());
  out.target = std::move(target);
  return out;
}

}  // namespace parley
