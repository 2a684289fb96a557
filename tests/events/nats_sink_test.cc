// The NATS JetStream sink against a real nats-server (-js, loopback, a fresh store folder) that
// the test starts itself: 1,000 events with a batch sent twice are stored once each (dedup by
// Nats-Msg-Id); a killed server fails deliveries within their timeout and a restarted one (same
// store) takes them again; a sink whose server never came up fails within its timeout.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "events/sink.h"
#include "events/sink_events.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

namespace parley::events {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using parley::testing::TempDir;

constexpr const char* kStream = "PARLEY_TEST";
constexpr const char* kSubject = "parley.events";

std::string find_nats_server() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  for (const char* d : {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}) dirs.push_back(d);
  for (const auto& d : dirs) {
    std::string p = d + "/nats-server";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// One nats-server process with JetStream on a loopback port and a store folder.
class NatsServer {
 public:
  NatsServer(std::string binary, int port, std::string store, std::string log)
      : binary_(std::move(binary)), port_(port), store_(std::move(store)), log_(std::move(log)) {}

  bool start() {
    if (!child_.start({.args = {binary_, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_},
                       .log = log_,
                       .log_stdout = true,
                       .env = {}}))
      return false;
    auto give_up = Clock::now() + 10s;
    while (Clock::now() < give_up) {
      if (testing::port_open(port_)) return true;
      if (!child_.alive()) return false;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // SIGKILL: a crash, nothing flushed or said goodbye to.
  void kill() { child_.kill(); }

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log_text() const { return testing::read_text(log_); }

 private:
  std::string binary_;
  int port_;
  std::string store_, log_;
  testing::ChildProcess child_;
};

// What the stream holds: the Nats-Msg-Id and record of every message, in stream order.
struct Stored {
  uint64_t count = 0;  // the stream's own message count
  std::vector<std::pair<std::string, std::string>> messages;
};

Stored read_stream(const std::string& url) {
  Stored out;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  EXPECT_EQ(natsConnection_ConnectTo(&nc, url.c_str()), NATS_OK);
  if (nc == nullptr) return out;
  EXPECT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  EXPECT_EQ(js_GetStreamInfo(&si, js, kStream, nullptr, &jerr), NATS_OK) << jerr;
  if (si != nullptr) {
    out.count = si->State.Msgs;
    EXPECT_EQ(si->Config->Storage, js_FileStorage);
    EXPECT_EQ(si->Config->Duplicates, 120LL * 1000 * 1000 * 1000);
    for (uint64_t seq = si->State.FirstSeq; seq <= si->State.LastSeq && si->State.Msgs > 0; ++seq) {
      natsMsg* m = nullptr;
      if (js_GetMsg(&m, js, kStream, seq, nullptr, &jerr) != NATS_OK) continue;
      const char* id = nullptr;
      natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
      out.messages.emplace_back(id != nullptr ? id : "",
                                std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))));
      natsMsg_Destroy(m);
    }
    jsStreamInfo_Destroy(si);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

// Checks that the stream holds each event once and each conversation in order.
void expect_stored_once_in_order(const Stored& stored, const std::vector<OutEvent>& events) {
  std::set<std::string> want, got;
  for (const auto& e : events) want.insert(e.id);
  std::map<std::string, uint64_t> last_seq;
  for (const auto& [id, record] : stored.messages) {
    got.insert(id);
    uint64_t seq = testing::record_seq(record);
    auto c = record.find("\"conversation\":\"");
    std::string conv = record.substr(c + 16, record.find('"', c + 16) - c - 16);
    EXPECT_EQ(id, event_id("pizza", conv, seq));
    EXPECT_GT(seq, last_seq[conv]) << conv;
    last_seq[conv] = seq;
  }
  EXPECT_EQ(stored.count, want.size()) << "the stream stores each event id once";
  EXPECT_EQ(stored.messages.size(), want.size());
  EXPECT_EQ(got, want);
}

SinkConfig nats_config(const std::string& url) {
  SinkConfig c;
  c.name = "nats-test";
  c.type = "nats";
  c.url = url;
  c.topic = kSubject;
  c.stream = kStream;
  return c;
}

#define NEED_NATS_SERVER(binary)                                                   \
  std::string binary = find_nats_server();                                        \
  if (binary.empty()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)"

TEST(NatsSink, RetriedBatchIsStoredOnceAndEveryEventIsThere) {
  NEED_NATS_SERVER(binary);
  TempDir dir;
  NatsServer server(binary, testing::free_port(), dir.sub("store"), dir.sub("nats.log"));
  ASSERT_TRUE(server.start()) << server.log_text();

  auto made = make_sink(nats_config(server.url()));
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  std::unique_ptr<Sink> sink = std::move(made).value();
  auto events = testing::make_events("pizza", 20, 50);  // 1,000
  auto lanes = testing::split_lanes(events, 2);
  std::atomic<int> failures{0};
  auto give_up = Clock::now() + 20s;
  std::vector<std::thread> threads;
  for (size_t l = 0; l < lanes.size(); ++l)
    threads.emplace_back([&, l] { EXPECT_TRUE(testing::deliver_lane(*sink, lanes[l], 100, 2000ms, failures, give_up)); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  // A retry: the relay re-sends a batch whose acknowledgement it did not see.
  Batch again(lanes[0].begin() + 100, lanes[0].begin() + 200);
  ASSERT_TRUE(sink->deliver(again, 2000ms).is_ok());
  ASSERT_TRUE(sink->deliver(again, 2000ms).is_ok());
  sink.reset();

  expect_stored_once_in_order(read_stream(server.url()), events);
}

TEST(NatsSink, KilledServerFailsWithinTimeoutAndRestartedServerTakesEventsAgain) {
  NEED_NATS_SERVER(binary);
  TempDir dir;
  const int port = testing::free_port();
  NatsServer server(binary, port, dir.sub("store"), dir.sub("nats.log"));
  ASSERT_TRUE(server.start()) << server.log_text();

  auto made = make_nats_sink(nats_config(server.url()));
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  std::unique_ptr<Sink> sink = std::move(made).value();
  auto events = testing::make_events("pizza", 10, 60);  // 600 in one lane
  std::vector<const OutEvent*> queue;
  for (const auto& e : events) queue.push_back(&e);
  auto batch = [&](size_t i) { return Batch(queue.begin() + static_cast<long>(i * 100), queue.begin() + static_cast<long>(i * 100 + 100)); };
  ASSERT_TRUE(sink->deliver(batch(0), 2000ms).is_ok());
  ASSERT_TRUE(sink->deliver(batch(1), 2000ms).is_ok());

  server.kill();
  for (int i = 0; i < 2; ++i) {
    auto start = Clock::now();
    Status s = sink->deliver(batch(2), 1000ms);
    auto took = Clock::now() - start;
    EXPECT_FALSE(s.is_ok());
    EXPECT_TRUE(s.code() == Code::kTimeout || s.code() == Code::kUnavailable) << s.to_string();
    EXPECT_LT(took, 1500ms) << s.to_string();
  }

  NatsServer restarted(binary, port, dir.sub("store"), dir.sub("nats.log"));
  ASSERT_TRUE(restarted.start()) << restarted.log_text();
  auto give_up = Clock::now() + 20s;
  Status s;
  while (!(s = sink->deliver(batch(2), 1000ms)).is_ok() && Clock::now() < give_up) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(s.is_ok()) << "no delivery after the restart: " << s.to_string();
  for (size_t i = 3; i < 6; ++i) ASSERT_TRUE(sink->deliver(batch(i), 2000ms).is_ok()) << i;
  sink.reset();

  expect_stored_once_in_order(read_stream(restarted.url()), events);
}

TEST(NatsSink, ServerThatNeverCameUpFailsWithinTheTimeout) {
  auto made = make_nats_sink(nats_config("nats://127.0.0.1:" + std::to_string(testing::free_port())));
  ASSERT_TRUE(made.ok()) << "a down server is not a configuration error: " << made.status().to_string();
  std::unique_ptr<Sink> sink = std::move(made).value();
  auto events = testing::make_events("pizza", 2, 5);
  Batch batch;
  for (const auto& e : events) batch.push_back(&e);
  for (int i = 0; i < 2; ++i) {
    auto start = Clock::now();
    Status s = sink->deliver(batch, 500ms);
    EXPECT_FALSE(s.is_ok());
    EXPECT_LT(Clock::now() - start, 1000ms) << s.to_string();
  }
  auto start = Clock::now();
  sink.reset();
  EXPECT_LT(Clock::now() - start, 3s);
}

}  // namespace
}  // namespace parley::events
