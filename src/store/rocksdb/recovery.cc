// Storage faults of the RocksDB store: recording one, what clients are told, and getting back to
// writing. RocksDB 7.8 (Debian bookworm) cannot be trusted to resume by itself after a failed
// WAL write: DB::Resume() keeps the failed WritableFileWriter, so the next write fails again
// (facebook/rocksdb#11643) or, in Debian's build, which keeps assertions, aborts the process
// ("Assertion 'sync_without_flush_called_' failed"). So on a hard error the committer closes the
// database and opens it again once the disk has room: the reopen replays the synced WAL (a torn
// last record is dropped, it was never acknowledged) and starts a fresh one.
//
// RocksDB's own log goes to the server's log, not to a LOG file in the store's folder: once a
// write of that file had failed for want of space, RocksDB's next log line aborted the process
// on the same assertion.

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "core/log.h"
#include "store/rocksdb/store_impl.h"

namespace parley::store {

namespace {

using Clock = std::chrono::steady_clock;

Fault fault_of(const rocksdb::Status& s) { return s.IsNoSpace() ? Fault::kNoSpace : Fault::kStorage; }

const char* what(rocksdb::BackgroundErrorReason reason) {
  switch (reason) {
    case rocksdb::BackgroundErrorReason::kFlush:
    case rocksdb::BackgroundErrorReason::kFlushNoWAL: return "a flush";
    case rocksdb::BackgroundErrorReason::kCompaction: return "a compaction";
    case rocksdb::BackgroundErrorReason::kWriteCallback: return "a write";
    case rocksdb::BackgroundErrorReason::kMemTable: return "a memtable switch";
    default: return "a manifest write";
  }
}

class FaultListener final : public rocksdb::EventListener {
 public:
  explicit FaultListener(RocksDbStore::Impl& impl) : impl_(impl) {}

  // Flushes and memtable switches fail here, not in a write call of ours. Soft errors (a
  // compaction without room) leave writes working; RocksDB retries those itself.
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error && error->severity() >= rocksdb::Status::Severity::kHardError) impl_.note_fault(*error, what(reason));
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error, bool* auto_recovery) override {
    if (error.severity() >= rocksdb::Status::Severity::kHardError) *auto_recovery = false;
  }

 private:
  RocksDbStore::Impl& impl_;
};

class ServerLogger final : public rocksdb::Logger {
 public:
  ServerLogger() : Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    log(level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? spdlog::level::err : spdlog::level::warn, "rocksdb",
        {{"line", line}});
  }
};

// Bytes of WAL files in `dir`: what a reopen replays and flushes into a table first.
uint64_t wal_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code fec;
    if (entry.path().extension() == ".log" && entry.is_regular_file(fec)) total += entry.file_size(fec);
  }
  return total;
}

}  // namespace

std::shared_ptr<rocksdb::EventListener> make_fault_listener(RocksDbStore::Impl& impl) {
  return std::make_shared<FaultListener>(impl);
}

std::shared_ptr<rocksdb::Logger> make_server_logger() { return std::make_shared<ServerLogger>(); }

Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  if (s.IsCorruption())
    return Status(Code::kCorruption, "the store found damaged data " + std::string(what)).with_detail(s.ToString());
  return Status::unavailable("the store failed " + std::string(what)).with_detail(s.ToString());
}

void RocksDbStore::Impl::note_fault(const rocksdb::Status& s, std::string_view what) {
  Fault kind = fault_of(s);
  Fault none = Fault::kNone;
  if (fault.compare_exchange_strong(none, kind))
    log(spdlog::level::err, "store: a write failed; writes are refused until the store recovers",
        {{"operation", what}, {"error", s.ToString()}});
  std::lock_guard<std::mutex> lock(mu);
  cv.notify_all();
}

Status RocksDbStore::Impl::fault_status() const {
  if (fault.load() == Fault::kNoSpace)
    return Status::unavailable("the store is out of disk space; writes resume by themselves once space is freed");
  return Status::unavailable("the store cannot write because of a storage fault (the server log has the details); "
                             "it retries by itself");
}

void RocksDbStore::Impl::maybe_recover() {
  if (fault.load() == Fault::kNone || Clock::now() < next_recovery) return;
  next_recovery = Clock::now() + options.recovery_interval;
  std::error_code ec;
  auto space = std::filesystem::space(dir, ec);
  if (ec || space.available < wal_bytes(dir) + options.recovery_headroom_bytes) return;
  reopen();
}

bool RocksDbStore::Impl::reopen() {
  std::unique_lock<std::shared_mutex> lock(db_mu);
  if (db) {
    rocksdb::Status closed = db->Close();
    if (!closed.ok()) log(spdlog::level::warn, "store: closing after a fault", {{"error", closed.ToString()}});
    db.reset();
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, &raw);
  if (s.ok()) {
    db.reset(raw);
    // A write reported as failed may have reached the log after all: number past it.
    if (auto next = find_next_outbox_seq(*db); next.ok() && *next > next_outbox_seq.load())
      next_outbox_seq.store(*next);
    fault.store(Fault::kNone);
    log(spdlog::level::warn, "store: recovered from the storage fault; writes are accepted again");
    return true;
  }
  fault.store(fault_of(s));
  log(spdlog::level::warn, "store: cannot reopen yet, retrying", {{"error", s.ToString()}});
  // Reads go on meanwhile from a read-only view (it writes nothing).
  if (rocksdb::DB::OpenForReadOnly(db_options, dir, &raw).ok()) db.reset(raw);
  return false;
}

Status RocksDbStore::Impl::write(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch& batch, std::string_view what) {
  if (fault.load() != Fault::kNone) return fault_status();
  DbUse use(*this);
  if (!use.db || fault.load() != Fault::kNone) return fault_status();
  std::shared_lock<std::shared_mutex> wal(wal_mu);
  std::unique_lock<std::mutex> one_writer(write_mu);
  rocksdb::Status s = use.db->Write(wo, &batch);
  one_writer.unlock();
  if (s.ok()) return Status::ok();
  note_fault(s, what);
  return fault_status();
}

}  // namespace parley::store
