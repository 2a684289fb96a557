// The per-turn states cache gives exactly what a full replay gives, through appends, rewinds,
// restarts and a window that drops its oldest events.
#include <gtest/gtest.h>

#include "dialogue/states.h"

namespace parley::dialogue {
namespace {

project::Domain cache_domain() {
  project::Domain d;
  project::Slot size;
  size.name = "size";
  size.type = project::SlotType::kCategorical;
  size.values = {"small", "large"};
  d.slots = {size};
  d.intents.push_back(project::Intent{.name = "greet"});
  d.intents.push_back(project::Intent{.name = "inform"});
  return d;
}

Event user(const std::string& intent, double ts) {
  return Event::user("/" + intent, json::object{{"intent", json::object{{"name", intent}, {"confidence", 1.0}}}}, "",
                     ts);
}

void expect_same(StatesCache& cache, const Tracker& t, const Featurizer& f) {
  for (bool memo : {false, true}) {
    auto full = tracker_states(t, f, memo);
    const auto& cached = cache.get(t, f, memo);
    ASSERT_EQ(cached.size(), full.size());
    for (size_t i = 0; i < full.size(); ++i) EXPECT_EQ(cached[i].features, full[i].features) << i;
  }
}

TEST(StatesCache, matches_a_full_replay_through_appends_rewinds_and_restarts) {
  auto d = cache_domain();
  Featurizer f(d);
  Tracker t("c1", &d, /*window=*/12);
  StatesCache cache;
  t.apply(Event::simple(EventType::kSessionStarted, 1));
  t.apply(Event::action("action_listen", 1));
  expect_same(cache, t, f);
  for (int i = 0; i < 6; ++i) {
    t.apply(user(i % 2 ? "inform" : "greet", 2 + i));
    expect_same(cache, t, f);
    t.apply(Event::slot("size", i % 2 ? "large" : "small", 2 + i));
    t.apply(Event::action("utter_" + std::to_string(i), 2 + i, "rule"));
    expect_same(cache, t, f);
    if (i == 2) {
      t.apply(Event::simple(EventType::kUserUtteranceReverted, 2 + i));  // removes this turn
      expect_same(cache, t, f);
    }
    if (i == 3) {
      t.apply(Event::simple(EventType::kActionReverted, 2 + i));
      expect_same(cache, t, f);
    }
    t.apply(Event::action("action_listen", 2 + i, "rule"));
    expect_same(cache, t, f);  // by now the window of 12 has dropped old events
  }
  EXPECT_TRUE(t.window_truncated());
  t.apply(Event::simple(EventType::kRestarted, 20));
  expect_same(cache, t, f);
}

}  // namespace
}  // namespace parley::dialogue
