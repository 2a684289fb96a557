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

using Pending = RocksDbStore::Impl::Pending;

// Completes every entry of a group that finds the store faulted, without touching RocksDB.
void fail_group(std::vector<Pending>& group, const Status& why, StoreStats& stats) {
  for (auto& p : group) {
    if (!p.sync_only) stats.write_errors.fetch_add(1, std::memory_order_relaxed);
    p.done(why);
  }
}

// One group's write: the batch of every accepted turn and each entry's result so far.
struct GroupBatch {
  rocksdb::WriteBatch batch;
  std::vector<Status> results;  // one per entry; accepted ones get the write's outcome
  std::vector<size_t> accepted;  // entries whose turn is in the batch
  bool want_sync = false;        // a sync-only entry asks for the log to reach the disk
  uint64_t bytes = 0;            // payload bytes of the accepted turns
};

// Checks each turn's expected version against its conversation's meta (read once per
// conversation, then carried across the group's turns) and puts the accepted turns' records
// (events, dedup reply, snapshot, outbox, meta) into one batch.
GroupBatch build_batch(RocksDbStore::Impl& impl, rocksdb::DB& db, std::vector<Pending>& group) {
  struct MetaState {
    rocks::Meta meta;
    bool dirty = false;
  };
  GroupBatch out;
  out.results.resize(group.size());
  std::unordered_map<std::string, MetaState> metas;
  const rocksdb::ReadOptions read_options;
  StoreStats& stats = impl.stats;
  for (size_t i = 0; i < group.size(); ++i) {
    Pending& p = group[i];
    if (p.sync_only) {
      out.want_sync = true;
      continue;
    }
    std::string mk = rocks::meta_key(p.key);
    auto it = metas.find(mk);
    if (it == metas.end()) {
      MetaState st;
      std::string value;
      rocksdb::Status s = db.Get(read_options, mk, &value);
      if (!s.ok() && !s.IsNotFound()) {
        out.results[i] = from_rocksdb(s, "reading conversation meta");
        stats.write_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (s.ok() && !rocks::decode_meta(value, st.meta)) {
        out.results[i] = Status(Code::kCorruption, "conversation meta record cannot be decoded");
        stats.write_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      it = metas.emplace(std::move(mk), st).first;
    }
    MetaState& cur = it->second;
    const TurnRecord& t = p.turn;
    if (cur.meta.version != t.expected_version) {
      out.results[i] = Status::conflict("expected version " + std::to_string(t.expected_version) +
                                        ", the conversation has " + std::to_string(cur.meta.version));
      stats.conflicts.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!t.events.empty())
      out.batch.Put(rocks::event_key(p.key, cur.meta.version), rocks::encode_event_block(t.events));
    cur.meta.version += t.events.size();
    cur.meta.turns += 1;
    if (!t.message_id.empty()) out.batch.Put(rocks::dedup_key(p.key, t.message_id), t.reply);
    if (!t.snapshot.empty()) {
      out.batch.Put(rocks::snapshot_key(p.key), t.snapshot);
      cur.meta.snapshot_version = cur.meta.version;
    }
    if (!t.outbox.empty())  // one value per turn; its records are numbered from the key on
      out.batch.Put(rocks::outbox_key(impl.next_outbox_seq.fetch_add(t.outbox.size(), std::memory_order_relaxed)),
                    rocks::encode_event_block(t.outbox));
    cur.dirty = true;
    out.bytes += p.bytes;
    out.accepted.push_back(i);
  }
  for (const auto& [mk, st] : metas)
    if (st.dirty) out.batch.Put(mk, rocks::encode_meta(st.meta));
  return out;
}

// Writes the batch (and syncs the log when asked) and sets the results of the accepted turns
// and of the sync-only entries.
void write_batch(RocksDbStore::Impl& impl, rocksdb::DB& db, std::vector<Pending>& group, GroupBatch& g) {
  if (g.accepted.empty() && !g.want_sync) return;
  StoreStats& stats = impl.stats;
  auto start = Clock::now();
  rocksdb::Status s;
  if (!g.accepted.empty()) {
    std::shared_lock<std::shared_mutex> wal(impl.wal_mu);
    std::lock_guard<std::mutex> one_writer(impl.write_mu);
    s = db.Write(impl.write_options, &g.batch);
    if (s.ok() && impl.options.durability == Durability::kFlush) s = db.FlushWAL(/*sync=*/false);
    if (!s.ok()) impl.note_fault(s, "writing turns");
  }
  rocksdb::Status synced = s;
  if (s.ok() && g.want_sync) synced = impl.sync_wal(db);
  auto end = Clock::now();
  if (!g.accepted.empty()) {
    stats.write_seconds.observe(seconds_between(start, end));
    stats.batch_turns.observe(static_cast<double>(g.accepted.size()));
  }
  Status outcome = s.ok() ? Status::ok() : impl.fault_status();
  if (s.ok()) {
    stats.appends.fetch_add(g.accepted.size(), std::memory_order_relaxed);
    stats.bytes_written.fetch_add(g.bytes, std::memory_order_relaxed);
  } else {
    stats.write_errors.fetch_add(g.accepted.size(), std::memory_order_relaxed);
  }
  for (size_t i : g.accepted) g.results[i] = outcome;
  Status sync_outcome = synced.ok()                            ? Status::ok()
                        : impl.fault.load() != Fault::kNone ? impl.fault_status()
                                                            : from_rocksdb(synced, "syncing the log");
  for (size_t i = 0; i < group.size(); ++i)
    if (group[i].sync_only) g.results[i] = sync_outcome;
}

}  // namespace

void RocksDbStore::Impl::commit_group(std::vector<Pending>& group) {
  DbUse use(*this);
  if (!use.db || fault.load() != Fault::kNone) return fail_group(group, fault_status(), stats);
  GroupBatch g = build_batch(*this, *use.db, group);
  write_batch(*this, *use.db, group, g);

  // The listener (the event relay's wake-up) before the callbacks, as the Redis store does: once
  // a writer has its answer, no call of the listener for its write is still running, so whoever
  // stops appending may then destroy what the listener points to (TSan found the relay freed
  // under a late wake-up).
  //
  // The database use ends first: callbacks take their callers' locks, and a caller holding one
  // while it reads the store would otherwise wait in the opposite order (TSan: lock-order
  // inversion; a reopen waiting for db_mu would turn it into a deadlock).
  use.lock.unlock();
  if (!g.accepted.empty() && commit_listener) commit_listener();
  auto now = Clock::now();
  for (size_t i = 0; i < group.size(); ++i) {
    if (!group[i].sync_only) stats.commit_seconds.observe(seconds_between(group[i].queued, now));
    group[i].done(std::move(g.results[i]));
  }
}

}  // namespace parley::store
