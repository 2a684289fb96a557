// CORS headers, preflights, the Origin, Host and JSON content-type checks.
#include "channels/http/browser.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cctype>

#include "core/text.h"

namespace parley::channels {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// At most 64 printable characters of a header, for an error message.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return out;
}

// The host of a Host header: "[::1]:80" -> "::1", "Example.com:8080" -> "example.com".
std::string host_of(std::string_view header) {
  header = trim(header);
  if (!header.empty() && header.front() == '[') {
    size_t close = header.find(']');
    return lower_ascii(header.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  size_t colon = header.rfind(':');
  std::string h = lower_ascii(header.substr(0, colon));
  while (!h.empty() && h.back() == '.') h.pop_back();  // "localhost." is localhost
  return h;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

bool is_loopback(std::string_view listen_host) {
  std::string h = host_of(listen_host);
  if (h == "localhost") return true;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(h, ec);
  return !ec && a.is_loopback();
}

}  // namespace

bool HostPolicy::allows(std::string_view host_header) const {
  if (any) return true;
  std::string h = host_of(host_header);
  if (is_ip_literal(h)) return true;
  for (const auto& n : names) {
    if (n == h) return true;
    if (n.size() > 2 && n.compare(0, 2, "*.") == 0 && h.size() > n.size() - 1 &&
        h.compare(h.size() - (n.size() - 1), n.size() - 1, n, 1) == 0)
      return true;
  }
  return false;
}

HostPolicy host_policy(std::string_view allowed_hosts, std::string_view listen_host) {
  HostPolicy p;
  for (const auto& item : parse_origins(allowed_hosts)) {
    if (item == "*") return p;
    p.names.push_back(host_of(item));
  }
  if (!p.names.empty()) {
    p.any = false;
  } else if (is_loopback(listen_host)) {
    p.any = false;
    p.names = {"localhost", "*.localhost"};
  }
  return p;
}

std::optional<ApiError> check_host(const HostPolicy& hosts, const Request& request) {
  auto it = request.find(http::field::host);
  if (it == request.end() || hosts.allows(it->value())) return std::nullopt;
  return ApiError{421, "host_not_allowed",
                  "this server does not answer for host '" + excerpt(it->value()) + "' (see allowed_hosts)"};
}

bool CorsPolicy::allows(std::string_view origin, std::string_view host) const {
  std::string o = lower_ascii(origin);
  for (const auto& allowed : origins)
    if (allowed == "*" || allowed == o) return true;
  std::string h = lower_ascii(host);
  return !h.empty() && (o == "http://" + h || o == "https://" + h);
}

std::vector<std::string> parse_origins(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t end = text.find_first_of(", \t");
    std::string_view item = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    if (!item.empty()) out.push_back(lower_ascii(item));
  }
  return out;
}

Response preflight_response(const CorsPolicy& cors, const Request& request, const std::string& allow) {
  std::string_view origin = request[http::field::origin];
  if (!origin.empty() && !cors.allows(origin, request[http::field::host]))
    return error_response({403, "origin_not_allowed", "pages at " + excerpt(origin) + " may not call this server (see cors)"});
  Response res{http::status::no_content, 11};
  res.set(http::field::server, "parley");
  res.set(http::field::allow, allow + ", OPTIONS");
  if (!origin.empty()) {
    res.set(http::field::access_control_allow_methods, allow + ", OPTIONS");
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
    res.set(http::field::access_control_max_age, "600");
  }
  return res;
}

void add_cors_headers(Response& response, std::string_view origin) {
  response.set(http::field::access_control_allow_origin, origin);
  response.set(http::field::vary, "Origin");
}

std::optional<ApiError> check_origin(const CorsPolicy& cors, const Request& request) {
  std::string_view origin = request[http::field::origin];
  if (origin.empty() || cors.allows(origin, request[http::field::host])) return std::nullopt;
  bool reads_only = request.method() == http::verb::get || request.method() == http::verb::head;
  if (reads_only && !boost::beast::websocket::is_upgrade(request)) return std::nullopt;
  return ApiError{403, "origin_not_allowed", "pages at " + excerpt(origin) + " may not call this server (see cors)"};
}

std::optional<ApiError> check_json_content_type(const Request& request) {
  auto it = request.find(http::field::content_type);
  if (it == request.end()) return std::nullopt;
  std::string_view value = it->value();
  std::string type = lower_ascii(trim(value.substr(0, value.find(';'))));
  bool json = type == "application/json" ||
              (type.starts_with("application/") && type.size() > 17 && type.ends_with("+json"));
  if (json) return std::nullopt;
  return ApiError{415, "unsupported_media_type",
                  "this route reads JSON: send Content-Type: application/json (not '" + excerpt(value) + "')"};
}

}  // namespace parley::channels
