// A real `parley serve` child process on loopback for end-to-end tests: started on a free port
// (--listen 127.0.0.1:0, the port read from its "listening" log line), waited for until /readyz
// answers 200, stopped with SIGTERM (graceful) or SIGKILL (crash) and restartable on the same
// data folder. Its stderr (JSON logs) is kept in a file for failure messages.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/client.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace parley::testing {

inline std::string source_dir() { return PARLEY_SOURCE_DIR; }

// VmRSS of a process in KiB (0 when it cannot be read).
inline uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}
inline std::string examples_dir() { return source_dir() + "/examples/bots"; }

// Tests fill only the fields they need with designated initializers; GCC 12 would warn about
// every field left to its default.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
struct ServerOptions {
  std::string bots = examples_dir();
  std::string data;                            // required: the store folder
  std::vector<std::string> extra_args;         // e.g. {"--durability", "flush"}
  std::map<std::string, std::string> env;      // e.g. {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}
  std::string config_yaml;                     // written to <data>.yml and passed as --config when set
  std::chrono::milliseconds start_timeout{20000};
  std::string listen = "127.0.0.1:0";          // a fixed port keeps it across restarts (behind a proxy)
  std::function<bool(uint16_t port)> ready;    // readiness probe; default: GET /readyz answers 200 over HTTP
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options) : options_(std::move(options)) {}
  ~ServerProcess() { kill_now(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits until /readyz answers 200. False (with log() explaining) when it
  // exits or does not become ready in time.
  bool start() {
    kill_now();
    port_ = 0;
    log_path_ = options_.data + ".stderr.log";
    std::vector<std::string> args{PARLEY_BINARY, "serve", "--bots", options_.bots, "--data", options_.data,
                                  "--listen", options_.listen};
    if (!options_.config_yaml.empty()) {
      std::string cfg = options_.data + ".config.yml";
      std::ofstream(cfg) << options_.config_yaml;
      args.push_back("--config");
      args.push_back(cfg);
    }
    for (const auto& a : options_.extra_args) args.push_back(a);
    std::ofstream(log_path_, std::ios::trunc).close();  // before the fork: no stale port is read
    if (!child_.start({.args = args, .log = log_path_, .log_stdout = false, .env = options_.env})) return false;
    auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    static const std::regex kPort(R"("msg":"listening".*?"port":(\d+))");
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child_.alive()) return false;
      if (port_ == 0) {
        std::smatch m;
        std::string text = log();
        if (std::regex_search(text, m, kPort)) port_ = static_cast<uint16_t>(std::stoi(m[1]));
      }
      if (port_ != 0) {
        if (options_.ready) {
          if (options_.ready(port_)) return true;
        } else {
          HttpClient c(port_, std::chrono::milliseconds(1000));
          if (c.get("/readyz").status == 200) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  bool running() { return child_.alive(); }

  // Sends a signal without waiting (SIGHUP reloads, SIGTERM drains).
  void signal(int sig) { child_.signal(sig); }

  // SIGKILL, then reaps the child: a crash at an arbitrary moment.
  void kill_now() { child_.kill(); }

  // SIGTERM and waits up to `timeout` for the exit; returns the exit code, or -1 when it had to be
  // killed or died from a signal.
  int terminate(std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) { return child_.stop(timeout); }

  // Waits for the process to exit by itself; the exit code, or -1 (then it is killed).
  int wait_exit(std::chrono::milliseconds timeout) { return child_.wait(timeout); }

  // The server's stderr so far (JSON log lines).
  std::string log() const { return read_text(log_path_); }

 private:
  ServerOptions options_;
  ChildProcess child_;
  uint16_t port_ = 0;
  std::string log_path_;
};

}  // namespace parley::testing
