#include "events/record.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace parley::events {
namespace {

TEST(EventRecord, ids_are_name_based_stable_and_distinct) {
  EXPECT_EQ(event_id("pizza", "c1", 1), event_id("pizza", "c1", 1));
  EXPECT_NE(event_id("pizza", "c1", 1), event_id("pizza", "c1", 2));
  EXPECT_NE(event_id("pizza", "c1", 1), event_id("pizza", "c11", 1));
  EXPECT_NE(event_id("pizz", "ac1", 1), event_id("pizza", "c1", 1));  // no ambiguity across fields
  std::string id = event_id("b", "c", 7);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '5');  // version 5
}

TEST(EventRecord, has_the_documented_shape) {
  std::string out;
  append_event_record(out, {"pizza", "c\"1", 3, 2, 1700000000.25, event_type("parley_error")},
                      R"({"event":"parley_error","timestamp":1700000000.25})", 65536);
  auto v = boost::json::parse(out).as_object();
  EXPECT_EQ(v.at("id").as_string(), event_id("pizza", "c\"1", 3));
  EXPECT_EQ(v.at("type").as_string(), "error");
  EXPECT_EQ(v.at("bot").as_string(), "pizza");
  EXPECT_EQ(v.at("conversation").as_string(), "c\"1");
  EXPECT_EQ(v.at("seq").as_int64(), 3);
  EXPECT_EQ(v.at("turn").as_int64(), 2);
  EXPECT_DOUBLE_EQ(v.at("ts").as_double(), 1700000000.25);
  EXPECT_EQ(v.at("data").at("event").as_string(), "parley_error");
  EXPECT_FALSE(v.contains("truncated"));
}

TEST(EventRecord, an_oversized_event_is_truncated_flagged_and_fits_the_cap) {
  for (size_t cap : {size_t{1024}, size_t{4096}, size_t{65536}}) {
    // Quotes double when escaped, multi-byte characters must not be split.
    std::string text;
    for (int i = 0; i < 50000; ++i) text += i % 3 == 0 ? "\\\"" : "é";
    std::string data = R"({"event":"user","timestamp":1,"text":")" + text + R"("})";
    std::string out;
    append_event_record(out, {"bot", "conv", 1, 1, 1, "user"}, data, cap);
    EXPECT_LE(out.size(), cap);
    auto v = boost::json::parse(out).as_object();  // still valid JSON (and valid UTF-8)
    EXPECT_TRUE(v.at("truncated").as_bool());
    EXPECT_EQ(v.at("data").at("event").as_string(), "user");
    EXPECT_EQ(v.at("data").at("original_bytes").as_int64(), static_cast<int64_t>(data.size()));
    std::string preview(v.at("data").at("preview").as_string());
    EXPECT_GT(preview.size(), cap / 4);
    EXPECT_EQ(data.compare(0, preview.size(), preview), 0);
  }
}

TEST(EventRecord, the_header_parser_reads_back_what_the_writer_wrote) {
  std::string out;
  // A conversation id holding the bytes the parser looks for, and data that holds them too.
  append_event_record(out, {"pizza", "c,\"data\":1", 4, 2, 1700000000.5, event_type("user")},
                      R"({"event":"user","text":"x,\"data\":y"})", 65536);
  auto h = parse_record_header(out);
  ASSERT_TRUE(h.has_value()) << out;
  EXPECT_EQ(h->id, event_id("pizza", "c,\"data\":1", 4));
  EXPECT_EQ(h->type, "user");
  EXPECT_EQ(h->bot, "pizza");
  EXPECT_EQ(h->conversation, "c,\"data\":1");
  EXPECT_DOUBLE_EQ(h->ts, 1700000000.5);
}

TEST(EventRecord, the_header_of_a_truncated_record_is_read_too) {
  std::string out;
  append_event_record(out, {"b", "c", 1, 1, 5.0, event_type("bot")}, std::string(5000, 'x'), kMinEventBytes);
  auto h = parse_record_header(out);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->bot, "b");
  EXPECT_EQ(h->type, "bot");
}

TEST(EventRecord, text_that_is_not_a_record_has_no_header) {
  EXPECT_FALSE(parse_record_header("not json").has_value());
  EXPECT_FALSE(parse_record_header("[1,2]").has_value());
  EXPECT_FALSE(parse_record_header(R"({"id":"x","ty)").has_value()) << "a record cut inside its header";
}

}  // namespace
}  // namespace parley::events
