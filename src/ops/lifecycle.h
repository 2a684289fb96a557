// Signals of a running server. SIGTERM and SIGINT drain: stop accepting connections, let every
// turn in flight commit and be answered, then stop the io_context (the caller then closes the
// store and exits 0). If that takes longer than drain_timeout the io_context is stopped anyway
// and exit_code() is 1. SIGHUP reloads every bot (off the I/O threads; a broken bot is refused
// and keeps its running version).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <functional>

#include "core/status.h"

namespace parley::ops {

struct LifecycleHooks {
  std::function<void()> stop_accepting;                        // close the listener; answers say close
  std::function<void(std::function<void()>)> drain;            // engine: calls back when all turns are done
  std::function<int64_t()> requests_in_flight;                 // read but not yet answered
  std::function<Status()> reload_all;                          // blocking
};

class Lifecycle {
 public:
  Lifecycle(boost::asio::io_context& ioc, LifecycleHooks hooks, std::chrono::milliseconds drain_timeout);
  ~Lifecycle();

  // Installs the signal handlers (on the io_context).
  void start();
  // Begins the drain as SIGTERM would. Thread-safe; later calls do nothing.
  void drain(const char* why);
  // 0 after a complete drain, 1 when drain_timeout passed first.
  int exit_code() const { return exit_code_.load(); }

 private:
  void wait_signal();
  void wait_for_answers();
  void finish(int code);

  boost::asio::io_context& ioc_;
  LifecycleHooks hooks_;
  std::chrono::milliseconds drain_timeout_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // the timers and signals below
  boost::asio::signal_set signals_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer poll_;
  boost::asio::thread_pool reloads_{1};
  std::atomic<bool> draining_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> exit_code_{0};
  std::chrono::steady_clock::time_point drain_start_;
};

}  // namespace parley::ops
