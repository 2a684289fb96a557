// DucklingEntityExtractor with a url, against a fake Duckling server on loopback: the request Rasa
// sends, the entities Rasa makes of the answer, and G5: a dead or slow server costs at most one
// timeout per breaker interval, bounded by the turn's budget, and never an error.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "core/budget.h"
#include "nlu/duckling.h"
#include "support/fake_duckling.h"
#include "support/ports.h"

namespace parley::nlu {
namespace {

using DucklingTestClock = std::chrono::steady_clock;
using parley::testing::FakeDuckling;

constexpr const char* kDucklingAnswer = R"([
  {"body": "tomorrow at 8am", "start": 12, "end": 27, "dim": "time", "latent": false,
   "value": {"value": "2024-05-02T08:00:00.000+02:00", "grain": "hour", "type": "value",
             "values": [{"value": "2024-05-02T08:00:00.000+02:00", "grain": "hour", "type": "value"}]}},
  {"body": "2", "start": 4, "end": 5, "dim": "number", "value": {"value": 2, "type": "value"}}
])";

double elapsed_ms(DucklingTestClock::time_point since) {
  return std::chrono::duration<double, std::milli>(DucklingTestClock::now() - since).count();
}

TEST(DucklingHttp, posts_the_form_rasa_posts_and_makes_rasas_entities) {
  FakeDuckling duckling(kDucklingAnswer);
  DucklingOptions o;
  o.url = duckling.url() + "/";  // a trailing slash as users write it: still {url}/parse
  o.locale = "en_US";
  o.timezone = "Europe/Berlin";
  o.dimensions = {"time", "number"};
  o.dimensions_set = true;
  DucklingExtractor x(o);
  const int64_t before_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  auto es = x.extract("book 2 seats tomorrow at 8am");

  auto reqs = duckling.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/parse");
  EXPECT_EQ(reqs[0].content_type, "application/x-www-form-urlencoded; charset=UTF-8");
  EXPECT_EQ(reqs[0].form.at("text"), "book 2 seats tomorrow at 8am");
  EXPECT_EQ(reqs[0].form.at("locale"), "en_US");
  EXPECT_EQ(reqs[0].form.at("tz"), "Europe/Berlin");
  EXPECT_EQ(reqs[0].form.at("dims"), R"(["time", "number"])");
  const int64_t reftime = std::stoll(reqs[0].form.at("reftime"));
  EXPECT_GE(reftime, before_ms);
  EXPECT_EQ(reftime % 1000, 0);  // whole seconds, in milliseconds, as Rasa sends it

  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].entity, "time");
  EXPECT_EQ(es[0].text, "tomorrow at 8am");
  EXPECT_EQ(es[0].start, 12u);
  EXPECT_EQ(es[0].end, 27u);
  EXPECT_EQ(es[0].structured_value, json::value("2024-05-02T08:00:00.000+02:00"));
  EXPECT_EQ(es[0].additional_info.at("grain"), json::value("hour"));
  EXPECT_EQ(es[0].extractor, "DucklingEntityExtractor");
  EXPECT_DOUBLE_EQ(es[0].confidence, 1.0);
  EXPECT_EQ(es[1].entity, "number");
  EXPECT_EQ(es[1].structured_value, json::value(2));
  EXPECT_EQ(x.stats().calls, 1u);
  EXPECT_EQ(x.stats().failures, 0u);
}

TEST(DucklingHttp, without_dimensions_sends_null_and_keeps_every_dimension) {
  FakeDuckling duckling(kDucklingAnswer);
  DucklingOptions o;
  o.url = duckling.url();
  DucklingExtractor x(o);
  auto es = x.extract("book 2 seats tomorrow at 8am");
  auto reqs = duckling.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].form.at("dims"), "null");
  EXPECT_EQ(reqs[0].form.count("locale"), 0u);  // not set: not sent, as requests leaves out None
  EXPECT_EQ(reqs[0].form.count("tz"), 0u);
  EXPECT_EQ(es.size(), 2u);
  // A configured list filters Duckling's answer, as Rasa's filter_irrelevant_entities does.
  o.dimensions = {"number"};
  o.dimensions_set = true;
  DucklingExtractor only(o);
  auto numbers = only.extract("book 2 seats tomorrow at 8am");
  ASSERT_EQ(numbers.size(), 1u);
  EXPECT_EQ(numbers[0].entity, "number");
}

