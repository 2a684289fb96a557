// The stored event text: written without a DOM, read back to the same event.
#include <gtest/gtest.h>

#include <cmath>

#include "dialogue/event.h"

namespace parley::dialogue {
namespace {

std::vector<Event> every_kind() {
  json::value parse_data = json::parse(
      R"({"text":"hé \"quoted\"\n","intent":{"name":"greet","confidence":0.873},"entities":[{"entity":"size","value":"large","start":1,"end":6}],"intent_ranking":[{"name":"greet","confidence":0.873},{"name":"bye","confidence":1.25E-7}]})");
  Event user = Event::user("hé \"quoted\"\n\t\x01 end", parse_data, "m-1", 1795404353.071843);
  user.input_channel = "rest";
  Event anonymous = Event::user("plain", nullptr, "", 12.5);
  Event interrupted = Event::simple(EventType::kLoopInterrupted, 3);
  interrupted.value = true;
  return {user,
          anonymous,
          Event::bot("Hi {name} \\ /", json::parse(R"({"buttons":[{"title":"Yes","payload":"/affirm"}]})"), 2),
          Event::bot("", nullptr, 2),
          Event::action("utter_greet", 1795404353.5, "rule", 1.0),
          Event::action("action_listen", 0.000123, "", 0.3333333333333333),
          Event::slot("size", json::value("large"), 4),
          Event::slot("items", json::parse(R"([1, 2.5, {"a": null}, false])"), 4),
          Event::slot("empty", nullptr, 4),
          Event::active_loop("pizza_form", 5),
          Event::active_loop("", 5),
          Event::simple(EventType::kSessionStarted, 6),
          Event::simple(EventType::kRestarted, 7),
          interrupted,
          Event::error("action_timeout", "no \"answer\" in 5000 ms", 8)};
}

TEST(EventJson, text_reads_back_to_the_same_event_for_every_kind) {
  for (const Event& e : every_kind()) {
    std::string text;
    append_event_json(text, e);
    boost::system::error_code ec;
    json::value parsed = json::parse(text, ec);
    ASSERT_FALSE(ec) << text;
    auto back = event_from_json(parsed);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(json::serialize(to_json(*back)), json::serialize(to_json(e))) << text;
  }
}

// Found by fuzz/action_reply_fuzz: an action server (or a message's metadata) with a number too
// large for a double, which Boost.JSON parses as infinity, was stored as `Infinity`: not JSON, so
// the conversation's record could not be read back.
TEST(EventJson, numbers_too_large_for_a_double_are_stored_as_null) {
  json::value reply = json::parse(R"({"value": 31e308, "nested": [1, -1e999, {"x": 2e400}], "ok": 2.5})");
  ASSERT_TRUE(std::isinf(reply.at("value").as_double()));
  std::string text;
  append_event_json(text, Event::slot("count", reply, 4));
  boost::system::error_code ec;
  json::value back = json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  EXPECT_EQ(back.at("value"), json::parse(R"({"value": null, "nested": [1, null, {"x": null}], "ok": 2.5})")) << text;

  text.clear();
  append_event_json(text, Event::user("hi", json::parse(R"({"metadata": {"n": 1e999}})"), "m1", 1));
  back = json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  EXPECT_TRUE(back.at("parse_data").at("metadata").at("n").is_null()) << text;
}

TEST(EventJson, appends_to_what_is_already_there) {
  std::string text = "[";
  append_event_json(text, Event::simple(EventType::kSessionStarted, 1));
  text += "]";
  EXPECT_EQ(text, R"([{"event":"session_started","timestamp":1}])");
}

TEST(EventJson, control_characters_are_escaped) {
  std::string text;
  append_json_string(text, std::string("a\x01\x1f\"\\b", 6));
  EXPECT_EQ(text, R"("a\u0001\u001f\"\\b")");
}

}  // namespace
}  // namespace parley::dialogue
