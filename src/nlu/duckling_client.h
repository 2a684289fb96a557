// Internal to nlu/duckling.cc: a form POST over plain HTTP/1.1 that a caller waits for until a
// deadline and no longer. The exchange runs on the client's own I/O thread, so that a caller is
// released at its deadline whatever the network or the resolver does; the call is cancelled at
// the same deadline, so nothing outlives it by more than the cancellation.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "core/http_url.h"
#include "core/status.h"

namespace parley::nlu {

class DucklingHttpClient {
 public:
  using Clock = std::chrono::steady_clock;
  DucklingHttpClient(HttpUrl url, size_t max_response_bytes);
  ~DucklingHttpClient();  // stops the thread; calls still running end unanswered
  DucklingHttpClient(const DucklingHttpClient&) = delete;
  DucklingHttpClient& operator=(const DucklingHttpClient&) = delete;

  // POSTs `form` (application/x-www-form-urlencoded) to the URL and returns the body of a 200
  // answer. kTimeout past `deadline`, kUnavailable when the server cannot be reached, kIOError
  // for another status or a broken exchange. Thread-safe.
  Result<std::string> post_form(std::string form, Clock::time_point deadline);

 private:
  HttpUrl url_;
  size_t max_response_bytes_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace parley::nlu
