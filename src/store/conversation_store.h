// The storage seam. A ConversationStore keeps each conversation's events as separate records,
// the dedup records (client message id -> stored reply) and the event outbox, and writes a turn's
// records in one atomic, durable step (append_if_version). Implementations: store/rocksdb/
// (embedded, default), later redis/ and postgres/. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace parley::store {

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
};

enum class Durability { kFsync, kFlush, kNone };  // fsync: WAL synced before the reply (default)

struct StoredConversation {
  uint64_t version = 0;                // total number of events
  uint64_t first_loaded = 0;           // index of the first event in `events`
  std::vector<std::string> events;     // the tail of the history asked for
};

class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

  // Loads the last `max_events` events (0 = all) of a conversation; version 0 when unknown.
  virtual Result<StoredConversation> load(const ConversationKey& key, size_t max_events) = 0;
  // Appends the turn's records atomically if the conversation still has `expected_version`
  // events; Code::kConflict otherwise. Durable according to the store's durability on return.
  virtual Status append_if_version(const ConversationKey& key, const TurnRecord& turn) = 0;
  // The stored reply for a client message id, or nullopt.
  virtual Result<std::optional<std::string>> find_reply(const ConversationKey& key,
                                                        const std::string& message_id) = 0;
  // Reads events [from, from+count) of a conversation.
  virtual Result<std::vector<std::string>> read_events(const ConversationKey& key, uint64_t from,
                                                       size_t count) = 0;
  // True when the store accepts writes (for /readyz).
  virtual Status check_writable() = 0;
};

}  // namespace parley::store
