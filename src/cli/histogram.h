// A latency histogram with bounded relative error (about 1%), fixed memory and cheap recording:
// log-linear buckets as in HdrHistogram. Values are microseconds. Not thread-safe; merge per-thread
// histograms instead.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace parley::cli {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                // 128 sub-buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub + (64 - kSubBits + 1) * (kSub / 2);

  void record(uint64_t us) {
    ++counts_[index(us)];
    ++total_;
    max_ = std::max(max_, us);
    min_ = std::min(min_, us);
    sum_ += us;
  }
  void merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
    sum_ += o.sum_;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0; }
  // The value at quantile q in [0, 1] (upper edge of its bucket, capped by the maximum seen).
  uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1, seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  // Values below kSub have their own bucket; above, each power of two has kSub/2 buckets.
  static int index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - (kSubBits - 1);
    return kSub + (shift - 1) * (kSub / 2) + static_cast<int>((v >> shift) - kSub / 2);
  }
  static uint64_t upper(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    int shift = 1 + (i - kSub) / (kSub / 2);
    uint64_t base = static_cast<uint64_t>(kSub / 2 + (i - kSub) % (kSub / 2));
    return ((base + 1) << shift) - 1;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0, max_ = 0, min_ = UINT64_MAX, sum_ = 0;
};

}  // namespace parley::cli
