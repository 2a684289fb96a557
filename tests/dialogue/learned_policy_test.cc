// The learned dialogue policy (TEDPolicy): it carries conversations that leave every rule and
// story, gives way to the fallback when unsure, and trains and serialises deterministically.
#include <gtest/gtest.h>

#include "bot/bot.h"
#include "dialogue/learned_policy.h"
#include "dialogue/policy.h"
#include "dialogue/turn.h"
#include "dialogue/convo.h"

namespace parley::dialogue {
namespace {

using testing::build;
using testing::Convo;

const char* kLearnedDomain = R"(
version: "3.1"
intents: [greet, ask_time, ask_weather, thank, goodbye, unsure, never_trained]
responses:
  utter_greet:
  - text: "Hello!"
  utter_time:
  - text: "It is noon."
  utter_weather:
  - text: "It is sunny."
  utter_welcome:
  - text: "You are welcome."
  utter_goodbye:
  - text: "Bye!"
  utter_maybe_a:
  - text: "Maybe A."
  utter_maybe_b:
  - text: "Maybe B."
  utter_default:
  - text: "Come again?"
)";

// Every story starts with a greeting; a conversation that skips it, or thanks after the time,
// has no memorised story but the same last message as one.
const char* kLearnedStories = R"(
version: "3.1"
stories:
- story: weather
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask_weather
  - action: utter_weather
  - intent: thank
  - action: utter_welcome
- story: time
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask_time
  - action: utter_time
  - intent: goodbye
  - action: utter_goodbye
- story: unsure a
  steps:
  - intent: unsure
  - action: utter_maybe_a
- story: unsure b
  steps:
  - intent: unsure
  - action: utter_maybe_b
)";

const char* kLearnedRules = R"(
version: "3.1"
rules:
- rule: goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye
)";

std::shared_ptr<const bot::Bot> learned_bot(const std::string& config = {}) {
  std::map<std::string, std::string> files{
      {"domain.yml", kLearnedDomain}, {"data/stories.yml", kLearnedStories}, {"data/rules.yml", kLearnedRules}};
  if (!config.empty()) files["config.yml"] = config;
  return build(files, "learned");
}

// The bot's actions for `text` as "action/policy", action_listen left out.
std::vector<std::string> actions_for(Convo& c, const std::string& text) {
  std::vector<std::string> all, out;
  c.say(text, &all);
  for (const auto& a : all)
    if (a.rfind("action_listen/", 0) != 0) out.push_back(a);
  return out;
}

const Event* last_action(const Tracker& tracker) {
  for (auto it = tracker.events().rbegin(); it != tracker.events().rend(); ++it)
    if (it->type == EventType::kAction && it->name != "action_listen") return &*it;
  return nullptr;
}

// The memo states of a fresh conversation whose first message has `intent`.
std::vector<State> states_after(const bot::Bot& bot, const std::string& intent) {
  Tracker t("s", &bot.domain());
  t.apply(Event::action("action_session_start", 0));
  t.apply(Event::simple(EventType::kSessionStarted, 0));
  t.apply(Event::action("action_listen", 0));
  json::object parse{{"intent", json::object{{"name", intent}, {"confidence", 1.0}}}, {"entities", json::array()}};
  t.apply(Event::user("/" + intent, parse, "", 0));
  return tracker_states(t, bot.policies->featurizer(), /*for_memo=*/true);
}

using Actions = std::vector<std::string>;

TEST(LearnedPolicy, carries_a_conversation_that_leaves_every_story) {
  auto bot = learned_bot();
  ASSERT_TRUE(bot);
  ASSERT_NE(bot->policies->learned(), nullptr);
  Convo c(bot);
  // No story starts with the time; the learned policy answers it from the last message.
  EXPECT_EQ(actions_for(c, "/ask_time"), Actions{"utter_time/TEDPolicy"});
  const Event* e = last_action(c.tracker);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->policy, "TEDPolicy");
  EXPECT_GT(e->confidence, bot->project.config.core_fallback_threshold);
  EXPECT_LT(e->confidence, 1.0);
  // No story thanks after the time.
  EXPECT_EQ(actions_for(c, "/thank"), Actions{"utter_welcome/TEDPolicy"});
}

