// Internals of the RocksDB store shared by its files: rocksdb_store.cc (open, reads),
// group_commit.cc (the committer thread) and recovery.cc (storage faults). Not part of the
// interface.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "store/rocksdb/rocksdb_store.h"

namespace parley::store {

// A failed read as ours: kCorruption for damaged data, kUnavailable otherwise. RocksDB's text
// names files of the store: it goes into the detail (logged), not the message (sent).
Status from_rocksdb(const rocksdb::Status& s, std::string_view what);

// One past the highest outbox sequence number in `db` (0 when the outbox is empty).
Result<uint64_t> find_next_outbox_seq(rocksdb::DB& db);

// Why the store refuses writes: kNone (healthy), a full disk, or another storage fault.
enum class Fault { kNone, kNoSpace, kStorage };

struct RocksDbStore::Impl {
  // An append waiting for the committer; `sync_only` entries are sync() barriers.
  struct Pending {
    ConversationKey key;
    TurnRecord turn;
    AppendCallback done;
    std::chrono::steady_clock::time_point queued;
    size_t bytes = 0;
    bool sync_only = false;
  };

  RocksDbStoreOptions options;
  std::string dir;
  rocksdb::Options db_options;  // as opened, for reopening after a fault
  // Null only while a reopen failed and not even a read-only open worked.
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
  // Guards the `db` pointer: every use of the database holds it shared (DbUse), a reopen
  // holds it exclusively, so it waits for the reads and writes in progress.
  std::shared_mutex db_mu;
  // Writes hold it shared, a WAL sync exclusively: RocksDB 7.8 must never sync a WAL whose
  // write just failed (its WritableFileWriter asserts, and Debian's build keeps assertions). A
  // failing write records the fault before it lets go, so a sync that checks `fault` under
  // this lock never meets a failed WAL.
  std::shared_mutex wal_mu;
  // One DB::Write at a time (taken inside wal_mu). Concurrent writers make RocksDB's write
  // thread copy the followers' batches on the leader's thread, handed over with atomics TSan
  // cannot see in the uninstrumented library (CI's TSan run flagged the committer reading a
  // cursor's batch). The committer is nearly the only writer, so this costs nothing measurable.
  std::mutex write_mu;
  std::atomic<Fault> fault{Fault::kNone};
  std::chrono::steady_clock::time_point next_recovery;  // committer only
  StoreStats stats;
  std::atomic<uint64_t> next_outbox_seq{0};  // written by the committer only
  std::function<void()> commit_listener;      // set before appends start

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Pending> queue;  // guarded by mu
  bool stopping = false;      // guarded by mu
  std::thread committer;

  void enqueue(Pending p);
  void run_committer();
  void commit_group(std::vector<Pending>& group);
  // Makes the WAL durable on disk whatever the durability setting; `db` is held by the caller.
  rocksdb::Status sync_wal(rocksdb::DB& db);
  // Writes `batch` outside the committer (health probe, cursors, dead letters): refused while
  // the store is faulted; a failure faults it.
  Status write(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch& batch, std::string_view what);

  // Storage faults (recovery.cc). note_fault logs the RocksDB error (with its paths) and makes
  // every write fail fast with fault_status() until the committer has reopened the database.
  void note_fault(const rocksdb::Status& s, std::string_view what);
  Status fault_status() const;
  // On the committer, while faulted: once the folder has room again, closes and reopens the
  // database (RocksDB 7.8 cannot resume on a WAL whose write failed: facebook/rocksdb#11643).
  void maybe_recover();
  bool reopen();
};

// One use of the database: holds db_mu shared, so a reopen waits until it ends.
struct DbUse {
  explicit DbUse(RocksDbStore::Impl& impl) : lock(impl.db_mu), db(impl.db.get()) {}
  std::shared_lock<std::shared_mutex> lock;
  rocksdb::DB* db;  // null: the store is closed for now (fault_status says why)
};

// Tells `impl` about background errors (a flush that found the disk full) and keeps RocksDB
// from resuming by itself on hard errors: the committer reopens instead.
std::shared_ptr<rocksdb::EventListener> make_fault_listener(RocksDbStore::Impl& impl);
// RocksDB's log lines (warnings and errors) into the server's log instead of a LOG file.
std::shared_ptr<rocksdb::Logger> make_server_logger();

}  // namespace parley::store
