// The sink seam: where the relay hands events. A Sink delivers one batch at a time per caller and
// may be called from up to max_in_flight threads at once; each call returns within about its
// timeout. OK means the receiver acknowledged every event of the batch (HTTP 2xx, Kafka delivery
// report, JetStream ack, the line written). Implementations: file, http (here), kafka, nats.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "events/config.h"

namespace parley::events {

// One event on its way to a sink.
struct OutEvent {
  uint64_t position = 0;     // outbox position
  std::string id;
  std::string type;
  std::string bot;
  std::string conversation;
  double ts = 0;
  std::string record;        // the JSON record (events/record.h)
  bool dead_letter = false;  // re-sent from the sink's dead-letter store
};

using Batch = std::vector<const OutEvent*>;

class Sink {
 public:
  virtual ~Sink() = default;
  // A batch's events keep their order; one conversation's events arrive in order.
  virtual Status deliver(const Batch& batch, std::chrono::milliseconds timeout) = 0;
};

// The sink for a configuration (kInvalidArgument when it cannot be set up).
Result<std::unique_ptr<Sink>> make_sink(const SinkConfig& config);
Result<std::unique_ptr<Sink>> make_file_sink(const SinkConfig& config);
Result<std::unique_ptr<Sink>> make_http_sink(const SinkConfig& config);
Result<std::unique_ptr<Sink>> make_kafka_sink(const SinkConfig& config);
Result<std::unique_ptr<Sink>> make_nats_sink(const SinkConfig& config);

}  // namespace parley::events
