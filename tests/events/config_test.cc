#include "events/config.h"

#include <gtest/gtest.h>

namespace parley::events {
namespace {

TEST(EventsConfig, reads_the_documented_example) {
  EventsConfig c;
  Status s = parse_events_config(R"(
listen: 127.0.0.1:8080
events:
  max_event_bytes: 65536
  sinks:
    - name: audit
      type: http
      url: http://127.0.0.1:9000/events
      batch: 100
      timeout_ms: auto
      max_in_flight: 4
      retry: {max_attempts: 6, base_ms: 200, max_ms: 60000}
      breaker: {failure_ratio: 0.5, window: 20, open_ms: 5000}
      types: [user, bot, action, slot, error]
    - name: log
      type: file
      path: /tmp/events.jsonl
      timeout_ms: 250
)", "parley.yml", c);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(c.max_event_bytes, 65536u);
  ASSERT_EQ(c.sinks.size(), 2u);
  const auto& a = c.sinks[0];
  EXPECT_EQ(a.name, "audit");
  EXPECT_EQ(a.type, "http");
  EXPECT_EQ(a.timeout_ms, 0u);  // auto
  EXPECT_EQ(a.max_in_flight, 4u);
  EXPECT_EQ(a.retry.max_attempts, 6u);
  EXPECT_EQ(a.breaker.window, 20u);
  EXPECT_EQ(a.types, (std::vector<std::string>{"user", "bot", "action", "slot", "error"}));
  EXPECT_EQ(c.sinks[1].timeout_ms, 250u);
  EXPECT_TRUE(c.sinks[1].types.empty());
}

TEST(EventsConfig, errors_name_the_line_and_the_key) {
  auto error_of = [](const std::string& yaml) {
    EventsConfig c;
    return parse_events_config(yaml, "parley.yml", c).message();
  };
  EXPECT_EQ(error_of("events:\n  sinks:\n    - name: a\n      type: http\n      urll: http://x\n"),
            "parley.yml:5: unknown sink setting 'urll'");
  EXPECT_EQ(error_of("events:\n  sinks:\n    - name: a\n      type: file\n      path: /x\n      types: [user, usr]\n"),
            "parley.yml:6: unknown event type 'usr'");
  EXPECT_EQ(error_of("events:\n  sinks:\n    - name: a\n      type: ftp\n"),
            "parley.yml:3: sink 'a': type must be file, http, kafka or nats, not 'ftp'");
  EXPECT_EQ(error_of("events:\n  max_event_bytes: 10\n"), "parley.yml:2: 'max_event_bytes' must be between 1024 and 67108864");
  EXPECT_EQ(error_of("events:\n  sinkz: []\n"), "parley.yml:2: unknown events setting 'sinkz'");
  EXPECT_NE(error_of("events:\n  sinks:\n    - {name: a, type: file, path: /x}\n    - {name: a, type: file, path: /y}\n")
                .find("two sinks are named 'a'"),
            std::string::npos);
}

}  // namespace
}  // namespace parley::events
