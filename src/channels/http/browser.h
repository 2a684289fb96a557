// Browser safety at the edge: CORS as Rasa's --cors (the origins whose pages may call; "*" any),
// preflights answered, and the two checks that keep other web pages from acting through a
// visitor's browser: a state-changing request or a WebSocket upgrade whose Origin is not allowed
// gets 403, and the JSON routes refuse the content types a cross-site form or a "simple" fetch
// can send (text/plain, form-encoded, multipart) with 415. A request without Origin is not from a
// page (browsers send it on every cross-origin POST and WebSocket) and passes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/http/http_errors.h"

namespace parley::channels {

struct CorsPolicy {
  std::vector<std::string> origins;  // "scheme://host[:port]" or "*"; empty: no other site

  // A page at `origin` may call: its origin is listed, "*" is, or it is this server's own origin
  // (`host`, the request's Host header).
  bool allows(std::string_view origin, std::string_view host) const;
};

struct HostPolicy {
  bool any = true;                 // no check (a listener beyond loopback, or allowed_hosts: "*")
  std::vector<std::string> names;  // lower-case names; "*.example.com" allows its subdomains

  bool allows(std::string_view host_header) const;
};

// `allowed_hosts` ("a.example, *.b.example", "*", or "" for the default) for a listener on
// `listen_host`: the default allows any host beyond loopback, and localhost / *.localhost on it.
HostPolicy host_policy(std::string_view allowed_hosts, std::string_view listen_host);

// 421 host_not_allowed when the Host header names a host the policy does not allow (no Host
// header, as from an HTTP/1.0 client, passes).
std::optional<ApiError> check_host(const HostPolicy& hosts, const Request& request);

// The origins of a setting: "http://a.example, https://b.example" or "*" (commas or spaces
// between them; a trailing slash is dropped).
std::vector<std::string> parse_origins(std::string_view text);

// Answer to OPTIONS on a route's path (`allow`: its methods): 204 with Allow and, for an allowed
// Origin, Access-Control-Allow-Methods/-Headers (Authorization, Content-Type) and -Max-Age; 403
// for an Origin that is not allowed.
Response preflight_response(const CorsPolicy& cors, const Request& request, const std::string& allow);

// Access-Control-Allow-Origin for an allowed origin, with Vary: Origin.
void add_cors_headers(Response& response, std::string_view origin);

// 403 origin_not_allowed for a request that changes state (not GET or HEAD) or upgrades to a
// WebSocket from a page whose Origin the policy does not allow.
std::optional<ApiError> check_origin(const CorsPolicy& cors, const Request& request);

// 415 unsupported_media_type when the body's declared Content-Type is not JSON
// (application/json or application/...+json, any parameters). No Content-Type passes: only
// non-browser clients send a body without one from another origin, and those carry no Origin.
std::optional<ApiError> check_json_content_type(const Request& request);

}  // namespace parley::channels
