// Token-bucket rate limits keyed by a string (a conversation, a bot). Each key has a bucket of
// `burst` tokens refilled at `rate_per_s`; a request takes one token or is refused with the time
// until the next token. Thread-safe (sharded locks). Memory is bounded: past `max_keys`, buckets
// that have refilled completely (equivalent to new ones) are dropped first.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::ops {

struct RateLimitOptions {
  double rate_per_s = 0;        // 0 = no limit: acquire() always allows
  double burst = 0;             // bucket size; 0 = max(1, rate_per_s)
  size_t max_keys = 1u << 20;   // buckets kept in memory
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimitOptions options);

  bool enabled() const { return rate_ > 0; }
  // Takes a token for `key`. Returns zero when allowed, else how long until a token is there
  // (at least 1 ms); nothing is taken when refused.
  std::chrono::milliseconds acquire(std::string_view key, Clock::time_point now = Clock::now());
  // Buckets held, for tests and metrics.
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  void evict(Shard& shard, Clock::time_point now);

  double rate_;
  double burst_;
  size_t max_per_shard_;
  std::vector<Shard> shards_;
};

}  // namespace parley::ops
