// The Kafka sink against librdkafka's in-process mock cluster (3 brokers, a 6-partition topic):
// 2,000 events of 50 conversations through 4 lanes, with Produce errors injected and a broker
// down mid-run; consumed back from the beginning: every id is there and each conversation's
// events are first seen in order. And a sink whose broker port is closed fails within its timeout.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <barrier>
#include <map>
#include <set>

#include "events/sink.h"
#include "events/sink_events.h"

namespace parley::events {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kTopic = "parley.events";
constexpr int kPartitions = 6;
constexpr int16_t kProduceApi = 0;  // Kafka protocol ApiKey of Produce

// A mock cluster hosted by an otherwise unused producer handle.
class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    EXPECT_NE(host_, nullptr) << err;
    mc_ = rd_kafka_mock_cluster_new(host_, brokers);
    EXPECT_NE(mc_, nullptr);
  }
  ~MockCluster() {
    if (mc_ != nullptr) rd_kafka_mock_cluster_destroy(mc_);
    if (host_ != nullptr) rd_kafka_destroy(host_);
  }
  rd_kafka_mock_cluster_t* get() const { return mc_; }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

struct Consumed {
  std::string key;
  std::string id;  // the `id` header
  std::string record;
};

// Every message of the topic, partition by partition in offset order.
std::vector<Consumed> consume_all(const std::string& brokers, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "group.id", "parley-test-reader", err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  EXPECT_NE(rk, nullptr) << err;
  std::vector<int64_t> high(partitions, 0), next(partitions, 0);
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(rk, kTopic, p, &lo, &high[p], 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(parts, kTopic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);

  std::vector<std::vector<Consumed>> by_partition(partitions);
  auto done = [&] {
    for (int p = 0; p < partitions; ++p)
      if (next[p] < high[p]) return false;
    return true;
  };
  auto give_up = Clock::now() + 20s;
  while (!done() && Clock::now() < give_up) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Consumed c;
      c.key.assign(static_cast<const char*>(m->key), m->key_len);
      c.record.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      const void* v = nullptr;
      size_t n = 0;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(hdrs, "id", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
        c.id.assign(static_cast<const char*>(v), n);
      by_partition[m->partition].push_back(std::move(c));
      next[m->partition] = m->offset + 1;
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_TRUE(done()) << "the topic was not read to its end in time";
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  std::vector<Consumed> out;
  for (auto& v : by_partition)
    for (auto& c : v) out.push_back(std::move(c));
  return out;
}

SinkConfig kafka_config(const std::string& brokers) {
  SinkConfig c;
  c.name = "kafka-test";
  c.type = "kafka";
  c.brokers = brokers;
  c.topic = kTopic;
  return c;
}

TEST(KafkaSink, EveryEventOnceOrMoreInConversationOrderThroughBrokerErrors) {
  MockCluster cluster(3);
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster.get(), kTopic, kPartitions, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Leaders round-robin (the mock picks them at random): broker 1 leads partitions 0 and 3.
  for (int p = 0; p < kPartitions; ++p)
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster.get(), kTopic, p, p % 3 + 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::string brokers = cluster.bootstraps();
  auto made = make_sink(kafka_config(brokers));
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  std::unique_ptr<Sink> sink = std::move(made).value();

  const int kConversations = 50, kPerConversation = 40;
  const size_t kLanes = 4, kBatch = 50;
  auto events = testing::make_events("pizza", kConversations, kPerConversation);
  auto lanes = testing::split_lanes(events, kLanes);

  // Every lane delivers its first half, then waits while the test breaks the cluster: the next
  // Produce requests fail (retriable errors, retried inside librdkafka) and broker 1 goes down
  // for longer than the delivery timeout, so batches touching its partitions fail and are
  // re-sent whole, as the relay does.
  std::barrier sync(static_cast<ptrdiff_t>(kLanes + 1));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::atomic<int> gave_up{0};
  auto give_up = Clock::now() + 40s;
  for (size_t l = 0; l < kLanes; ++l) {
    threads.emplace_back([&, l] {
      const auto& q = lanes[l];
      size_t half = q.size() / 2 / kBatch * kBatch;
      std::vector<const OutEvent*> first(q.begin(), q.begin() + static_cast<long>(half));
      std::vector<const OutEvent*> second(q.begin() + static_cast<long>(half), q.end());
      if (!testing::deliver_lane(*sink, first, kBatch, 800ms, failures, give_up)) ++gave_up;
      sync.arrive_and_wait();  // the cluster breaks
      sync.arrive_and_wait();
      if (!testing::deliver_lane(*sink, second, kBatch, 800ms, failures, give_up)) ++gave_up;
    });
  }
  sync.arrive_and_wait();
  int failures_before = failures.load();
  rd_kafka_mock_push_request_errors(cluster.get(), kProduceApi, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  sync.arrive_and_wait();
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  for (auto& t : threads) t.join();
  ASSERT_EQ(gave_up.load(), 0);
  EXPECT_GT(failures.load(), failures_before) << "the broken cluster failed no delivery; nothing was retried";
  sink.reset();

  auto consumed = consume_all(brokers, kPartitions);
  std::set<std::string> want, got;
  for (const auto& e : events) want.insert(e.id);
  std::map<std::string, std::vector<uint64_t>> first_seen;  // key -> seqs in first-seen order
  std::map<std::string, std::set<uint64_t>> seen;
  for (const auto& c : consumed) {
    got.insert(c.id);
    uint64_t seq = testing::record_seq(c.record);
    std::string conversation = c.key.substr(c.key.find('/') + 1);
    ASSERT_EQ(c.key.substr(0, c.key.find('/')), "pizza");
    ASSERT_EQ(c.id, event_id("pizza", conversation, seq)) << "the id header is the record's id";
    if (seen[c.key].insert(seq).second) first_seen[c.key].push_back(seq);
  }
  EXPECT_EQ(got, want) << "lost events: " << want.size() - got.size();
  EXPECT_GE(consumed.size(), events.size());
  ASSERT_EQ(first_seen.size(), static_cast<size_t>(kConversations));
  std::vector<uint64_t> in_order;
  for (int s = 1; s <= kPerConversation; ++s) in_order.push_back(static_cast<uint64_t>(s));
  for (const auto& [key, seqs] : first_seen) EXPECT_EQ(seqs, in_order) << key;
  std::printf("[          ] %zu messages for %zu events (%zu re-sent), %d failed deliveries\n", consumed.size(),
              events.size(), consumed.size() - events.size(), failures.load());
}

TEST(KafkaSink, ClosedBrokerPortFailsWithinTheTimeout) {
  const int port = testing::free_port();
  auto made = make_kafka_sink(kafka_config("127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  std::unique_ptr<Sink> sink = std::move(made).value();
  auto events = testing::make_events("pizza", 2, 5);
  Batch batch;
  for (const auto& e : events) batch.push_back(&e);
  for (int i = 0; i < 2; ++i) {
    auto start = Clock::now();
    Status s = sink->deliver(batch, 500ms);
    auto took = Clock::now() - start;
    EXPECT_FALSE(s.is_ok());
    EXPECT_TRUE(s.code() == Code::kTimeout || s.code() == Code::kUnavailable) << s.to_string();
    EXPECT_LT(took, 1000ms) << s.to_string();
  }
  auto start = Clock::now();
  sink.reset();
  EXPECT_LT(Clock::now() - start, 4s) << "closing waits a bounded time";
}

TEST(KafkaSink, NeedsBrokers) {
  SinkConfig c = kafka_config("");
  auto made = make_kafka_sink(c);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley::events
