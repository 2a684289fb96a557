// Internals of the RocksDB store shared by its two files: rocksdb_store.cc (open, reads) and
// group_commit.cc (the committer thread). Not part of the interface.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/rocksdb/rocksdb_store.h"

namespace parley::store {

// RocksDB's status as ours: corruption stays corruption, the rest is an I/O error.
Status from_rocksdb(const rocksdb::Status& s, std::string_view what);

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
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
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
  // Makes the WAL durable on disk whatever the durability setting.
  rocksdb::Status sync_wal();
};

}  // namespace parley::store
