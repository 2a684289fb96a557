// The `events:` section of parley.yml (issue: event pipeline): the event size cap, how long
// acknowledged outbox records stay for replay, and the sinks. Parsed from the config file with
// line numbers in every error; unknown keys are errors that name the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace parley::events {

struct RetryConfig {
  uint32_t max_attempts = 6;    // tries of one batch before its events go to the dead-letter store
  uint64_t base_ms = 200;       // backoff before try n+1: base * 2^(n-1), capped, with jitter
  uint64_t max_ms = 60000;
};

struct BreakerConfig {
  double failure_ratio = 0.5;   // opens when this share of the last `window` tries failed
  uint32_t window = 20;
  uint64_t open_ms = 5000;      // then one probe (half-open); success closes, failure reopens
};

struct SinkConfig {
  std::string name;
  std::string type;             // file | http | kafka | nats
  // file
  std::string path;             // JSON lines; rotated to path.1 .. path.<max_files>
  uint64_t max_file_bytes = 64ull << 20;
  uint32_t max_files = 5;
  bool fsync = false;           // fdatasync before acknowledging
  // http
  std::string url;              // http(s)://host:port/path (also the NATS server URL)
  std::string hmac_secret;      // X-Parley-Signature: sha256=<hex HMAC of the body>
  std::string ca_file;          // https: PEM CAs the receiver's certificate is checked against; "" = system's
  // kafka
  std::string brokers;          // bootstrap servers, host:port[,host:port]
  // kafka topic / NATS subject
  std::string topic = "parley.events";
  // nats
  std::string stream = "PARLEY_EVENTS";  // JetStream stream, created over `topic` when missing
  // delivery
  size_t batch = 100;           // events per delivery (HTTP: one JSON array body)
  uint64_t timeout_ms = 0;      // 0 = auto: about 1.5x the observed median latency, clamped
  size_t max_in_flight = 4;     // bulkhead: concurrent deliveries to this sink
  size_t window_bytes = 8u << 20;  // events read ahead from the outbox and held in memory
  RetryConfig retry;
  BreakerConfig breaker;
  std::vector<std::string> types;  // event types delivered; empty = all
};

struct EventsConfig {
  size_t max_event_bytes = 64u << 10;   // larger events are truncated and flagged
  uint64_t retain_acknowledged_s = 300; // acknowledged outbox records kept this long for replay
  uint64_t relay_claim_ms = 6000;       // replicas on a shared store: one delivers; its claim lasts this long
  std::vector<SinkConfig> sinks;
};

// The event types a sink may filter on.
const std::vector<std::string>& event_type_names();

// Reads the `events` mapping of a parley.yml (a file without one gives the defaults). Errors
// name the file, line and key.
Status load_events_config(const std::string& path, EventsConfig& out);
// Parses YAML text (for tests); `origin` names it in errors.
Status parse_events_config(const std::string& yaml_text, const std::string& origin, EventsConfig& out);

}  // namespace parley::events
