// Opening the RocksDB store, its reads (consistent through RocksDB snapshots) and its shutdown.
// Turn writes are in group_commit.cc, storage faults in recovery.cc.
#include "store/rocksdb/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "store/rocksdb/keys.h"
#include "store/rocksdb/store_impl.h"

namespace parley::store {

namespace {

rocksdb::CompressionType pick_compression() {
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression})
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  return rocksdb::kNoCompression;
}

rocksdb::Options make_options(const RocksDbStoreOptions& o, RocksDbStore::Impl& impl) {
  rocksdb::Options options;
  options.listeners.push_back(make_fault_listener(impl));
  options.max_bgerror_resume_count = 0;  // no resume of RocksDB's own either: see recovery.cc
  options.create_if_missing = o.create_if_missing;
  if (o.env) options.env = o.env;
  options.max_background_jobs = o.max_background_jobs;
  options.write_buffer_size = o.write_buffer_bytes;
  options.max_write_buffer_number = o.max_write_buffers;
  // fsync syncs each group's write; flush and none buffer the WAL in the process and the
  // committer pushes it to the OS per group (flush) or when the buffer fills (none).
  options.manual_wal_flush = o.durability != Durability::kFsync;
  // Turns are appended and rarely read back: compact later (8 files in level 0, a 512 MiB level
  // 1) and compress only the levels data settles in, so young data is not compressed twice.
  const rocksdb::CompressionType compression = pick_compression();
  options.compression = compression;
  options.level0_file_num_compaction_trigger = 8;
  options.max_bytes_for_level_base = 512u << 20;
  options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression, rocksdb::kNoCompression,
                                   compression, compression, compression, compression};
  options.info_log = make_server_logger();
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  // Meta, snapshot and dedup reads are point lookups, mostly of keys that exist or are new.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.format_version = 5;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

// The last outbox block's first number plus its record count.
Result<uint64_t> find_next_outbox_seq(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  std::string last(rocks::kOutboxPrefix);
  last.append(8, '\xff');
  it->SeekForPrev(last);
  if (!it->status().ok()) return from_rocksdb(it->status(), "reading the outbox");
  if (!it->Valid()) return uint64_t{0};
  rocksdb::Slice k = it->key();
  if (!k.starts_with(rocksdb::Slice(rocks::kOutboxPrefix.data(), rocks::kOutboxPrefix.size())) ||
      k.size() != rocks::kOutboxPrefix.size() + 8)
    return uint64_t{0};
  std::vector<std::string_view> block;
  if (!rocks::decode_event_block(std::string_view(it->value().data(), it->value().size()), block))
    return Status(Code::kCorruption, "the last outbox block cannot be decoded");
  return rocks::get_be64(std::string_view(k.data() + rocks::kOutboxPrefix.size(), 8)) + block.size();
}

namespace {

// Releases a RocksDB snapshot at the end of a read.
struct SnapshotGuard {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snapshot;
  ~SnapshotGuard() { db->ReleaseSnapshot(snapshot); }
};

// Visits the numbered items [from, end) stored in blocks under `prefix` (key = prefix + the
// first item's number, 8 bytes big-endian; value = an event block): the block holding `from` is
// the last key at or before prefix + from. `visit(number, text)` returns false to stop early.
// `gapless`: a missing number is kCorruption (a conversation's events); otherwise gaps are
// skipped (the outbox, after a failed write).
template <typename Visit>
Status read_blocks(rocksdb::DB& db, rocksdb::ReadOptions ro, const std::string& prefix, uint64_t from,
                   uint64_t end, bool gapless, const char* what, Visit&& visit) {
  if (from >= end) return Status::ok();
  std::string upper = prefix;
  rocks::put_be64(upper, end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro));
  std::string start = prefix;
  rocks::put_be64(start, from);
  auto ours = [&](const rocksdb::Slice& k) { return k.size() == prefix.size() + 8 && k.starts_with(prefix); };
  it->SeekForPrev(start);
  if (!it->Valid() || !ours(it->key())) it->Seek(start);
  uint64_t expected = from;
  std::vector<std::string_view> block;
  for (; it->Valid() && expected < end; it->Next()) {
    rocksdb::Slice k = it->key();
    if (!ours(k)) break;
    uint64_t n = rocks::get_be64(std::string_view(k.data() + prefix.size(), 8));
    block.clear();
    if (!rocks::decode_event_block(std::string_view(it->value().data(), it->value().size()), block))
      return Status(Code::kCorruption, std::string(what) + " block " + std::to_string(n) + " cannot be decoded");
    if (gapless && n > expected)
      return Status(Code::kCorruption, std::string(what) + " " + std::to_string(expected) + " is missing");
    for (size_t j = 0; j < block.size() && n < end; ++j, ++n) {
      if (n < expected) continue;
      if (!visit(n, block[j])) return Status::ok();
      expected = n + 1;
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), std::string("reading ") + what);
  return Status::ok();
}

