// The lock-free fixed-bucket histogram of every latency and size Parley reports (/metrics, the
// engine's, the store's and the sinks' numbers). cli/histogram.h is another one, for benchmarks:
// exact percentiles over a fine log scale, merged across client threads, never rendered.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace parley {

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

}  // namespace parley
