// TEMPORARY while kafka_sink.cc and nats_sink.cc are written (deleted by that change).
#include "events/sink.h"

namespace parley::events {
Result<std::unique_ptr<Sink>> make_kafka_sink(const SinkConfig&) {
  return Status(Code::kUnavailable, "kafka sink not built yet");
}
Result<std::unique_ptr<Sink>> make_nats_sink(const SinkConfig&) {
  return Status(Code::kUnavailable, "nats sink not built yet");
}
}  // namespace parley::events
