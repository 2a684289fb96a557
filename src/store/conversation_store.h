// The storage seam. A ConversationStore keeps each conversation's events as separate records,
// a snapshot of its tracker every few turns, the dedup records (client message id -> stored
// reply) and the event outbox, and writes a turn's records in one atomic, durable step
// (append_if_version). Implementations: store/rocksdb/ (embedded, default) and store/redis/ (shared by
// replicas, with leases: store/lease.h). Implementations are thread-safe: every method may be called
// from any thread; each says whether it blocks ("Blocking": never call it on an I/O thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "store/lease.h"

namespace parley::store {

struct StoreStats;

struct ConversationKey {
  std::string bot;
  std::string conversation;
};

// What a turn writes, all or nothing.
struct TurnRecord {
  uint64_t expected_version = 0;       // number of events the conversation had when the turn began
  std::vector<std::string> events;     // serialized events (JSON text), appended in order
  std::string message_id;              // "" = no dedup record
  std::string reply;                   // serialized reply stored under message_id
  std::vector<std::string> outbox;     // serialized outbox records for the event pipeline
  // The conversation lease this turn ran under (acquire_lease), 0 = none. The append is refused
  // (kConflict) when another writer holds the lease now; a successful append releases it.
  uint64_t fence = 0;
  // "" = none; otherwise the tracker's state after this turn's events (it covers
  // expected_version + events.size() events) and replaces the previous snapshot.
  std::string snapshot;
};

// durability of an acknowledged append:
//   kFsync: the WAL is fsynced before the append completes; survives power loss (default).
//   kFlush: the WAL is written to the OS before completion; survives a process crash (kill -9),
//           not a machine crash.
//   kNone:  the WAL is buffered in the process; a crash may lose the latest appends.
enum class Durability { kFsync, kFlush, kNone };

struct StoredConversation {
  uint64_t version = 0;                // total number of events; 0 when the conversation is unknown
  uint64_t turns = 0;                  // number of appends (turns) so far
  std::string snapshot;                // latest snapshot, "" when none
  uint64_t snapshot_version = 0;       // events the snapshot covers
  uint64_t first_loaded = 0;           // index of the first event in `events`
  std::vector<std::string> events;     // events [first_loaded, version)
};

// Called exactly once with the outcome of an append, on a thread of the store's choosing (the
// committer): keep it short, hand real work to another executor.
using AppendCallback = std::function<void(Status)>;

class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

  // Loads the latest snapshot and the events stored after it (all events when there is no
  // snapshot), as of one consistent point in time. With max_events > 0 at most the last
  // max_events of those events are returned (first_loaded says where they start).
  // Blocking: a local read (RocksDB) or a few round trips (Redis); never on an I/O thread.
  virtual Result<StoredConversation> load(const ConversationKey& key, size_t max_events) = 0;

  // Appends the turn's records (events, dedup record, outbox records, snapshot) atomically if
  // the conversation still has `turn.expected_version` events; Code::kConflict otherwise (and
  // nothing is written). `done` runs once the outcome is durable per the store's durability.
  // Concurrent appends share one write and one sync (group commit). Never blocks: `done` runs
  // on the store's committer thread.
  virtual void append_if_version_async(const ConversationKey& key, TurnRecord turn,
                                       AppendCallback done) = 0;
  // The same, blocking until done. Must not be called from the store's own callbacks.
  virtual Status append_if_version(const ConversationKey& key, TurnRecord turn);

  // The stored reply for a client message id, or nullopt. Blocking: a local read or one round trip.
  virtual Result<std::optional<std::string>> find_reply(const ConversationKey& key,
                                                        const std::string& message_id) = 0;
  // Reads events [from, from+count) of a conversation (fewer when it has fewer). Blocking, as load.
  virtual Result<std::vector<std::string>> read_events(const ConversationKey& key, uint64_t from,
                                                       size_t count) = 0;
  // Events [from, from+count) of a conversation with the 1-based number of the turn that
  // appended each (for the events route: the turn is not inside the event). Blocking, as load.
  struct TurnEvent {
    uint64_t turn = 0;
    std::string text;
  };
  virtual Result<std::vector<TurnEvent>> read_turn_events(const ConversationKey& key, uint64_t from,
                                                          size_t count) = 0;
  // Leases for replicas that share this store (other processes write it too): nullptr when one
  // process owns it, as RocksDB does. Never blocks.
  virtual ConversationLeases* leases() { return nullptr; }

  // What a turn learns from the store before it runs.
  struct TurnStart {
    uint64_t fence = 0;                 // the lease's token (0: none, this store needs none)
    std::optional<std::string> reply;   // the stored reply of message_id: a retry (no lease taken)
    std::optional<uint64_t> version;    // the stored version, when the store read it
  };
  // Starts a turn of `key`: the stored reply for `message_id` (G3; "" = none) and, when there is
  // none, the conversation's lease as leases()->acquire_lease does (kConflict while another holder
  // has it; fence 0 when the store has no leases), plus the stored version where that is cheap, so
  // a replica checks its cached tracker against it before using it. A shared store does it in one
  // round trip; this default makes up to two calls.
  // Blocking: a local read (RocksDB) or one round trip (Redis); call it on a turn thread.
  virtual Result<TurnStart> begin_turn(const ConversationKey& key, std::chrono::milliseconds ttl, uint64_t held,
                                       const std::string& message_id) {
    TurnStart out;
    if (!message_id.empty()) {
      auto stored = find_reply(key, message_id);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) {
        if (held != 0 && leases() != nullptr) (void)leases()->release_lease(key, held);
        out.reply = std::move(*stored);
        return out;
      }
    }
    if (leases() == nullptr) return out;
    auto lease = leases()->acquire_lease(key, ttl, held);
    if (!lease.ok()) return lease.status();
    out.fence = *lease;
    return out;
  }
  // True when the store accepts writes (for /readyz). Blocking: one write (RocksDB) or one SET
  // per master (Redis).
  virtual Status check_writable() = 0;
  // Makes every completed append durable on disk whatever the durability (for drain). Blocking.
  virtual Status sync() { return Status::ok(); }
  // Write numbers for /metrics; nullptr when the store keeps none. Never blocks.
  virtual const StoreStats* stats() const { return nullptr; }
};

}  // namespace parley::store
