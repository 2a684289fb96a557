// Numbers a store keeps about its writes (latency, group-commit batch sizes), read by ops/ for
// /metrics, and the lock-free fixed-bucket histogram used for them and by runtime/.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace parley::store {

// A histogram with fixed upper bounds (seconds, counts...). observe() is lock-free and may be
// called from any thread; readers see counters that only grow (Prometheus semantics).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations that fell in bucket i, not cumulative: (bounds[i-1], bounds[i]];
  // i == bounds().size() is the +Inf bucket.
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  // Observations <= bounds()[i], cumulative as Prometheus renders `le` buckets.
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  double max() const { return max_.load(std::memory_order_relaxed); }
  // The smallest bound below which at least fraction q (0..1) of observations fall; +Inf
  // buckets report max(). 0 when empty. Coarse, for logs and benchmarks.
  double quantile(double q) const;

  // 50 us .. 10 s, for turn and write latencies (seconds).
  static std::vector<double> latency_bounds();
  // 1, 2, 4, ... 1024, for batch sizes.
  static std::vector<double> count_bounds();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
  std::atomic<double> max_{0};
};

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
