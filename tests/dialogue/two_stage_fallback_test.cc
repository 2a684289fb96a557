// Rasa's two-stage fallback: a loop started by a rule on nlu_fallback that asks the user to affirm
// the guessed intent, then to rephrase, and gives up (utter_default) after a second failure.
#include <gtest/gtest.h>

#include "dialogue/convo.h"

namespace parley::dialogue {
namespace {

const char* kTwoStageDomain = R"(version: "3.1"
intents: [greet, out_of_scope]
responses:
  utter_greet:
  - text: "Hi!"
  utter_ask_rephrase:
  - text: "Please say it another way."
  utter_default:
  - text: "I give up."
)";

const char* kTwoStageRules = R"(version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: start the two-stage fallback
  steps:
  - intent: nlu_fallback
  - action: action_two_stage_fallback
  - active_loop: action_two_stage_fallback
)";

using Lines = std::vector<std::string>;

std::shared_ptr<const bot::Bot> two_stage_bot() {
  return testing::build({{"domain.yml", kTwoStageDomain},
                         {"data/rules.yml", kTwoStageRules},
                         {"config.yml", "policies:\n- name: RulePolicy\n"}});
}

TEST(TwoStageFallback, a_yes_continues_as_the_affirmed_intent) {
  auto bot = two_stage_bot();
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  Lines asked = c.say("/nlu_fallback");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_TRUE(asked[0].starts_with("Did you mean")) << asked[0];
  EXPECT_EQ(c.tracker.active_loop(), "action_two_stage_fallback");
  // The "Yes" button of a guess: the loop ends and the bot answers that intent.
  EXPECT_EQ(c.say("/greet"), Lines{"Hi!"});
  EXPECT_EQ(c.tracker.active_loop(), "");
  ASSERT_TRUE(c.tracker.latest_message());
  EXPECT_EQ(user_intent(*c.tracker.latest_message()), "greet");
}

TEST(TwoStageFallback, a_no_asks_to_rephrase_and_a_second_no_gives_up) {
  auto bot = two_stage_bot();
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  c.say("/nlu_fallback");
  EXPECT_EQ(c.say("/out_of_scope"), Lines{"Please say it another way."});
  Lines again = c.say("/nlu_fallback");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].starts_with("Did you mean")) << again[0];
  EXPECT_EQ(c.say("/out_of_scope"), Lines{"I give up."});
  EXPECT_EQ(c.tracker.active_loop(), "");
  // The conversation goes on normally.
  EXPECT_EQ(c.say("/greet"), Lines{"Hi!"});
}

TEST(TwoStageFallback, two_fallbacks_in_a_row_give_up) {
  auto bot = two_stage_bot();
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  c.say("/nlu_fallback");
  EXPECT_EQ(c.say("/nlu_fallback"), Lines{"I give up."});
  EXPECT_EQ(c.tracker.active_loop(), "");
}

TEST(TwoStageFallback, a_rephrasing_that_is_understood_continues_the_conversation) {
  auto bot = two_stage_bot();
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  c.say("/nlu_fallback");
  c.say("/out_of_scope");
  EXPECT_EQ(c.say("/greet"), Lines{"Hi!"});
  EXPECT_EQ(c.tracker.active_loop(), "");
}

// A project whose action server asks (sara lists action_default_ask_affirmation under actions:).
class AskingActions : public ActionClient {
 public:
  std::vector<std::string> calls;
  ActionReply call(const ActionRequest& r) override {
    calls.push_back(r.action);
    return ActionReply::ok(json::parse(R"({"events": [], "responses": [{"text": "Custom: did you mean that?"}]})"));
  }
};

TEST(TwoStageFallback, a_custom_ask_affirmation_action_is_called_on_the_action_server) {
  std::string domain = std::string(kTwoStageDomain) + "actions:\n- action_default_ask_affirmation\n";
  auto bot = testing::build({{"domain.yml", domain},
                             {"data/rules.yml", kTwoStageRules},
                             {"endpoints.yml", "action_endpoint:\n  url: http://127.0.0.1:9/webhook\n"},
                             {"config.yml", "policies:\n- name: RulePolicy\n"}});
  ASSERT_TRUE(bot);
  testing::Convo c(bot);
  AskingActions server;
  c.client = &server;
  EXPECT_EQ(c.say("/nlu_fallback"), Lines{"Custom: did you mean that?"});
  EXPECT_EQ(server.calls, std::vector<std::string>{"action_default_ask_affirmation"});
  EXPECT_EQ(c.tracker.active_loop(), "action_two_stage_fallback");
  EXPECT_EQ(c.tracker.latest_action(), "action_listen");
  EXPECT_EQ(c.say("/greet"), Lines{"Hi!"});
}

}  // namespace
}  // namespace parley::dialogue