TEST(DucklingHttp, a_dead_server_costs_one_failed_call_per_breaker_interval_and_no_error) {
  DucklingOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(parley::testing::free_port());  // nothing listens there
  o.timeout = std::chrono::milliseconds(300);
  o.breaker_open = std::chrono::milliseconds(200);
  DucklingExtractor x(o);
  auto t0 = DucklingTestClock::now();
  EXPECT_TRUE(x.extract("3 pizzas").empty());
  EXPECT_TRUE(x.extract("3 pizzas").empty());  // the breaker is open: no call at all
  EXPECT_LT(elapsed_ms(t0), 300);              // refused at once: not even one timeout
  EXPECT_EQ(x.stats().calls, 1u);
  EXPECT_EQ(x.stats().failures, 1u);
  EXPECT_EQ(x.stats().skipped, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(x.extract("3 pizzas").empty());  // the interval passed: one probe
  EXPECT_EQ(x.stats().calls, 2u);
}

TEST(DucklingHttp, a_slow_server_costs_at_most_the_timeout_then_the_breaker_skips_it) {
  FakeDuckling duckling(kDucklingAnswer);
  duckling.set_delay(std::chrono::milliseconds(2000));
  DucklingOptions o;
  o.url = duckling.url();
  o.timeout = std::chrono::milliseconds(200);
  DucklingExtractor x(o);
  auto t0 = DucklingTestClock::now();
  EXPECT_TRUE(x.extract("book 2 seats").empty());
  const double first = elapsed_ms(t0);
  EXPECT_GE(first, 190);
  EXPECT_LT(first, 600);
  auto t1 = DucklingTestClock::now();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(x.extract("book 2 seats").empty());
  EXPECT_LT(elapsed_ms(t1), 50);  // open breaker: twenty messages, no wait
  EXPECT_EQ(x.stats().calls, 1u);
  EXPECT_EQ(x.stats().skipped, 20u);
  EXPECT_EQ(duckling.requests().size(), 1u);
}

TEST(DucklingHttp, the_wait_never_takes_more_than_half_of_what_is_left_of_the_turn_budget) {
  FakeDuckling duckling(kDucklingAnswer);
  duckling.set_delay(std::chrono::milliseconds(2000));
  DucklingOptions o;
  o.url = duckling.url();  // Rasa's 3 s timeout
  DucklingExtractor x(o);
  Budget budget;
  budget.set_deadline(DucklingTestClock::now() + std::chrono::milliseconds(400));
  auto t0 = DucklingTestClock::now();
  {
    BudgetScope scope(budget);
    EXPECT_TRUE(x.extract("book 2 seats").empty());
  }
  const double waited = elapsed_ms(t0);
  EXPECT_GE(waited, 150);
  EXPECT_LT(waited, 300);  // about 200 ms: half of the 400 left
  EXPECT_FALSE(budget.spent());
  EXPECT_EQ(x.stats().failures, 1u);
}

TEST(DucklingHttp, an_http_error_or_a_bad_answer_is_a_failed_call_without_entities) {
  FakeDuckling broken("oops", 500);
  DucklingOptions o;
  o.url = broken.url();
  DucklingExtractor x(o);
  EXPECT_TRUE(x.extract("2 pizzas").empty());
  EXPECT_EQ(x.stats().failures, 1u);
  FakeDuckling garbled(R"({"not": "a list"})");
  o.url = garbled.url();
  DucklingExtractor y(o);
  EXPECT_TRUE(y.extract("2 pizzas").empty());
  EXPECT_EQ(y.stats().failures, 1u);
}

}  // namespace
}  // namespace parley::nlu