// Reads events [from, end) with `ro`; kCorruption when one is missing.
Status read_range(rocksdb::DB& db, rocksdb::ReadOptions ro, const ConversationKey& key,
                  uint64_t from, uint64_t end, std::vector<std::string>& out) {
  return read_blocks(db, ro, rocks::event_prefix(key), from, end, /*gapless=*/true, "event",
                     [&](uint64_t, std::string_view text) {
                       out.emplace_back(text);
                       return true;
                     });
}

}  // namespace

Result<std::shared_ptr<RocksDbStore>> RocksDbStore::open(const std::string& dir, RocksDbStoreOptions options) {
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::io_error("cannot create store folder '" + dir + "': " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->dir = dir;
  impl->db_options = make_options(options, *impl);
  impl->write_options.sync = options.durability == Durability::kFsync;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(impl->db_options, dir, &db);
  // For the operator at start: the path and RocksDB's words are what they need.
  if (!s.ok()) {
    std::string message = "opening the store in '" + dir + "': " + s.ToString();
    return s.IsCorruption() ? Status(Code::kCorruption, message) : Status::io_error(message);
  }
  impl->db.reset(db);
  auto next = find_next_outbox_seq(*db);
  if (!next.ok()) return next.status();
  impl->next_outbox_seq.store(next.value());
  Impl* raw = impl.get();
  impl->committer = std::thread([raw] { raw->run_committer(); });
  return std::shared_ptr<RocksDbStore>(new RocksDbStore(std::move(impl)));
}

Result<std::shared_ptr<ConversationStore>> open_rocksdb_store(const std::string& dir, RocksDbStoreOptions options) {
  auto store = RocksDbStore::open(dir, options);
  if (!store.ok()) return store.status();
  return std::shared_ptr<ConversationStore>(std::move(store).value());
}

RocksDbStore::RocksDbStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RocksDbStore::~RocksDbStore() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->committer.joinable()) impl_->committer.join();
  if (!impl_->db) return;
  if (impl_->options.durability != Durability::kFsync && impl_->fault.load() == Fault::kNone) {
    std::unique_lock<std::shared_mutex> wal(impl_->wal_mu);
    if (impl_->fault.load() == Fault::kNone) impl_->db->FlushWAL(/*sync=*/true).PermitUncheckedError();
  }
  impl_->db->Close().PermitUncheckedError();
}

Result<StoredConversation> RocksDbStore::load(const ConversationKey& key, size_t max_events) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  rocksdb::DB& db = *use.db;
  SnapshotGuard guard{&db, db.GetSnapshot()};
  rocksdb::ReadOptions ro;
  ro.snapshot = guard.snapshot;
  StoredConversation out;
  std::string value;
  rocksdb::Status s = db.Get(ro, rocks::meta_key(key), &value);
  if (s.IsNotFound()) return out;
  if (!s.ok()) return from_rocksdb(s, "reading conversation meta");
  rocks::Meta meta;
  if (!rocks::decode_meta(value, meta)) return Status(Code::kCorruption, "conversation meta record cannot be decoded");
  out.version = meta.version;
  out.turns = meta.turns;
  uint64_t from = 0;
  if (meta.snapshot_version > 0) {
    s = db.Get(ro, rocks::snapshot_key(key), &out.snapshot);
    if (!s.ok()) return from_rocksdb(s, "reading the tracker snapshot");
    out.snapshot_version = meta.snapshot_version;
    from = meta.snapshot_version;
  }
  if (max_events > 0 && meta.version - from > max_events) from = meta.version - max_events;
  out.first_loaded = from;
  out.events.reserve(meta.version - from);
  Status rs = read_range(db, ro, key, from, meta.version, out.events);
  if (!rs.is_ok()) return rs;
  if (out.events.size() != meta.version - from)
    return Status(Code::kCorruption, "conversation has " + std::to_string(meta.version) + " events, " +
                                         std::to_string(from + out.events.size()) + " stored");
  return out;
}

