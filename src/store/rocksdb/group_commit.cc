// Group commit: one committer thread turns every queued append into one WriteBatch, one write
// and one WAL sync, then completes the callers. Being the only writer of conversation records,
// it can check versions without locks: a conversation's meta is read once per group and
// chained through the group's appends.
#include <rocksdb/write_batch.h>

#include <unordered_map>

#include "store/rocksdb/keys.h"
#include "store/rocksdb/store_impl.h"

namespace parley::store {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

size_t record_bytes(const TurnRecord& t) {
  size_t n = t.reply.size() + t.message_id.size() + t.snapshot.size() + 64;
  for (const auto& e : t.events) n += e.size() + 32;
  for (const auto& o : t.outbox) n += o.size() + 16;
  return n;
}

}  // namespace

void RocksDbStore::Impl::enqueue(Pending p) {
  p.queued = Clock::now();
  if (!p.sync_only) p.bytes = record_bytes(p.turn);
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!stopping) {
      queue.push_back(std::move(p));
      stats.queued.fetch_add(1, std::memory_order_relaxed);
      cv.notify_one();
      return;
    }
  }
  p.done(Status::unavailable("the store is closed"));
}

void RocksDbStore::Impl::run_committer() {
  std::vector<Pending> group;
  for (;;) {
    group.clear();
    maybe_recover();
    {
      std::unique_lock<std::mutex> lock(mu);
      // Wakes up now and then to see whether a faulted store can recover, also without traffic.
      cv.wait_for(lock, options.recovery_interval, [this] { return stopping || !queue.empty(); });
      if (queue.empty() && stopping) return;  // everything queued was completed
      size_t bytes = 0;
      while (!queue.empty() && group.size() < options.max_group_turns &&
             (group.empty() || bytes + queue.front().bytes <= options.max_group_bytes)) {
        bytes += queue.front().bytes;
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    if (group.empty()) continue;
    stats.queued.fetch_sub(static_cast<int64_t>(group.size()), std::memory_order_relaxed);
    commit_group(group);
  }
}

rocksdb::Status RocksDbStore::Impl::sync_wal(rocksdb::DB& db) {
  std::unique_lock<std::shared_mutex> wal(wal_mu);
  if (fault.load() != Fault::kNone) return rocksdb::Status::Aborted("the store is faulted");
  if (options.durability == Durability::kFsync) return db.SyncWAL();
  return db.FlushWAL(/*sync=*/true);
}

namespace {

// Completes every entry of a group that finds the store faulted, without touching RocksDB.
void fail_group(std::vector<RocksDbStore::Impl::Pending>& group, const Status& why, StoreStats& stats) {
  for (auto& p : group) {
    if (!p.sync_only) stats.write_errors.fetch_add(1, std::memory_order_relaxed);
    p.done(why);
  }
}

}  // namespace

void RocksDbStore::Impl::commit_group(std::vector<Pending>& group) {
  struct MetaState {
    rocks::Meta meta;
    bool dirty = false;
  };
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, MetaState> metas;
  std::vector<Status> results(group.size());
  std::vector<size_t> accepted;
  bool want_sync = false;
  uint64_t bytes = 0;
  const rocksdb::ReadOptions read_options;
  DbUse use(*this);
  if (!use.db || fault.load() != Fault::kNone) return fail_group(group, fault_status(), stats);
  rocksdb::DB* db = use.db;

  for (size_t i = 0; i < group.size(); ++i) {
    Pending& p = group[i];
    if (p.sync_only) {
      want_sync = true;
      continue;
    }
    std::string mk = rocks::meta_key(p.key);
    auto it = metas.find(mk);
    if (it == metas.end()) {
      MetaState st;
      std::string value;
      rocksdb::Status s = db->Get(read_options, mk, &value);
      if (!s.ok() && !s.IsNotFound()) {
        results[i] = from_rocksdb(s, "reading conversation meta");
        stats.write_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (s.ok() && !rocks::decode_meta(value, st.meta)) {
        results[i] = Status(Code::kCorruption, "conversation meta record cannot be decoded");
        stats.write_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      it = metas.emplace(std::move(mk), st).first;
    }
    MetaState& cur = it->second;
    const TurnRecord& t = p.turn;
    if (cur.meta.version != t.expected_version) {
      results[i] = Status::conflict("expected version " + std::to_string(t.expected_version) +
                                    ", the conversation has " + std::to_string(cur.meta.version));
      stats.conflicts.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!t.events.empty())
      batch.Put(rocks::event_key(p.key, cur.meta.version), rocks::encode_event_block(t.events));
    cur.meta.version += t.events.size();
    cur.meta.turns += 1;
    if (!t.message_id.empty()) batch.Put(rocks::dedup_key(p.key, t.message_id), t.reply);
    if (!t.snapshot.empty()) {
      batch.Put(rocks::snapshot_key(p.key), t.snapshot);
      cur.meta.snapshot_version = cur.meta.version;
    }
    if (!t.outbox.empty())  // one value per turn; its records are numbered from the key on
      batch.Put(rocks::outbox_key(next_outbox_seq.fetch_add(t.outbox.size(), std::memory_order_relaxed)),
                rocks::encode_event_block(t.outbox));
    cur.dirty = true;
    bytes += p.bytes;
    accepted.push_back(i);
  }
  for (const auto& [mk, st] : metas)
    if (st.dirty) batch.Put(mk, rocks::encode_meta(st.meta));

  if (!accepted.empty() || want_sync) {
    auto start = Clock::now();
    rocksdb::Status s;
    if (!accepted.empty()) {
      std::shared_lock<std::shared_mutex> wal(wal_mu);
      s = db->Write(write_options, &batch);
      if (s.ok() && options.durability == Durability::kFlush) s = db->FlushWAL(/*sync=*/false);
      if (!s.ok()) note_fault(s, "writing turns");
    }
    rocksdb::Status synced = s;
    if (s.ok() && want_sync) synced = sync_wal(*db);
    auto end = Clock::now();
    if (!accepted.empty()) {
      stats.write_seconds.observe(seconds_between(start, end));
      stats.batch_turns.observe(static_cast<double>(accepted.size()));
    }
    Status outcome = s.ok() ? Status::ok() : fault_status();
    if (s.ok()) {
      stats.appends.fetch_add(accepted.size(), std::memory_order_relaxed);
      stats.bytes_written.fetch_add(bytes, std::memory_order_relaxed);
    } else {
      stats.write_errors.fetch_add(accepted.size(), std::memory_order_relaxed);
    }
    for (size_t i : accepted) results[i] = outcome;
    Status sync_outcome = synced.ok()                       ? Status::ok()
                          : fault.load() != Fault::kNone ? fault_status()
                                                         : from_rocksdb(synced, "syncing the log");
    for (size_t i = 0; i < group.size(); ++i)
      if (group[i].sync_only) results[i] = sync_outcome;
  }

  // The listener (the event relay's wake-up) before the callbacks, as the Redis store does: once
  // a writer has its answer, no call of the listener for its write is still running, so whoever
  // stops appending may then destroy what the listener points to (TSan found the relay freed
  // under a late wake-up).
  //
  // The database use ends first: callbacks take their callers' locks, and a caller holding one
  // while it reads the store would otherwise wait in the opposite order (TSan: lock-order
  // inversion; a reopen waiting for db_mu would turn it into a deadlock).
  use.lock.unlock();
  if (!accepted.empty() && commit_listener) commit_listener();
  auto now = Clock::now();
  for (size_t i = 0; i < group.size(); ++i) {
    if (!group[i].sync_only) stats.commit_seconds.observe(seconds_between(group[i].queued, now));
    group[i].done(std::move(results[i]));
  }
}

}  // namespace parley::store
