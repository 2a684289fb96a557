// Test helper: the accepting side of the loopback HTTP stubs (support/https_server.h,
// server/event_receiver.h): a thread accepts on 127.0.0.1 and runs `serve` on a thread per
// connection; stop() wakes the accept and every connection blocked reading, and joins them all.
// What is spoken on a connection (plain or TLS, which answers) is the stub's own.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace parley::testing {

class LoopbackServer {
 public:
  using Serve = std::function<void(boost::asio::ip::tcp::socket& socket)>;

  // Listens on `port` (0: any free port) and starts accepting; `serve` runs once per connection
  // and returns when it is done with it (the socket closes then).
  LoopbackServer(uint16_t port, Serve serve)
      : acceptor_(ioc_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)),
        serve_(std::move(serve)) {
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const { return port_; }
  // True once stop() began: a `serve` loop ends then.
  bool stopping() const { return stopping_.load(); }

  void stop() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ec;
    {  // wake the blocking accept
      boost::asio::io_context c;
      boost::asio::ip::tcp::socket s(c);
      s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_), ec);
    }
    accept_thread_.join();
    acceptor_.close(ec);
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(connections_);
      // Wake connection threads blocked reading an idle keep-alive connection.
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads) t.join();
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      boost::asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stopping_) break;
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.insert(s.native_handle());
      connections_.emplace_back([this, sock = std::move(s)]() mutable {
        int fd = sock.native_handle();
        serve_(sock);
        std::lock_guard<std::mutex> l(mu_);
        // One entry: `serve` may have closed the socket already (moved into a TLS stream) and a newer
        // connection holds the same number.
        open_fds_.erase(open_fds_.find(fd));
      });
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Serve serve_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
  std::multiset<int> open_fds_;  // the connections' sockets, to shut down at stop()
};

}  // namespace parley::testing
