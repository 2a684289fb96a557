// Numbers a store keeps about its writes (latency, group-commit batch sizes), read by ops/ for
// /metrics.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/histogram.h"

namespace parley::store {

// What a ConversationStore records about its writes.
struct StoreStats {
  Histogram write_seconds{Histogram::latency_bounds()};   // one group write incl. its fsync
  Histogram commit_seconds{Histogram::latency_bounds()};  // a turn's append: queued + written
  Histogram batch_turns{Histogram::count_bounds()};       // turns sharing one write (group commit)
  std::atomic<uint64_t> appends{0};        // turn records written
  std::atomic<uint64_t> conflicts{0};      // appends refused by the version check
  std::atomic<uint64_t> write_errors{0};   // appends failed by the storage
  std::atomic<uint64_t> bytes_written{0};  // payload bytes of written records
  std::atomic<int64_t> queued{0};          // appends waiting for the committer (gauge)
};

}  // namespace parley::store
