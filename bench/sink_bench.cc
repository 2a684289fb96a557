// Sink benchmark: events delivered per second through the Kafka sink to librdkafka's in-process
// mock cluster (3 brokers, 6 partitions), and through the NATS JetStream sink to a nats-server
// started here (-js, loopback, a temporary store) when one is installed. The relay's shape:
// `lanes` threads, each delivering batches of `batch` events of its own conversations and
// waiting for every acknowledgement before the next batch.
// Usage: sink_bench [events=50000] [batch=100] [lanes=4] [kafka|nats|all]
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "events/record.h"
#include "events/sink.h"
#include "support/ports.h"

extern char** environ;

using namespace parley;
using namespace parley::events;
using parley::testing::free_port;
using parley::testing::port_open;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<OutEvent> make_events(size_t n, size_t conversations) {
  std::vector<OutEvent> out(n);
  for (size_t i = 0; i < n; ++i) {
    OutEvent& e = out[i];
    size_t c = i % conversations;
    uint64_t seq = i / conversations + 1;
    e.position = i;
    e.bot = "pizza";
    e.conversation = "conv-" + std::to_string(c);
    e.type = "user";
    e.ts = 1700000000.0 + static_cast<double>(i) / 1000;
    e.id = event_id(e.bot, e.conversation, seq);
    RecordHeader h{e.bot, e.conversation, seq, seq, e.ts, "user"};
    append_event_record(e.record, h,
                        R"({"event":"user","text":"I would like a large pizza","parse_data":{"intent":{"name":"order","confidence":0.98}}})",
                        64u << 10);
  }
  return out;
}

struct Run {
  double seconds = 0;
  size_t delivered = 0;
  size_t failed_tries = 0;
  double p50_ms = 0, p99_ms = 0;
};

Run run(Sink& sink, const std::vector<OutEvent>& events, size_t batch, size_t lanes, size_t conversations) {
  std::vector<std::vector<const OutEvent*>> queues(lanes);
  for (const auto& e : events) {
    size_t c = std::stoul(e.conversation.substr(5));
    queues[c % lanes].push_back(&e);
  }
  std::atomic<size_t> delivered{0}, failed{0};
  std::vector<std::vector<double>> lat(lanes);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t l = 0; l < lanes; ++l) {
    threads.emplace_back([&, l] {
      const auto& q = queues[l];
      for (size_t at = 0; at < q.size();) {
        size_t n = std::min(batch, q.size() - at);
        Batch b(q.begin() + static_cast<long>(at), q.begin() + static_cast<long>(at + n));
        auto t0 = Clock::now();
        Status s = sink.deliver(b, std::chrono::milliseconds(5000));
        if (!s.is_ok()) {
          ++failed;
          std::fprintf(stderr, "delivery failed: %s\n", s.to_string().c_str());
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        lat[l].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        delivered += n;
        at += n;
      }
    });
  }
  for (auto& t : threads) t.join();
  Run r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.delivered = delivered;
  r.failed_tries = failed;
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  (void)conversations;
  return r;
}

void print(const char* name, const Run& r, size_t batch, size_t lanes) {
  std::printf("%-6s %8zu events in %6.2f s = %9.0f events/s  (batch %zu, %zu lanes; batch latency p50 %.2f ms, p99 %.2f ms; failed tries %zu)\n",
              name, r.delivered, r.seconds, r.delivered / r.seconds, batch, lanes, r.p50_ms, r.p99_ms, r.failed_tries);
  std::fflush(stdout);
}

// librdkafka's mock brokers, unlike real ones, leave Nagle's algorithm on: a second response on a
// connection waits for the client's delayed ACK (about 40 ms). Sets TCP_NODELAY on the mock's
// accepted sockets (same process) as a real broker has it; returns how many it changed.
int nodelay_on_mock_sockets(const std::string& bootstraps) {
  std::vector<int> ports;
  for (size_t at = 0; at < bootstraps.size();) {
    size_t comma = bootstraps.find(',', at);
    if (comma == std::string::npos) comma = bootstraps.size();
    std::string hp = bootstraps.substr(at, comma - at);
    ports.push_back(std::stoi(hp.substr(hp.rfind(':') + 1)));
    at = comma + 1;
  }
  int changed = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::stoi(entry.path().filename().string());
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || a.sin_family != AF_INET) continue;
    if (std::find(ports.begin(), ports.end(), ntohs(a.sin_port)) == ports.end()) continue;
    int listening = 0;
    len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening) continue;
    int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0) ++changed;
  }
  return changed;
}

bool bench_kafka(const std::vector<OutEvent>& events, size_t batch, size_t lanes, size_t conversations) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (host == nullptr) return false;
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(host, 3);
  rd_kafka_mock_topic_create(mc, "parley.events", 6, 3);
  SinkConfig c;
  c.name = "kafka-bench";
  c.type = "kafka";
  c.brokers = rd_kafka_mock_cluster_bootstraps(mc);
  bool ok = false;
  {
    auto sink = make_kafka_sink(c);
    if (sink.ok()) {
      // Warm up: metadata, connections, producer id.
      std::vector<OutEvent> warm = make_events(lanes * batch, conversations);
      run(**sink, warm, batch, lanes, conversations);
      print("kafka", run(**sink, events, batch, lanes, conversations), batch, lanes);
      int n = nodelay_on_mock_sockets(c.brokers);
      std::printf("       (TCP_NODELAY set on %d mock broker sockets)\n", n);
      print("kafka", run(**sink, events, batch, lanes, conversations), batch, lanes);
      ok = true;
    } else {
      std::fprintf(stderr, "kafka sink: %s\n", sink.status().to_string().c_str());
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  return ok;
}

bool bench_nats(const std::vector<OutEvent>& events, size_t batch, size_t lanes, size_t conversations) {
  std::string binary;
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
    if (::access(p, X_OK) == 0) binary = p;
  if (binary.empty()) {
    std::printf("nats   skipped: nats-server not installed\n");
    return true;
  }
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("parley-sink-bench-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  int port = free_port();
  std::vector<std::string> args = {binary, "-js", "-a", "127.0.0.1", "-p", std::to_string(port), "-sd", (dir / "store").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (dir / "nats.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  bool ok = false;
  if (rc == 0) {
    auto give_up = Clock::now() + std::chrono::seconds(10);
    while (!port_open(port) && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    SinkConfig c;
    c.name = "nats-bench";
    c.type = "nats";
    c.url = "nats://127.0.0.1:" + std::to_string(port);
    auto sink = make_nats_sink(c);
    if (sink.ok()) {
      std::vector<OutEvent> warm = make_events(lanes * batch, conversations);
      for (auto& e : warm) e.id += "-warm";
      run(**sink, warm, batch, lanes, conversations);
      print("nats", run(**sink, events, batch, lanes, conversations), batch, lanes);
      ok = true;
    } else {
      std::fprintf(stderr, "nats sink: %s\n", sink.status().to_string().c_str());
    }
    sink = Status::internal("closed");
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 50000;
  size_t batch = argc > 2 ? std::stoul(argv[2]) : 100;
  size_t lanes = argc > 3 ? std::stoul(argv[3]) : 4;
  std::string which = argc > 4 ? argv[4] : "all";
  const size_t conversations = 200;
  spdlog::set_level(spdlog::level::err);
  auto events = make_events(n, conversations);
  bool ok = true;
  if (which == "all" || which == "kafka") ok = bench_kafka(events, batch, lanes, conversations) && ok;
  if (which == "all" || which == "nats") ok = bench_nats(events, batch, lanes, conversations) && ok;
  return ok ? 0 : 1;
}
