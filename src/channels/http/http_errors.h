// The error shape every route answers with: {"error": {"code": "...", "message": "..."}} and the
// fitting HTTP status, plus Retry-After (429, 503), Allow (405) and further headers where they
// apply (WWW-Authenticate on 401/403, Sec-WebSocket-Version on 426).
#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace parley::channels {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Retry-After of a 503 (server busy, draining) unless the settings say otherwise.
inline constexpr unsigned kDefaultRetryAfterS = 1;

struct ApiError {
  ApiError() = default;
  ApiError(unsigned status, std::string code, std::string message, unsigned retry_after_s = 0,
           std::string allow = {}, std::string detail = {})
      : status(status), code(std::move(code)), message(std::move(message)), retry_after_s(retry_after_s),
        allow(std::move(allow)), detail(std::move(detail)) {}

  unsigned status = 500;
  std::string code;            // machine-readable: malformed_json, text_too_large, unknown_bot, ...
  std::string message;         // for people
  unsigned retry_after_s = 0;  // sets Retry-After when > 0
  std::string allow;           // sets Allow when not empty (405)
  std::vector<std::pair<std::string, std::string>> headers;  // any further headers (426: Sec-WebSocket-Version)
  std::string detail;          // for the server log only, never sent (it may name files or hosts)
};

// {"error": {"code": ..., "message": ...}} as text.
std::string error_json(const ApiError& e);
// A complete response (status, JSON body, headers); version and keep-alive are the caller's.
Response error_response(const ApiError& e);

// The error for a Status coming back from the engine: kNotFound 404, kInvalidArgument 422,
// kTooLarge 413, kRateLimited 429, kUnavailable 503 (Retry-After), kTimeout 504, kConflict 409,
// kBudgetExceeded 500 turn_budget_exceeded; kIOError 503 (Retry-After) and anything else 500, both
// with a fixed message and the Status's own in `detail`: storage and network errors name files and
// hosts that clients need not see.
ApiError error_from_status(const Status& s, unsigned retry_after_s);

// A JSON response with `body` (already serialized) and `status`.
Response json_response(unsigned status, std::string body);

}  // namespace parley::channels
