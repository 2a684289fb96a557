// The shared store for replicas: a ConversationStore and Outbox on Redis (hiredis), so any number
// of `parley serve` processes serve the same conversations (issue: scale out).
//
// Keys (hash-tagged per conversation, so one conversation lives on one cluster slot):
//   parley:{T}:m:C   hash v (events), t (turns), sv (events the snapshot covers)
//   parley:{T}:e:C   list of event JSON texts
//   parley:{T}:n:C   list of event counts per turn (the turn of an event, for the events route)
//   parley:{T}:s:C   latest tracker snapshot
//   parley:{T}:d:C   hash message id -> stored reply
//   parley:{T}:l:C   the conversation's lease: the holder's fencing token (SET NX PX), from the
//                    counter parley:{T}:fence
// C = len(bot):bot + conversation. On one Redis node (redis://) T is a hash of bot and
// conversation, and every turn appends its outbox records to one stream, parley:outbox (entry id
// = position + 1, numbered by parley:outbox:seq); sink cursors in the hash parley:cursors, dead
// letters in a sorted set per sink (score = position).
//
// On a Redis Cluster (redis+cluster://seed[,seed...]) a script may only touch keys of one slot,
// so T is one of 64 partition tags spread evenly over the slots (a conversation's partition is a
// hash of bot and conversation), and a turn appends its outbox records to its partition's stream
// parley:{T}:outbox. Readers of the outbox first merge the partitions' new records into the global
// stream parley:{parley}:outbox (a script on that slot copies a partition's records and moves its
// merge mark only if the mark is still the one read, so concurrent merges copy a record once, in
// the partition's order), then read it as on one node; cursors, dead letters and the relay claim
// live in the {parley} slot too. Commands follow MOVED (slot map refreshed from CLUSTER SLOTS)
// and ASK redirections, so slots can be resharded while replicas run.
//
// A turn is ONE Lua script: it appends events, turn size, dedup record, snapshot and outbox
// records only if the conversation still has the expected number of events (else kConflict and
// nothing is written), so two replicas can never fork a tracker; Redis runs scripts atomically.
// Durability is Redis's: with appendonly yes and appendfsync always a reply waits for the fsync of
// the AOF (deploy/redis.conf); with everysec up to a second of acknowledged turns can be lost when
// Redis itself dies.
#pragma once

#include <memory>
#include <string>

#include "store/conversation_store.h"
#include "store/outbox.h"

namespace parley::store {

struct RedisStoreOptions {
  std::string url = "redis://127.0.0.1:6379";  // redis://[:password@]host:port[/db] | redis+cluster://host:port[,...]
  size_t writers = 8;                          // connections (and threads) running appends
  size_t readers = 8;                          // pooled connections for reads
  int timeout_ms = 5000;                       // connect and command timeout
};

class RedisStore;

// Connects (fails with kUnavailable when Redis cannot be reached) and loads the scripts.
Result<std::shared_ptr<RedisStore>> open_redis_store(const RedisStoreOptions& options);

class RedisStore final : public ConversationStore, public ConversationLeases, public Outbox {
 public:
  ~RedisStore() override;

  Result<StoredConversation> load(const ConversationKey& key, size_t max_events) override;
  void append_if_version_async(const ConversationKey& key, TurnRecord turn, AppendCallback done) override;
  Result<std::optional<std::string>> find_reply(const ConversationKey& key, const std::string& message_id) override;
  Result<std::vector<std::string>> read_events(const ConversationKey& key, uint64_t from, size_t count) override;
  Result<std::vector<TurnEvent>> read_turn_events(const ConversationKey& key, uint64_t from, size_t count) override;
  ConversationLeases* leases() override { return this; }
  Result<uint64_t> acquire_lease(const ConversationKey& key, std::chrono::milliseconds ttl, uint64_t held) override;
  Status release_lease(const ConversationKey& key, uint64_t token) override;
  Result<TurnStart> begin_turn(const ConversationKey& key, std::chrono::milliseconds ttl, uint64_t held,
                               const std::string& message_id) override;
  Status check_writable() override;

  Result<std::vector<OutboxRecord>> read_outbox(uint64_t from, size_t max) override;
  Result<uint64_t> next_outbox_seq() const override;
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