void RocksDbStore::append_if_version_async(const ConversationKey& key, TurnRecord turn, AppendCallback done) {
  Impl::Pending p;
  p.key = key;
  p.turn = std::move(turn);
  p.done = std::move(done);
  impl_->enqueue(std::move(p));
}

Result<std::optional<std::string>> RocksDbStore::find_reply(const ConversationKey& key, const std::string& message_id) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  std::string value;
  rocksdb::Status s = use.db->Get(rocksdb::ReadOptions(), rocks::dedup_key(key, message_id), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocksdb(s, "reading a dedup record");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::string>> RocksDbStore::read_events(const ConversationKey& key, uint64_t from, size_t count) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  uint64_t end = count > UINT64_MAX - from ? UINT64_MAX : from + count;
  std::vector<std::string> out;
  Status s = read_range(*use.db, rocksdb::ReadOptions(), key, from, end, out);
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<ConversationStore::TurnEvent>> RocksDbStore::read_turn_events(const ConversationKey& key,
                                                                                 uint64_t from, size_t count) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  // One block per turn, in order: a block's ordinal is its turn number.
  const std::string prefix = rocks::event_prefix(key);
  std::string upper = prefix;
  upper.append(9, '\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(use.db->NewIterator(ro));
  std::vector<TurnEvent> out;
  uint64_t turn = 0;
  std::vector<std::string_view> block;
  for (it->Seek(prefix); it->Valid() && out.size() < count; it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() != prefix.size() + 8 || !k.starts_with(prefix)) continue;
    ++turn;
    uint64_t n = rocks::get_be64(std::string_view(k.data() + prefix.size(), 8));
    block.clear();
    if (!rocks::decode_event_block(std::string_view(it->value().data(), it->value().size()), block))
      return Status(Code::kCorruption, "event block " + std::to_string(n) + " cannot be decoded");
    for (size_t j = 0; j < block.size() && out.size() < count; ++j, ++n)
      if (n >= from) out.push_back({turn, std::string(block[j])});
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "reading events");
  return out;
}

Status RocksDbStore::check_writable() {
  rocksdb::WriteBatch probe;
  probe.Put(std::string(rocks::kHealthKey), "1");
  return impl_->write(rocksdb::WriteOptions(), probe, "the health probe");
}

Status RocksDbStore::sync() {
  std::promise<Status> promise;
  auto result = promise.get_future();
  Impl::Pending p;
  p.sync_only = true;
  p.done = [&promise](Status s) { promise.set_value(std::move(s)); };
  impl_->enqueue(std::move(p));
  return result.get();
}

const StoreStats* RocksDbStore::stats() const { return &impl_->stats; }

Result<std::vector<OutboxRecord>> RocksDbStore::read_outbox(uint64_t from, size_t max) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  std::vector<OutboxRecord> out;
  if (max == 0) return out;
  Status s = read_blocks(*use.db, rocksdb::ReadOptions(), std::string(rocks::kOutboxPrefix), from, UINT64_MAX,
                         /*gapless=*/false, "outbox", [&](uint64_t seq, std::string_view text) {
                           out.push_back({seq, std::string(text)});
                           return out.size() < max;
                         });
  if (!s.is_ok()) return s;
  return out;
}

Result<uint64_t> RocksDbStore::next_outbox_seq() const { return impl_->next_outbox_seq.load(); }

