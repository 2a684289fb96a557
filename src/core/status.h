// Errors as values: a Status (code + message) and Result<T> (a value or a Status), used at every
// module boundary. Exceptions from libraries are caught at the edge of the module that calls them.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace parley {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // bad input from a caller or a user (HTTP 400/422)
  kNotFound,          // unknown bot, conversation, key (404)
  kConflict,          // version check failed, lease lost (409)
  kTooLarge,          // over a size limit (413)
  kRateLimited,       // token bucket empty (429)
  kUnavailable,       // overloaded, draining, dependency down (503)
  kTimeout,           // deadline passed
  kIOError,           // storage or network failure
  kCorruption,        // stored data cannot be decoded
  kInternal,          // a bug
  kBudgetExceeded,    // a turn went over its compute budget or a regex limit (500 turn_budget_exceeded)
};

const char* code_name(Code c);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalid(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status io_error(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  // What a client may be told.
  const std::string& message() const { return message_; }
  // What only the server log shows (file paths, hosts, a library's own words); often empty.
  const std::string& detail() const { return detail_; }
  Status with_detail(std::string detail) && {
    detail_ = std::move(detail);
    return std::move(*this);
  }
  // "code: message (detail)", for logs.
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string detail_;
};

// A value or the Status that explains why there is none. Access to value() requires ok().
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                      // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace parley
