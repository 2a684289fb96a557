// Test helper: a program the test starts as a child process (a server under test, Redis, NATS,
// HAProxy), with its output in a log file; stopped with SIGTERM and, past a bound, SIGKILL, and
// always reaped: no test leaves a process or a zombie behind. Also run_command for a shell line.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

struct ChildSpec {
  std::vector<std::string> args;           // args[0] is the program's path (no PATH lookup)
  std::string log;                         // stderr is appended here; "" = /dev/null
  bool log_stdout = true;                  // stdout into the log too (else /dev/null)
  std::map<std::string, std::string> env;  // set in the child on top of the test's environment
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts the program (a child still running from an earlier start is killed first); false when
  // fork fails. A program that cannot be executed exits 127.
  bool start(const ChildSpec& spec) {
    kill();
    std::vector<std::string> args = spec.args;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      int log = spec.log.empty() ? -1 : ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int null = ::open("/dev/null", O_WRONLY);
      int err = log >= 0 ? log : null;
      if (err >= 0) ::dup2(err, 2);
      int out = spec.log_stdout ? err : null;
      if (out >= 0) ::dup2(out, 1);
      for (const auto& [k, v] : spec.env) ::setenv(k.c_str(), v.c_str(), 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return true;
  }

  // The child's pid while it has not been waited for by wait(), stop() or kill(); else -1.
  pid_t pid() const { return pid_; }

  // True while the child runs (reaps it, without blocking, once it has exited).
  bool alive() { return pid_ > 0 && !exited(); }

  // Sends a signal without waiting.
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // SIGKILL, then reaps the child: a crash at an arbitrary moment.
  void kill() {
    if (pid_ <= 0) return;
    if (!exited()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      status_ = status;
    }
    pid_ = -1;
  }

  // SIGTERM, then waits up to `bound` for the exit (SIGKILL after it); the exit code, or -1 when it
  // had to be killed or died from a signal.
  int stop(std::chrono::milliseconds bound = std::chrono::milliseconds(15000)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    return wait(bound);
  }

  // Waits up to `bound` for the child to exit by itself (SIGKILL after it); the exit code, or -1
  // when it had to be killed or died from a signal.
  int wait(std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited()) {
        pid_ = -1;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill();
    return -1;
  }

  // The raw wait status of the last exit (WIFEXITED, WTERMSIG, ... apply).
  int exit_status() const { return status_; }

 private:
  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = status;
      return true;
    }
    return r < 0;
  }

  pid_t pid_ = -1;
  int status_ = 0;
};

// The text of a file, "" when it cannot be read (a child's log, a rendered config).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CommandResult {
  int status = -1;     // the exit code; -1 when it could not run or died from a signal
  std::string output;  // its stdout
};

// Runs a shell command line (popen) to its end.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace parley::testing
