// Test helper: a redis-server of its own on a free loopback port, with its data in a temporary
// folder (AOF on, appendfsync always), stopped and removed at the end. restart() keeps the data.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

namespace parley::testing {

class RedisServer {
 public:
  RedisServer() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("parley-redis-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port_ = a.local_endpoint().port();
    a.close();
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static bool available() { return std::filesystem::exists(binary()); }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool ready() const { return ready_; }

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string port = std::to_string(port_);
      std::string dir = dir_.string();
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      ::execl(binary().c_str(), "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--dir", dir.c_str(),
              "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ready_ = false;
    for (int i = 0; i < 200 && !ready_; ++i) {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) ready_ = true;
      else std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }

  // SIGKILL: Redis dies as in a crash; the AOF holds what it acknowledged.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static std::string binary() {
    for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
      if (std::filesystem::exists(p)) return p;
    return "/usr/bin/redis-server";
  }

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace parley::testing
