// Names of status codes, used in logs and in the JSON error bodies.
#include "core/status.h"

namespace parley {

const char* code_name(Code c) {
  switch (c) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kTooLarge: return "too_large";
    case Code::kRateLimited: return "rate_limited";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimeout: return "timeout";
    case Code::kIOError: return "io_error";
    case Code::kCorruption: return "corruption";
    case Code::kInternal: return "internal";
    case Code::kBudgetExceeded: return "budget_exceeded";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out = std::string(code_name(code_)) + ": " + message_;
  if (!detail_.empty()) out += " (" + detail_ + ")";
  return out;
}

}  // namespace parley
