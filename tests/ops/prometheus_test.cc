#include "ops/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>

namespace parley::ops {
namespace {

TEST(Prometheus, a_family_has_its_help_and_type_lines_then_its_samples) {
  PromWriter w;
  w.family("parley_turns_total", "Turns applied.", "counter");
  w.sample("parley_turns_total", {{"bot", "pizza"}}, 3);
  w.sample("parley_turns_total", {{"bot", "help"}, {"outcome", "ok"}}, 1);
  EXPECT_EQ(w.text(),
            "# HELP parley_turns_total Turns applied.\n"
            "# TYPE parley_turns_total counter\n"
            "parley_turns_total{bot=\"pizza\"} 3\n"
            "parley_turns_total{bot=\"help\",outcome=\"ok\"} 1\n");
}

TEST(Prometheus, label_values_escape_backslash_quote_and_newline) {
  EXPECT_EQ(prom_escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  PromWriter w;
  w.sample("m", {{"bot", "x\"y"}}, 1);
  EXPECT_EQ(w.text(), "m{bot=\"x\\\"y\"} 1\n");
}

TEST(Prometheus, values_are_integers_when_whole_and_special_values_by_name) {
  PromWriter w;
  w.sample("a", 42);
  w.sample("b", 0.25);
  w.sample("c", INFINITY);
  w.sample("d", -INFINITY);
  w.sample("e", NAN);
  w.sample("f", 1e20);
  EXPECT_EQ(w.take(), "a 42\nb 0.25\nc +Inf\nd -Inf\ne NaN\nf 1e+20\n");
}

TEST(Prometheus, a_histogram_has_cumulative_buckets_up_to_inf_then_sum_and_count) {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: in that bucket
  h.observe(0.5);
  h.observe(7);
  PromWriter w;
  render_histogram(w, "lat", h, {{"bot", "b"}});
  EXPECT_EQ(w.text(),
            "lat_bucket{bot=\"b\",le=\"0.1\"} 2\n"
            "lat_bucket{bot=\"b\",le=\"1\"} 3\n"
            "lat_bucket{bot=\"b\",le=\"+Inf\"} 4\n"
            "lat_sum{bot=\"b\"} 7.65\n"
            "lat_count{bot=\"b\"} 4\n");
}

}  // namespace
}  // namespace parley::ops
