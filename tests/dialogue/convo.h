// Test helpers for dialogue behaviour: a bot built from files written inline, and a conversation
// with it that runs whole turns.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/bot.h"
#include "dialogue/turn.h"
#include "support/temp_project.h"

namespace parley::testing {

// Builds the project of `files`; a failed build fails the test with its diagnostics.
inline std::shared_ptr<const bot::Bot> build(const std::map<std::string, std::string>& files,
                                             const std::string& name = "test") {
  TempProject p(files);
  auto built = bot::build_bot(p.dir(), name);
  std::string diags;
  for (const auto& d : built.diagnostics) diags += d.to_string() + "\n";
  EXPECT_TRUE(built.bot) << diags;
  return built.bot;
}

struct Convo {
  std::shared_ptr<const bot::Bot> bot;
  dialogue::Tracker tracker;
  dialogue::ActionClient* client = nullptr;
  explicit Convo(std::shared_ptr<const bot::Bot> b) : bot(std::move(b)), tracker("c1", &bot->domain()) {}

  // Runs a turn for `text`; returns the bot's messages, and appends "action/policy" for each
  // prediction of the turn to `actions` when given.
  std::vector<std::string> say(const std::string& text, std::vector<std::string>* actions = nullptr) {
    dialogue::TurnInput in;
    in.text = text;
    dialogue::TurnRunner turn(bot, tracker, in);
    turn.run_blocking(client);
    std::vector<std::string> out;
    for (const auto& m : turn.messages()) out.push_back(m.text);
    if (actions)
      for (const auto& p : turn.predictions()) actions->push_back(p.action + "/" + p.policy);
    return out;
  }
};

}  // namespace parley::testing
