// Building error and JSON responses.
#include "channels/http/http_errors.h"

#include "core/json.h"

namespace parley::channels {

std::string error_json(const ApiError& e) {
  return json::serialize(json::object{{"error", json::object{{"code", e.code}, {"message", e.message}}}});
}

Response json_response(unsigned status, std::string body) {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response error_response(const ApiError& e) {
  Response res = json_response(e.status, error_json(e));
  if (e.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(e.retry_after_s));
  if (!e.allow.empty()) res.set(http::field::allow, e.allow);
  for (const auto& [name, value] : e.headers) res.set(name, value);
  return res;
}

ApiError error_from_status(const Status& s, unsigned retry_after_s) {
  switch (s.code()) {
    case Code::kNotFound: return {404, "not_found", s.message(), 0, {}, s.detail()};
    case Code::kInvalidArgument: return {422, "invalid_message", s.message(), 0, {}, s.detail()};
    case Code::kTooLarge: return {413, "too_large", s.message(), 0, {}, s.detail()};
    case Code::kRateLimited: return {429, "rate_limited", s.message(), retry_after_s, {}, s.detail()};
    case Code::kUnavailable: return {503, "unavailable", s.message(), retry_after_s, {}, s.detail()};
    case Code::kTimeout: return {504, "timeout", s.message(), 0, {}, s.detail()};
    case Code::kConflict: return {409, "conflict", s.message(), 0, {}, s.detail()};
    // Not 503: retrying the same message would most likely run away the same way.
    case Code::kBudgetExceeded: return {500, "turn_budget_exceeded", s.message()};
    case Code::kIOError:
      return {503, "unavailable", "a storage or network operation failed; retry later", retry_after_s, {},
              s.to_string()};
    default: return {500, "internal", "internal error (the server log has the details)", 0, {}, s.to_string()};
  }
}

}  // namespace parley::channels
