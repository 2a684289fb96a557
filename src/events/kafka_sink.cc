// The Kafka sink (librdkafka): one idempotent producer (enable.idempotence, acks=all) per sink.
// Every event becomes one message on `topic`: key = bot + "/" + conversation (the murmur2
// partitioner, as Java clients use, keeps a conversation in one partition, so its events stay in
// order), value = the JSON record, headers `id` (the event id, for deduplication) and `type`.
//
// deliver() produces the batch's events in order and waits until each of them has a delivery
// report, only for its own messages: every message carries a reference to its call's counter
// (the msg_opaque), and a poller thread serves the reports. OK when all were acknowledged;
// kUnavailable at the first failed report or refused produce, kTimeout when the timeout passes
// first. Messages that outlive their call stay queued in librdkafka (up to message.timeout.ms)
// and may still arrive: the relay re-sends the batch anyway, so the receiver sees at least once
// and deduplicates by `id`. The idempotent producer keeps its internal retries in order, so a
// conversation's events are first seen in order.
//
// A fatal producer error (idempotence state lost) replaces the producer on the next delivery.
// The destructor flushes for at most kFlushOnClose, purges what is left and destroys the handle.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "events/sink.h"

namespace parley::events {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFlushOnClose{2000};

// One deliver() call: how many of its messages still wait for a report, and the first error.
struct Call {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  size_t failed = 0;
  std::string error;

  void done(rd_kafka_resp_err_t err) {
    std::lock_guard<std::mutex> lock(mu);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failed++ == 0) error = rd_kafka_err2str(err);
    }
    if (pending > 0) --pending;
    if (pending == 0 || failed > 0) cv.notify_all();
  }
};

// What a message carries as msg_opaque: its call, kept alive until the report arrives.
using CallRef = std::shared_ptr<Call>;

// One librdkafka producer handle with the thread that serves its callbacks.
class Producer {
 public:
  static Result<std::unique_ptr<Producer>> create(const SinkConfig& c) {
    std::unique_ptr<Producer> p(new Producer());
    char err[512] = {0};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // message.timeout.ms bounds how long a message that outlived its call stays queued (and
    // so how many re-sent copies can pile up while brokers are down).
    uint64_t message_timeout = std::max<uint64_t>(30000, 2 * c.timeout_ms);
    const std::pair<const char*, std::string> settings[] = {
        {"bootstrap.servers", c.brokers},
        {"client.id", "parley-" + c.name},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"partitioner", "murmur2_random"},
        {"linger.ms", "1"},  // the batch is produced at once: 1 ms gathers it
        {"socket.nagle.disable", "true"},
        {"message.timeout.ms", std::to_string(message_timeout)},
        {"reconnect.backoff.max.ms", "1000"},
        {"socket.connection.setup.timeout.ms", "10000"},
    };
    for (const auto& [key, value] : settings) {
      if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return Status::invalid(std::string("kafka ") + key + ": " + err);
      }
    }
    rd_kafka_conf_set_opaque(conf, p.get());
    rd_kafka_conf_set_dr_msg_cb(conf, &Producer::on_delivery);
    rd_kafka_conf_set_error_cb(conf, &Producer::on_error);
    rd_kafka_conf_set_log_cb(conf, &Producer::on_log);
    p->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));  // owns conf when it succeeds
    if (p->rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Status::invalid(std::string("kafka producer: ") + err);
    }
    p->rkt_ = rd_kafka_topic_new(p->rk_, c.topic.c_str(), nullptr);
    if (p->rkt_ == nullptr)
      return Status::invalid("kafka topic '" + c.topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
    p->poller_ = std::thread([raw = p.get()] {
      while (!raw->stopping_.load(std::memory_order_relaxed)) rd_kafka_poll(raw->rk_, 100);
    });
    return p;
  }

  ~Producer() {
    if (poller_.joinable()) {
      stopping_ = true;
      rd_kafka_yield(rk_);
      poller_.join();
    }
    if (rk_ == nullptr) return;
    // Messages still queued belong to calls that already returned (failed): their events are
    // re-sent anyway, so a bounded flush is enough; the rest is purged, and the purge reports
    // served so every call reference is released.
    if (!fatal_) rd_kafka_flush(rk_, static_cast<int>(kFlushOnClose.count()));
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_, 500);
    if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
    rd_kafka_destroy(rk_);
  }

  rd_kafka_t* handle() const { return rk_; }
  rd_kafka_topic_t* topic() const { return rkt_; }
  bool fatal() const { return fatal_.load(); }
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_error_;
  }

 private:
  Producer() = default;

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* ref = static_cast<CallRef*>(m->_private);
    if (ref == nullptr) return;
    (*ref)->done(m->err);
    delete ref;
  }

  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Producer*>(opaque);
    std::string text = reason;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512] = {0};
      rd_kafka_fatal_error(rk, buf, sizeof(buf));
      text = std::string("fatal: ") + buf;
      self->fatal_ = true;
      log(spdlog::level::err, "kafka producer error", {{"producer", rd_kafka_name(rk)}, {"error", text}});
    }
    std::lock_guard<std::mutex> lock(self->mu_);
    self->last_error_ = std::move(text);
  }

  static void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    // syslog levels: 0-2 critical/alert/emergency, 3 error, 4 warning, 5-7 notice/info/debug.
    // Broker connection errors come at 3 and repeat while a broker is down: warnings.
    auto lvl = level <= 2 ? spdlog::level::err : level <= 4 ? spdlog::level::warn : spdlog::level::debug;
    log(lvl, "kafka", {{"producer", rd_kafka_name(rk)}, {"facility", fac}, {"line", buf}});
  }

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  std::thread poller_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> fatal_{false};
  mutable std::mutex mu_;
  std::string last_error_;
};

