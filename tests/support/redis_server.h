// Test helper: a redis-server of its own on a free loopback port, with its data in a temporary
// folder (AOF on, appendfsync always), stopped and removed at the end. restart() keeps the data.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>
#include <memory>
#include <thread>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace parley::testing {

class RedisServer {
 public:
  // `extra` are more redis-server arguments (e.g. {"--cluster-enabled", "yes"}).
  explicit RedisServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port_ = a.local_endpoint().port();
    a.close();
    start();
  }
  ~RedisServer() { stop(); }

  static bool available() { return std::filesystem::exists(binary()); }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool ready() const { return ready_; }

  void start() {
    std::vector<std::string> args{binary(), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir",
                                  dir_.path(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                                  "--protected-mode", "no"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    child_.start({.args = args, .log = "", .log_stdout = true, .env = {}});
    ready_ = false;
    for (int i = 0; i < 200 && !ready_; ++i) {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
      // Ready means answering: while Redis loads its AOF it accepts connections but answers
      // -LOADING.
      if (!ec) {
        char reply[64] = {};
        boost::asio::write(s, boost::asio::buffer(std::string("PING\r\n")), ec);
        size_t n = ec ? 0 : s.read_some(boost::asio::buffer(reply, sizeof reply - 1), ec);
        ready_ = !ec && n >= 5 && std::string_view(reply, 5) == "+PONG";
      }
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }

  // SIGKILL: Redis dies as in a crash; the AOF holds what it acknowledged.
  void kill() { child_.kill(); }

  // SIGTERM: Redis shuts down cleanly.
  void stop() { child_.stop(std::chrono::seconds(30)); }

 private:
  static std::string binary() {
    for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
      if (std::filesystem::exists(p)) return p;
    return "/usr/bin/redis-server";
  }

  std::vector<std::string> extra_;
  TempDir dir_{"parley-redis"};
  uint16_t port_ = 0;
  ChildProcess child_;
  bool ready_ = false;
};

// A Redis Cluster of `masters` redis-server processes (no replicas), slots spread by
// `redis-cli --cluster create`; ready() once every node reports cluster_state:ok.
class RedisCluster {
 public:
  explicit RedisCluster(size_t masters = 3) {
    for (size_t i = 0; i < masters; ++i)
      nodes_.push_back(std::make_unique<RedisServer>(std::vector<std::string>{
          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}));
    for (auto& n : nodes_)
      if (!n->ready()) return;
    std::string cmd = "redis-cli --cluster create";
    for (auto& n : nodes_) cmd += " 127.0.0.1:" + std::to_string(n->port());
    cmd += " --cluster-replicas 0 --cluster-yes >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    for (int i = 0; i < 200 && !ready_; ++i) {
      ready_ = true;
      for (auto& n : nodes_) ready_ = ready_ && cli(n->port(), "cluster info").find("cluster_state:ok") != std::string::npos;
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  bool ready() const { return ready_; }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  // Seeds: the first two nodes (the rest is learnt from CLUSTER SLOTS).
  std::string url() const {
    return "redis+cluster://127.0.0.1:" + std::to_string(nodes_[0]->port()) + ",127.0.0.1:" +
           std::to_string(nodes_[1 % nodes_.size()]->port());
  }

  // redis-cli -p PORT ARGS, its output.
  static std::string cli(uint16_t port, const std::string& args) {
    return run_command("redis-cli -p " + std::to_string(port) + " " + args + " 2>/dev/null").output;
  }

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  bool ready_ = false;
};

}  // namespace parley::testing
