// Drain on SIGTERM/SIGINT, reload on SIGHUP.
#include "ops/lifecycle.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <csignal>

#include "core/log.h"

namespace parley::ops {

namespace asio = boost::asio;

Lifecycle::Lifecycle(asio::io_context& ioc, LifecycleHooks hooks, std::chrono::milliseconds drain_timeout)
    : ioc_(ioc),
      hooks_(std::move(hooks)),
      drain_timeout_(drain_timeout),
      strand_(asio::make_strand(ioc.get_executor())),
      signals_(strand_, SIGINT, SIGTERM, SIGHUP),
      deadline_(strand_),
      poll_(strand_) {}

Lifecycle::~Lifecycle() { reloads_.join(); }

void Lifecycle::start() { wait_signal(); }

void Lifecycle::wait_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      log(spdlog::level::info, "SIGHUP: reloading every bot");
      asio::post(reloads_, [this] {
        Status s = hooks_.reload_all();
        if (s) log(spdlog::level::info, "bots reloaded");
        else log(spdlog::level::warn, "reload incomplete; refused bots keep their running version",
                 {{"error", s.message()}});
      });
    } else {
      drain(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    wait_signal();
  });
}

void Lifecycle::drain(const char* why) {
  if (draining_.exchange(true)) return;
  asio::dispatch(strand_, [this, why] {
    drain_start_ = std::chrono::steady_clock::now();
    log(spdlog::level::info, "draining", {{"signal", why}, {"drain_timeout_ms", drain_timeout_.count()}});
    hooks_.stop_accepting();
    deadline_.expires_after(drain_timeout_);
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      log(spdlog::level::err, "drain timed out; exiting with turns unfinished",
          {{"requests_in_flight", hooks_.requests_in_flight()}});
      finish(1);
    });
    hooks_.drain([this] { asio::dispatch(strand_, [this] { wait_for_answers(); }); });
  });
}

// The engine has answered every turn; wait until those answers are written to their sockets.
void Lifecycle::wait_for_answers() {
  if (finished_) return;
  if (hooks_.requests_in_flight() <= 0) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - drain_start_).count();
    log(spdlog::level::info, "drained", {{"ms", ms}});
    return finish(0);
  }
  poll_.expires_after(std::chrono::milliseconds(5));
  poll_.async_wait([this](boost::system::error_code ec) {
    if (!ec) wait_for_answers();
  });
}

void Lifecycle::finish(int code) {
  if (finished_.exchange(true)) return;
  exit_code_ = code;
  deadline_.cancel();
  poll_.cancel();
  signals_.cancel();
  ioc_.stop();
}

}  // namespace parley::ops