TEST(LearnedPolicy, rules_and_stories_come_first) {
  Convo c(learned_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(actions_for(c, "/greet"), Actions{"utter_greet/memoization"});
  EXPECT_EQ(actions_for(c, "/ask_weather"), Actions{"utter_weather/memoization"});
  EXPECT_EQ(actions_for(c, "/goodbye"), Actions{"utter_goodbye/rule"});
}

TEST(LearnedPolicy, an_intent_never_trained_goes_to_the_core_fallback) {
  Convo c(learned_bot());
  ASSERT_TRUE(c.bot);
  EXPECT_EQ(actions_for(c, "/never_trained"), Actions{"action_default_fallback/fallback"});
}

TEST(LearnedPolicy, a_low_confidence_prediction_goes_to_the_core_fallback) {
  // Two stories disagree after `unsure`: memoization drops the state, the network is split.
  auto bot = learned_bot(
      "policies:\n- name: RulePolicy\n  core_fallback_threshold: 0.8\n- name: MemoizationPolicy\n- name: TEDPolicy\n");
  ASSERT_TRUE(bot);
  auto p = bot->policies->predict_learned(states_after(*bot, "unsure"), "");
  ASSERT_TRUE(p);
  EXPECT_LT(p->confidence, 0.8);
  Convo c(bot);
  EXPECT_EQ(actions_for(c, "/unsure"), Actions{"action_default_fallback/fallback"});
}

TEST(LearnedPolicy, exclude_gives_the_next_best_action) {
  auto bot = learned_bot();
  ASSERT_TRUE(bot);
  auto states = states_after(*bot, "ask_time");
  auto best = bot->policies->predict_learned(states, "");
  ASSERT_TRUE(best);
  EXPECT_EQ(best->action, "utter_time");
  auto next = bot->policies->predict_learned(states, "utter_time");
  ASSERT_TRUE(next);
  EXPECT_NE(next->action, "utter_time");
  EXPECT_LT(next->confidence, best->confidence);
  // Right after a message it never learnt to listen.
  EXPECT_NE(next->action, "action_listen");
}

TEST(LearnedPolicy, disabled_when_the_config_leaves_it_out) {
  auto bot = learned_bot("policies:\n- name: RulePolicy\n- name: MemoizationPolicy\n");
  ASSERT_TRUE(bot);
  EXPECT_EQ(bot->policies->learned(), nullptr);
  Convo c(bot);
  EXPECT_EQ(actions_for(c, "/ask_time"), Actions{"action_default_fallback/fallback"});
}

TEST(LearnedPolicy, training_is_deterministic) {
  auto a = learned_bot(), b = learned_bot();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->policies->learned()->to_bytes(), b->policies->learned()->to_bytes());
  // Another seed gives another model.
  auto c = learned_bot("policies:\n- name: RulePolicy\n- name: MemoizationPolicy\n- name: TEDPolicy\n  random_seed: 4\n");
  ASSERT_TRUE(c);
  EXPECT_NE(a->policies->learned()->to_bytes(), c->policies->learned()->to_bytes());
}

TEST(LearnedPolicy, serialisation_round_trip_gives_identical_predictions) {
  auto bot = learned_bot();
  ASSERT_TRUE(bot);
  const LearnedPolicy& lp = *bot->policies->learned();
  std::string bytes = lp.to_bytes();
  auto back = LearnedPolicy::from_bytes(bytes);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->to_bytes(), bytes);
  EXPECT_EQ(back->actions(), lp.actions());
  for (const char* intent : {"greet", "ask_time", "ask_weather", "thank", "unsure", "never_trained"}) {
    auto states = states_after(*bot, intent);
    auto x = lp.predict(states, ""), y = back->predict(states, "");
    ASSERT_EQ(x.has_value(), y.has_value()) << intent;
    if (!x) continue;
    EXPECT_EQ(x->action, y->action) << intent;
    EXPECT_EQ(x->confidence, y->confidence) << intent;
    EXPECT_EQ(y->policy, "TEDPolicy");
  }
}

TEST(LearnedPolicy, from_bytes_rejects_truncated_and_garbage_data) {
  auto bot = learned_bot();
  ASSERT_TRUE(bot);
  std::string bytes = bot->policies->learned()->to_bytes();
  EXPECT_FALSE(LearnedPolicy::from_bytes("").ok());
  EXPECT_FALSE(LearnedPolicy::from_bytes("not a model at all").ok());
  for (size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 97))
    EXPECT_FALSE(LearnedPolicy::from_bytes(std::string_view(bytes).substr(0, n)).ok()) << n;
  EXPECT_FALSE(LearnedPolicy::from_bytes(bytes + "x").ok());
  // Garbage of the right shape: every header byte flipped in turn, and huge counts.
  for (size_t i = 0; i < 64 && i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    auto r = LearnedPolicy::from_bytes(bad);
    // A flipped byte of a name, a count or a weight may still decode, then to exactly these bytes.
    if (r.ok()) {
      EXPECT_EQ(r->to_bytes(), bad);
    }
  }
  std::string version = bytes;
  version[4] = 2;
  EXPECT_EQ(LearnedPolicy::from_bytes(version).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace parley::dialogue
