#include "ops/rate_limiter.h"

#include <gtest/gtest.h>

namespace parley::ops {
namespace {

using std::chrono::milliseconds;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, without_a_rate_it_allows_everything_and_keeps_no_bucket) {
  RateLimiter limiter({});
  EXPECT_FALSE(limiter.enabled());
  auto now = Clock::now();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.acquire("k", now), milliseconds(0));
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, a_full_bucket_allows_its_burst_then_refuses_with_the_wait_for_one_token) {
  RateLimiter limiter({.rate_per_s = 2, .burst = 3});
  auto now = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.acquire("k", now), milliseconds(0)) << i;
  EXPECT_EQ(limiter.acquire("k", now), milliseconds(500)) << "one token at 2/s is 500 ms away";
  EXPECT_EQ(limiter.acquire("k", now), milliseconds(500)) << "a refusal takes nothing";
}

TEST(RateLimiter, tokens_come_back_at_the_rate_and_never_above_the_burst) {
  RateLimiter limiter({.rate_per_s = 10, .burst = 2});
  auto t0 = Clock::now();
  EXPECT_EQ(limiter.acquire("k", t0), milliseconds(0));
  EXPECT_EQ(limiter.acquire("k", t0), milliseconds(0));
  EXPECT_GT(limiter.acquire("k", t0), milliseconds(0));
  EXPECT_EQ(limiter.acquire("k", t0 + milliseconds(100)), milliseconds(0)) << "one token after 100 ms at 10/s";
  EXPECT_GT(limiter.acquire("k", t0 + milliseconds(100)), milliseconds(0));
  auto later = t0 + std::chrono::hours(1);
  EXPECT_EQ(limiter.acquire("k", later), milliseconds(0));
  EXPECT_EQ(limiter.acquire("k", later), milliseconds(0));
  EXPECT_GT(limiter.acquire("k", later), milliseconds(0)) << "an hour idle still refills only the burst";
}

TEST(RateLimiter, keys_have_buckets_of_their_own) {
  RateLimiter limiter({.rate_per_s = 1, .burst = 1});
  auto now = Clock::now();
  EXPECT_EQ(limiter.acquire("a", now), milliseconds(0));
  EXPECT_GT(limiter.acquire("a", now), milliseconds(0));
  EXPECT_EQ(limiter.acquire("b", now), milliseconds(0)) << "a's empty bucket does not limit b";
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(RateLimiter, the_burst_defaults_to_the_rate_and_at_least_one) {
  auto now = Clock::now();
  RateLimiter five({.rate_per_s = 5});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(five.acquire("k", now), milliseconds(0)) << i;
  EXPECT_GT(five.acquire("k", now), milliseconds(0));
  RateLimiter slow({.rate_per_s = 0.1});
  EXPECT_EQ(slow.acquire("k", now), milliseconds(0));
  EXPECT_EQ(slow.acquire("k", now), milliseconds(10000)) << "one token at 0.1/s is 10 s away";
}

TEST(RateLimiter, the_wait_is_rounded_up_to_a_whole_millisecond_and_is_never_zero) {
  RateLimiter limiter({.rate_per_s = 3, .burst = 1});
  auto now = Clock::now();
  EXPECT_EQ(limiter.acquire("k", now), milliseconds(0));
  EXPECT_EQ(limiter.acquire("k", now), milliseconds(334)) << "1/3 s rounds up";
  RateLimiter fast({.rate_per_s = 1e6, .burst = 1});
  EXPECT_EQ(fast.acquire("k", now), milliseconds(0));
  EXPECT_EQ(fast.acquire("k", now), milliseconds(1)) << "under a millisecond still says 1 ms";
}

TEST(RateLimiter, memory_stays_bounded_under_a_flood_of_distinct_keys) {
  RateLimiter limiter({.rate_per_s = 1, .burst = 1, .max_keys = 160});
  auto now = Clock::now();
  for (int i = 0; i < 10000; ++i) limiter.acquire("key" + std::to_string(i), now);
  EXPECT_LE(limiter.size(), 160u);
  EXPECT_GT(limiter.size(), 0u);
}

}  // namespace
}  // namespace parley::ops