class KafkaSink final : public Sink {
 public:
  KafkaSink(SinkConfig c, std::unique_ptr<Producer> p) : config_(std::move(c)), producer_(std::move(p)) {}

  Status deliver(const Batch& batch, milliseconds timeout) override {
    if (batch.empty()) return Status::ok();
    const auto deadline = Clock::now() + timeout;
    auto got = current();
    if (!got.ok()) return Status::unavailable("sink '" + config_.name + "': " + got.status().message());
    std::shared_ptr<Producer> p = std::move(got).value();

    auto call = std::make_shared<Call>();
    call->pending = batch.size();
    std::string key;
    for (size_t i = 0; i < batch.size(); ++i) {
      const OutEvent* e = batch[i];
      key.assign(e->bot).append("/").append(e->conversation);
      while (true) {
        auto* ref = new CallRef(call);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->handle(), RD_KAFKA_V_RKT(p->topic()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(e->record.data()), e->record.size()),
            RD_KAFKA_V_HEADER("id", e->id.data(), static_cast<ssize_t>(e->id.size())),
            RD_KAFKA_V_HEADER("type", e->type.data(), static_cast<ssize_t>(e->type.size())),
            RD_KAFKA_V_OPAQUE(ref), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        delete ref;
        // The local queue is full (brokers slow or away): wait for room until the deadline.
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && Clock::now() + milliseconds(10) < deadline) {
          std::this_thread::sleep_for(milliseconds(10));
          continue;
        }
        return fail(err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? Code::kTimeout : Code::kUnavailable,
                    "producing event " + std::to_string(i + 1) + " of " + std::to_string(batch.size()) + ": " +
                        rd_kafka_err2str(err));
      }
    }

    std::unique_lock<std::mutex> lock(call->mu);
    call->cv.wait_until(lock, deadline, [&] { return call->pending == 0 || call->failed > 0; });
    if (call->failed > 0) return fail(Code::kUnavailable, "delivery failed: " + call->error);
    if (call->pending > 0) {
      std::string why = p->last_error();
      return fail(Code::kTimeout, std::to_string(call->pending) + " of " + std::to_string(batch.size()) +
                                      " events not acknowledged within " + std::to_string(timeout.count()) +
                                      " ms" + (why.empty() ? "" : " (" + why + ")"));
    }
    return Status::ok();
  }

 private:
  Status fail(Code code, const std::string& what) const {
    return Status(code, "sink '" + config_.name + "': " + what);
  }

  // The producer, replaced when the current one hit a fatal error.
  Result<std::shared_ptr<Producer>> current() {
    std::shared_ptr<Producer> old;  // destroyed outside the lock
    std::lock_guard<std::mutex> lock(mu_);
    if (producer_ && producer_->fatal()) old = std::move(producer_);
    if (!producer_) {
      auto made = Producer::create(config_);
      if (!made.ok()) return made.status();
      producer_ = std::move(made).value();
      if (old) log(spdlog::level::warn, "kafka producer replaced after a fatal error", {{"sink", config_.name}});
    }
    return producer_;
  }

  const SinkConfig config_;
  std::mutex mu_;
  std::shared_ptr<Producer> producer_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_kafka_sink(const SinkConfig& config) {
  if (config.brokers.empty()) return Status::invalid("kafka sink '" + config.name + "' needs brokers");
  if (config.topic.empty()) return Status::invalid("kafka sink '" + config.name + "' needs a topic");
  auto p = Producer::create(config);
  if (!p.ok()) return p.status();
  return std::unique_ptr<Sink>(std::make_unique<KafkaSink>(config, std::move(p).value()));
}

}  // namespace parley::events
