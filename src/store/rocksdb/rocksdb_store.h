// The embedded store: a ConversationStore on one RocksDB database in a folder (key layout in
// store/rocksdb/keys.h). A RocksDbStore is safe for concurrent use from many threads.
//
// Writes go through one committer thread (group commit): appends queue up, the committer takes
// every queued append, checks each one's expected version (appends to the same conversation in
// one group chain on each other), writes all accepted records in ONE WriteBatch with one WAL
// sync, then completes every caller. A turn's records (events, meta, snapshot, dedup record,
// outbox records) are all in that batch, so a turn is applied entirely or not at all, also
// across a crash. Reads (load, find_reply, read_events) go straight to RocksDB.
//
// Storage faults: when a write fails (a full disk, an I/O error), the store logs RocksDB's error
// and refuses writes with kUnavailable (a message naming no file) while reads go on. The
// committer then checks the folder every recovery_interval and, once it has room for the logs
// to replay plus recovery_headroom_bytes, closes and reopens the database, after which writes
// resume by themselves. Acknowledged turns are in the synced WAL or the tables, so a reopen
// keeps them all.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/conversation_store.h"
#include "store/outbox.h"
#include "store/stats.h"

namespace rocksdb {
class Env;
}

namespace parley::store {

struct RocksDbStoreOptions {
  // When an append counts as done (see Durability). fsync costs one fsync per group of turns.
  Durability durability = Durability::kFsync;
  // Shared LRU cache for data blocks (events, meta, dedup records read back).
  size_t block_cache_bytes = 64u << 20;
  // Memtable size before a flush to disk; memory use is about max_write_buffers times this.
  // Measured (bench/RESULTS.md): 64 MiB with fewer, later compactions costs less CPU per turn
  // than 32 MiB, for about 40 MB more resident memory.
  size_t write_buffer_bytes = 64u << 20;
  int max_write_buffers = 3;
  // Threads RocksDB uses for flushes and compactions.
  int max_background_jobs = 2;
  // Bounds of one group commit; more queued appends wait for the next group.
  size_t max_group_turns = 1024;
  size_t max_group_bytes = 16u << 20;
  // After a storage fault: how often the committer looks whether the folder has room again,
  // and how much room beyond the WAL files it wants before reopening.
  std::chrono::milliseconds recovery_interval{1000};
  uint64_t recovery_headroom_bytes = 4u << 20;
  // Creates the folder and database when missing; otherwise opening a missing store fails.
  bool create_if_missing = true;
  // The RocksDB Env; nullptr = the default one. Tests inject storage faults through it; it must
  // outlive the store.
  rocksdb::Env* env = nullptr;
};

class RocksDbStore final : public ConversationStore, public Outbox {
 public:
  // Opens (or creates) the store in `dir`. Fails with kIOError when the folder cannot be used
  // (for example: another process holds it open) and kCorruption when it cannot be read.
  static Result<std::shared_ptr<RocksDbStore>> open(const std::string& dir,
                                                    RocksDbStoreOptions options = {});
  // Completes every queued append, then closes the database.
  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  Result<StoredConversation> load(const ConversationKey& key, size_t max_events) override;
  void append_if_version_async(const ConversationKey& key, TurnRecord turn,
                               AppendCallback done) override;
  Result<std::optional<std::string>> find_reply(const ConversationKey& key,
                                                const std::string& message_id) override;
  Result<std::vector<std::string>> read_events(const ConversationKey& key, uint64_t from,
                                               size_t count) override;
  Result<std::vector<TurnEvent>> read_turn_events(const ConversationKey& key, uint64_t from,
                                                  size_t count) override;
  // kUnavailable while a storage fault keeps writes refused (the message says which).
  Status check_writable() override;
  Status sync() override;
  const StoreStats* stats() const override;

  // Outbox (store/outbox.h).
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

  struct Impl;

 private:
  explicit RocksDbStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The store as the runtime sees it. Same errors as RocksDbStore::open.
Result<std::shared_ptr<ConversationStore>> open_rocksdb_store(const std::string& dir,
                                                              RocksDbStoreOptions options = {});

}  // namespace parley::store
