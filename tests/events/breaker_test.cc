#include "events/breaker.h"

#include <gtest/gtest.h>

namespace parley::events {
namespace {

using namespace std::chrono_literals;

TEST(Breaker, opens_at_the_failure_ratio_probes_after_open_ms_and_closes_on_success) {
  Breaker b({.failure_ratio = 0.5, .window = 4, .open_ms = 1000});
  auto t = Breaker::Clock::time_point{} + 1h;
  for (bool ok : {true, false, true}) {
    ASSERT_TRUE(b.allow(t));
    b.record(ok, t);
  }
  EXPECT_EQ(b.state(), Breaker::State::kClosed);  // 1 of 3: window not full yet
  ASSERT_TRUE(b.allow(t));
  b.record(false, t);  // 2 of 4 failed
  EXPECT_EQ(b.state(), Breaker::State::kOpen);
  EXPECT_EQ(b.times_opened(), 1u);
  EXPECT_FALSE(b.allow(t + 999ms));
  EXPECT_TRUE(b.allow(t + 1000ms));  // the probe
  EXPECT_EQ(b.state(), Breaker::State::kHalfOpen);
  EXPECT_FALSE(b.allow(t + 1001ms));  // one probe at a time
  b.record(false, t + 1100ms);        // probe failed: open again
  EXPECT_EQ(b.state(), Breaker::State::kOpen);
  EXPECT_FALSE(b.allow(t + 2000ms));
  EXPECT_TRUE(b.allow(t + 2100ms));
  b.record(true, t + 2100ms);
  EXPECT_EQ(b.state(), Breaker::State::kClosed);
  EXPECT_EQ(b.times_opened(), 2u);
}

TEST(Breaker, successes_keep_it_closed_and_old_failures_slide_out) {
  Breaker b({.failure_ratio = 0.5, .window = 4, .open_ms = 1000});
  auto t = Breaker::Clock::time_point{} + 1h;
  for (bool ok : {false, true, true, true, false, true, true, true, false, true}) {
    ASSERT_TRUE(b.allow(t));
    b.record(ok, t);
  }
  EXPECT_EQ(b.state(), Breaker::State::kClosed);
}

TEST(Backoff, doubles_caps_and_jitters_within_half_to_full) {
  RetryConfig r{.max_attempts = 10, .base_ms = 100, .max_ms = 1000};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    auto d1 = backoff_delay(r, 1, rng).count();
    EXPECT_GE(d1, 50);
    EXPECT_LE(d1, 100);
    auto d3 = backoff_delay(r, 3, rng).count();
    EXPECT_GE(d3, 200);
    EXPECT_LE(d3, 400);
    auto d9 = backoff_delay(r, 9, rng).count();
    EXPECT_GE(d9, 500);
    EXPECT_LE(d9, 1000);
  }
}

}  // namespace
}  // namespace parley::events
