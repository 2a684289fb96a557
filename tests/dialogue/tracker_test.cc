// The tracker derives slots, loops and the latest message from events, and reverts them.
#include "dialogue/tracker.h"

#include <gtest/gtest.h>

namespace parley::dialogue {
namespace {

project::Domain test_domain() {
  project::Domain d;
  project::Slot name;
  name.name = "name";
  name.type = project::SlotType::kText;
  project::Slot size;
  size.name = "size";
  size.type = project::SlotType::kCategorical;
  size.values = {"small", "large"};
  size.initial_value = "small";
  d.slots = {name, size};
  return d;
}

TEST(Tracker, slots_start_at_initial_values_and_follow_slot_events) {
  auto d = test_domain();
  Tracker t("c1", &d);
  EXPECT_TRUE(t.slot("name").is_null());
  EXPECT_EQ(t.slot("size"), json::value("small"));
  t.apply(Event::slot("name", "Alice", 1));
  EXPECT_EQ(t.slot("name"), json::value("Alice"));
  t.apply(Event::slot("unknown", "x", 2));
  EXPECT_TRUE(t.slot("unknown").is_null());
  EXPECT_EQ(t.version(), 2u);
}

TEST(Tracker, rewind_reverts_everything_back_to_the_latest_user_message) {
  auto d = test_domain();
  Tracker t("c1", &d);
  t.apply(Event::simple(EventType::kSessionStarted, 1));
  t.apply(Event::action("action_listen", 1));
  t.apply(Event::user("hi", json::object{{"intent", json::object{{"name", "greet"}}}}, "m1", 2));
  t.apply(Event::action("utter_greet", 3));
  t.apply(Event::action("action_listen", 3));
  t.apply(Event::user("Bob", json::object{{"intent", json::object{{"name", "inform"}}}}, "m2", 4));
  t.apply(Event::slot("name", "Bob", 4));
  t.apply(Event::action("action_default_fallback", 5));
  t.apply(Event::simple(EventType::kUserUtteranceReverted, 5));
  EXPECT_TRUE(t.slot("name").is_null());
  ASSERT_NE(t.latest_message(), nullptr);
  EXPECT_EQ(t.latest_message()->text, "hi");
  EXPECT_EQ(t.latest_action(), "action_listen");
}

TEST(Tracker, restart_resets_state_and_ends_the_session) {
  auto d = test_domain();
  Tracker t("c1", &d);
  t.apply(Event::simple(EventType::kSessionStarted, 1));
  t.apply(Event::slot("name", "Alice", 1));
  t.apply(Event::active_loop("pizza_form", 1));
  t.apply(Event::simple(EventType::kRestarted, 2));
  EXPECT_TRUE(t.slot("name").is_null());
  EXPECT_EQ(t.active_loop(), "");
  EXPECT_FALSE(t.session_started());
  EXPECT_TRUE(t.events().empty());
}

TEST(Tracker, window_bounds_memory_but_keeps_derived_state) {
  auto d = test_domain();
  Tracker t("c1", &d, 16);
  t.apply(Event::simple(EventType::kSessionStarted, 1));
  t.apply(Event::slot("name", "Alice", 1));
  for (int i = 0; i < 1000; ++i) t.apply(Event::action("utter_x", 2 + i));
  EXPECT_LE(t.events().size(), 16u);
  EXPECT_TRUE(t.window_truncated());
  EXPECT_EQ(t.slot("name"), json::value("Alice"));
  size_t bytes = t.memory_bytes();
  for (int i = 0; i < 1000; ++i) t.apply(Event::action("utter_x", 2000 + i));
  EXPECT_EQ(t.memory_bytes(), bytes);
}

TEST(Tracker, snapshot_round_trip_gives_the_same_state) {
  auto d = test_domain();
  Tracker t("c1", &d);
  t.apply(Event::simple(EventType::kSessionStarted, 1));
  t.apply(Event::user("hi", json::object{{"intent", json::object{{"name", "greet"}}}}, "m1", 2));
  t.apply(Event::slot("name", "Alice", 2));
  t.apply(Event::active_loop("pizza_form", 3));
  for (int i = 0; i < 100; ++i) t.apply(Event::action("utter_x", 4 + i));
  auto snap = t.snapshot(8);
  auto back = Tracker::from_snapshot("c1", &d, snap);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->version(), t.version());
  EXPECT_EQ(back->slot("name"), json::value("Alice"));
  EXPECT_EQ(back->active_loop(), "pizza_form");
  EXPECT_EQ(back->latest_message()->text, "hi");
  EXPECT_EQ(back->events().size(), 8u);
  EXPECT_EQ(back->latest_action(), "utter_x");
}

TEST(Event, json_round_trip_keeps_every_field) {
  Event u = Event::user("hi", json::object{{"intent", json::object{{"name", "greet"}, {"confidence", 0.9}}}}, "m1", 12.5);
  u.input_channel = "rest";
  auto back = event_from_json(to_json(u));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->text, "hi");
  EXPECT_EQ(back->message_id, "m1");
  EXPECT_EQ(back->input_channel, "rest");
  EXPECT_EQ(user_intent(*back), "greet");
  EXPECT_DOUBLE_EQ(back->timestamp, 12.5);
  EXPECT_FALSE(event_from_json(json::parse(R"({"event":"nonsense"})")).ok());
  EXPECT_FALSE(event_from_json(json::parse(R"([1,2])")).ok());
  auto loop = event_from_json(json::parse(R"({"event":"active_loop","name":null})"));
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(loop->type, EventType::kActiveLoop);
  EXPECT_EQ(loop->name, "");
}

}  // namespace
}  // namespace parley::dialogue