Result<uint64_t> RocksDbStore::first_outbox_seq() {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  std::string prefix(rocks::kOutboxPrefix);
  std::string upper = prefix;
  upper.append(8, '\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(use.db->NewIterator(ro));
  it->Seek(prefix);
  if (!it->status().ok()) return from_rocksdb(it->status(), "reading the outbox");
  if (!it->Valid() || it->key().size() != prefix.size() + 8) return impl_->next_outbox_seq.load();
  return rocks::get_be64(std::string_view(it->key().data() + prefix.size(), 8));
}

Status RocksDbStore::trim_outbox(uint64_t below) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  // The block holding `below` stays (it may hold records at or above it); every block before
  // it goes in one range deletion.
  std::string prefix(rocks::kOutboxPrefix);
  std::string probe = prefix;
  rocks::put_be64(probe, below);
  std::unique_ptr<rocksdb::Iterator> it(use.db->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(probe);
  if (!it->status().ok()) return from_rocksdb(it->status(), "reading the outbox");
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) return Status::ok();
  std::string end = it->key().ToString();
  std::vector<std::string_view> block;
  if (rocks::decode_event_block(std::string_view(it->value().data(), it->value().size()), block) &&
      rocks::get_be64(std::string_view(end.data() + prefix.size(), 8)) + block.size() <= below) {
    end = prefix;
    rocks::put_be64(end, below);  // the block is wholly below too
  }
  std::string begin = prefix;
  rocks::put_be64(begin, 0);
  if (begin >= end) return Status::ok();
  it.reset();
  use.lock.unlock();  // write() takes its own use of the database
  rocksdb::WriteBatch batch;
  batch.DeleteRange(begin, end);
  return impl_->write(rocksdb::WriteOptions(), batch, "trimming the outbox");
}

void RocksDbStore::set_commit_listener(std::function<void()> listener) {
  impl_->commit_listener = std::move(listener);
}

Result<std::optional<uint64_t>> RocksDbStore::load_cursor(const std::string& sink) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  std::string value;
  rocksdb::Status s = use.db->Get(rocksdb::ReadOptions(), rocks::cursor_key(sink), &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return from_rocksdb(s, "reading a sink cursor");
  if (value.size() != 8) return Status(Code::kCorruption, "the cursor of sink '" + sink + "' cannot be decoded");
  return std::optional<uint64_t>(rocks::get_be64(value));
}

Status RocksDbStore::save_cursor(const std::string& sink, uint64_t cursor) {
  // Not synced: a cursor lost in a crash only delivers some events again (at least once).
  std::string value;
  rocks::put_be64(value, cursor);
  rocksdb::WriteBatch batch;
  batch.Put(rocks::cursor_key(sink), value);
  return impl_->write(rocksdb::WriteOptions(), batch, "saving a sink cursor");
}

Status RocksDbStore::put_dead_letters(const std::string& sink, const std::vector<OutboxRecord>& records) {
  if (records.empty()) return Status::ok();
  rocksdb::WriteBatch batch;
  const std::string prefix = rocks::dead_letter_prefix(sink);
  for (const auto& r : records) {
    std::string key = prefix;
    rocks::put_be64(key, r.seq);
    batch.Put(key, r.record);
  }
  rocksdb::WriteOptions wo;
  wo.sync = impl_->options.durability == Durability::kFsync;  // the records may be trimmed next
  return impl_->write(wo, batch, "writing dead letters");
}

Result<std::vector<OutboxRecord>> RocksDbStore::read_dead_letters(const std::string& sink, uint64_t from, size_t max) {
  DbUse use(*impl_);
  if (!use.db) return impl_->fault_status();
  const std::string prefix = rocks::dead_letter_prefix(sink);
  std::string upper = prefix;
  upper.append(8, '\xff');
  upper.push_back('\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(use.db->NewIterator(ro));
  std::string start = prefix;
  rocks::put_be64(start, from);
  std::vector<OutboxRecord> out;
  for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() != prefix.size() + 8 || !k.starts_with(prefix)) continue;
    out.push_back({rocks::get_be64(std::string_view(k.data() + prefix.size(), 8)), it->value().ToString()});
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "reading dead letters");
  return out;
}

Status RocksDbStore::delete_dead_letters(const std::string& sink, const std::vector<uint64_t>& positions) {
  if (positions.empty()) return Status::ok();
  rocksdb::WriteBatch batch;
  const std::string prefix = rocks::dead_letter_prefix(sink);
  for (uint64_t p : positions) {
    std::string key = prefix;
    rocks::put_be64(key, p);
    batch.Delete(key);
  }
  return impl_->write(rocksdb::WriteOptions(), batch, "deleting dead letters");
}

}  // namespace parley::store
