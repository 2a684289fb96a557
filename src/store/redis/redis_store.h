// The shared store for replicas: a ConversationStore and Outbox on Redis (hiredis), so any number
// of `parley serve` processes serve the same conversations (issue: scale out).
//
// Keys (hash-tagged per conversation, so one conversation lives on one cluster slot):
//   parley:{H}:m:C   hash v (events), t (turns), sv (events the snapshot covers)
//   parley:{H}:e:C   list of event JSON texts
//   parley:{H}:n:C   list of event counts per turn (the turn of an event, for the events route)
//   parley:{H}:s:C   latest tracker snapshot
//   parley:{H}:d:C   hash message id -> stored reply
//   parley:{H}:l:C   the conversation's lease: the holder's fencing token (SET NX PX), from the
//                    counter parley:{H}:fence
// H is a hash of bot and conversation, C = len(bot):bot + conversation. The outbox is one stream
// (parley:outbox, id = position + 1) numbered by parley:outbox:seq; sink cursors in the hash
// parley:cursors; dead letters in one sorted set per sink (score = position).
//
// A turn is ONE Lua script: it appends events, turn size, dedup record, snapshot and outbox
// records only if the conversation still has the expected number of events (else kConflict and
// nothing is written), so two replicas can never fork a tracker; Redis runs scripts atomically.
// Durability is Redis's: with appendonly yes and appendfsync always a reply waits for the fsync of
// the AOF (deploy/redis.conf); with everysec up to a second of acknowledged turns can be lost when
// Redis itself dies. Not yet for Redis Cluster: the outbox stream is one key, so the script's keys
// span two slots.
#pragma once

#include <memory>
#include <string>

#include "store/conversation_store.h"
#include "store/outbox.h"

namespace parley::store {

struct RedisStoreOptions {
  std::string url = "redis://127.0.0.1:6379";  // redis://[:password@]host:port[/db]
  size_t writers = 8;                          // connections (and threads) running appends
  size_t readers = 8;                          // pooled connections for reads
  int timeout_ms = 5000;                       // connect and command timeout
};

class RedisStore;

// Connects (fails with kUnavailable when Redis cannot be reached) and loads the scripts.
Result<std::shared_ptr<RedisStore>> open_redis_store(const RedisStoreOptions& options);

class RedisStore final : public ConversationStore, public Outbox {
 public:
  ~RedisStore() override;

  Result<StoredConversation> load(const ConversationKey& key, size_t max_events) override;
  void append_if_version_async(const ConversationKey& key, TurnRecord turn, AppendCallback done) override;
  Result<std::optional<std::string>> find_reply(const ConversationKey& key, const std::string& message_id) override;
  Result<std::vector<std::string>> read_events(const ConversationKey& key, uint64_t from, size_t count) override;
  Result<std::vector<TurnEvent>> read_turn_events(const ConversationKey& key, uint64_t from, size_t count) override;
  Result<uint64_t> acquire_lease(const ConversationKey& key, std::chrono::milliseconds ttl, uint64_t held) override;
  void release_lease(const ConversationKey& key, uint64_t token) override;
  Status check_writable() override;

  Result<std::vector<OutboxRecord>> read_outbox(uint64_t from, size_t max) override;
  uint64_t next_outbox_seq() const override;
  Result<uint64_t> first_outbox_seq() override;
  Status trim_outbox(uint64_t below) override;
  void set_commit_listener(std::function<void()> listener) override;
  Result<std::optional<uint64_t>> load_cursor(const std::string& sink) override;
  Status save_cursor(const std::string& sink, uint64_t cursor) override;
  Status put_dead_letters(const std::string& sink, const std::vector<OutboxRecord>& records) override;
  Result<std::vector<OutboxRecord>> read_dead_letters(const std::string& sink, uint64_t from, size_t max) override;
  Status delete_dead_letters(const std::string& sink, const std::vector<uint64_t>& positions) override;
  Result<bool> claim_relay(const std::string& owner, std::chrono::milliseconds ttl) override;

  struct Impl;
  explicit RedisStore(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::store
