// The event outbox seam (shared/ARCHITECTURE.md, G6). A turn's outbox records are written in the
// same atomic batch as its events (ConversationStore::append_if_version_async); the event relay
// (events/) reads them from here in commit order, keeps one cursor per sink, parks what a sink
// failed to take for good in that sink's dead-letter store, and trims records every sink has
// acknowledged. Positions are global, increasing in commit order; gaps are possible (a failed
// write). Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace parley::store {

// An outbox record as stored: its position and JSON text.
struct OutboxRecord {
  uint64_t seq = 0;
  std::string record;
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Every call but set_commit_listener is blocking: a local read or write (RocksDB) or one or more
  // round trips (Redis). The relay calls them on its own threads, the admin routes on the blocking
  // pool, never on an I/O thread.

  // Records at positions >= from, in order, at most `max`.
  virtual Result<std::vector<OutboxRecord>> read_outbox(uint64_t from, size_t max) = 0;
  // The position the next record will get (one past the last written). RocksDB: never blocks.
  virtual Result<uint64_t> next_outbox_seq() const = 0;
  // The first position still stored (next_outbox_seq() when the outbox is empty).
  virtual Result<uint64_t> first_outbox_seq() = 0;
  // Removes every record at a position below `below` (whole turns only: a turn's records go
  // together once all of them are below).
  virtual Status trim_outbox(uint64_t below) = 0;
  // Runs after every committed group of turns (on the committer thread: keep it short). One
  // listener; set it before appends start. Never blocks.
  virtual void set_commit_listener(std::function<void()> listener) = 0;

  // A sink's cursor: every record below it is delivered or dead-lettered. nullopt = never saved.
  virtual Result<std::optional<uint64_t>> load_cursor(const std::string& sink) = 0;
  virtual Status save_cursor(const std::string& sink, uint64_t cursor) = 0;

  // A sink's dead letters, keyed by outbox position.
  virtual Status put_dead_letters(const std::string& sink, const std::vector<OutboxRecord>& records) = 0;
  virtual Result<std::vector<OutboxRecord>> read_dead_letters(const std::string& sink, uint64_t from,
                                                              size_t max) = 0;
  virtual Status delete_dead_letters(const std::string& sink, const std::vector<uint64_t>& positions) = 0;

  // Claims (or renews) the right to run the relay for `ttl`: true while `owner` holds it. Replicas
  // on a shared store call it every ttl/3 and only the holder delivers, so events are not sent
  // once per replica; when the holder dies its claim expires and another takes over. A store
  // only one process opens (RocksDB) always grants it.
  virtual Result<bool> claim_relay(const std::string&, std::chrono::milliseconds) { return true; }
};

}  // namespace parley::store
