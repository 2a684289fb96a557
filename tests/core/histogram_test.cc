// The fixed-bucket histogram behind /metrics: bucket edges, cumulative counts, the +Inf bucket,
// quantiles, and observations from several threads at once.
#include "core/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace parley {
namespace {

TEST(Histogram, a_value_on_a_bound_falls_in_that_bucket) {
  Histogram h({1, 2, 4});
  h.observe(1);
  h.observe(2);
  h.observe(4);
  EXPECT_EQ(h.bucket(0), 1u);
  EXPECT_EQ(h.bucket(1), 1u);
  EXPECT_EQ(h.bucket(2), 1u);
  EXPECT_EQ(h.bucket(3), 0u);
}

TEST(Histogram, a_value_above_every_bound_goes_to_the_inf_bucket) {
  Histogram h({1, 2});
  h.observe(2.5);
  h.observe(1000);
  EXPECT_EQ(h.bucket(2), 2u);
  EXPECT_EQ(h.cumulative(1), 0u);
  EXPECT_EQ(h.cumulative(2), 2u);
  EXPECT_DOUBLE_EQ(h.max(), 1000);
}

TEST(Histogram, cumulative_counts_every_observation_up_to_the_bound) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) h.observe(v);
  EXPECT_EQ(h.cumulative(0), 2u);
  EXPECT_EQ(h.cumulative(1), 3u);
  EXPECT_EQ(h.cumulative(2), 4u);
  EXPECT_EQ(h.cumulative(3), 5u);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.05 + 0.1 + 0.5 + 5.0 + 50.0);
}

TEST(Histogram, bounds_given_out_of_order_are_sorted) {
  Histogram h({10, 1, 5});
  EXPECT_EQ(h.bounds(), (std::vector<double>{1, 5, 10}));
  h.observe(3);
  EXPECT_EQ(h.bucket(1), 1u);
}

TEST(Histogram, the_quantile_is_the_first_bound_reaching_the_fraction) {
  Histogram h({1, 2, 3, 4});
  EXPECT_EQ(h.quantile(0.5), 0);  // empty
  for (double v : {0.5, 1.5, 2.5, 3.5}) h.observe(v);
  EXPECT_DOUBLE_EQ(h.quantile(0.25), 1);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 2);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), 4);
}

TEST(Histogram, a_quantile_in_the_inf_bucket_reports_the_largest_value) {
  Histogram h({1});
  h.observe(0.5);
  h.observe(7);
  h.observe(9);
  EXPECT_DOUBLE_EQ(h.quantile(0.9), 9);
}

TEST(Histogram, observations_from_four_threads_are_all_counted) {
  Histogram h(Histogram::count_bounds());
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < kPerThread; ++i) h.observe(static_cast<double>((i + t) % 8));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 4u * kPerThread);
  uint64_t in_buckets = 0;
  for (size_t i = 0; i <= h.bounds().size(); ++i) in_buckets += h.bucket(i);
  EXPECT_EQ(in_buckets, 4u * kPerThread);
  // Each thread's values are 0..7 evenly: the sum is exact in a double.
  EXPECT_DOUBLE_EQ(h.sum(), 4.0 * kPerThread / 8 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7));
  EXPECT_DOUBLE_EQ(h.max(), 7);
}

}  // namespace
}  // namespace parley
