// A one-intent bot for load, order and crash tests: every message gets "Got <text>.", so each
// reply names the message it answers.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace parley::testing {

// More for the echo bot: intents with their NLU examples and rules (YAML list items), and actions.
struct EchoBotExtras {
  std::string intents;   // e.g. "  - lookup\n"
  std::string actions;   // e.g. "  - action_lookup\n"
  std::string nlu;       // e.g. "- intent: lookup\n  examples: |\n    - look it up\n"
  std::string rules;     // e.g. "- rule: lookup\n  steps:\n  - intent: lookup\n  - action: action_lookup\n"
  std::string entities;  // e.g. "  - code\n"
};

// Writes the bot into `bots_dir`/echo.
inline void write_echo_bot(const std::string& bots_dir, const EchoBotExtras& extras = {}) {
  auto write = [&](const std::string& path, const std::string& text) {
    auto p = std::filesystem::path(bots_dir) / "echo" / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  };
  write("domain.yml", R"(version: "3.1"
intents:
  - say
)" + extras.intents + R"(slots:
  last_text:
    type: text
    influence_conversation: false
    mappings:
      - type: from_text
responses:
  utter_echo:
    - text: "Got {last_text}."
)" + (extras.actions.empty() ? std::string() : "actions:\n" + extras.actions) +
                          (extras.entities.empty() ? std::string() : "entities:\n" + extras.entities));
  write("data/nlu.yml", R"(version: "3.1"
nlu:
- intent: say
  examples: |
    - message 1
    - c3 m12
    - hello there
)" + extras.nlu);
  write("data/rules.yml", R"(version: "3.1"
rules:
- rule: echo
  steps:
  - intent: say
  - action: utter_echo
)" + extras.rules);
  write("config.yml", "recipe: default.v1\nlanguage: en\npolicies:\n  - name: RulePolicy\n");
}

// The texts of the user events in a native conversation view, in order.
inline std::vector<std::string> user_texts(const boost::json::value& view) {
  std::vector<std::string> out;
  for (const auto& e : view.at("events").as_array())
    if (e.at("event").as_string() == "user") out.emplace_back(e.at("text").as_string());
  return out;
}

}  // namespace parley::testing
