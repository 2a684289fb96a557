// Token buckets, refilled lazily on each acquire.
#include "ops/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace parley::ops {

namespace {
constexpr size_t kShards = 16;
}

RateLimiter::RateLimiter(RateLimitOptions options)
    : rate_(options.rate_per_s),
      burst_(options.burst > 0 ? options.burst : std::max(1.0, options.rate_per_s)),
      max_per_shard_(std::max<size_t>(1, options.max_keys / kShards)),
      shards_(kShards) {}

std::chrono::milliseconds RateLimiter::acquire(std::string_view key, Clock::time_point now) {
  if (!enabled()) return std::chrono::milliseconds(0);
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) evict(shard, now);
    it = shard.buckets.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s * 1000))));
}

void RateLimiter::evict(Shard& shard, Clock::time_point now) {
  // A bucket that has refilled to the brim is the same as no bucket.
  double refill_s = burst_ / rate_;
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    double idle = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + idle * rate_ >= burst_ || idle >= refill_s)
      it = shard.buckets.erase(it);
    else
      ++it;
  }
  // Still full: under a flood of distinct keys, forget half (those clients get a fresh bucket).
  if (shard.buckets.size() >= max_per_shard_) {
    size_t drop = shard.buckets.size() / 2;
    for (auto it = shard.buckets.begin(); it != shard.buckets.end() && drop > 0; --drop) it = shard.buckets.erase(it);
  }
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace parley::ops
