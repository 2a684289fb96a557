// Running test stories (Rasa's tests/*.yml) against a bot: each user step's text goes through NLU
// and a real turn; the expected intent, entities, actions, slots and active loops are compared
// with what happened. A story fails at its first divergence.
#pragma once

#include <string>
#include <vector>

#include "dialogue/action_client.h"
#include "dialogue/agent.h"

namespace parley::dialogue {

struct StoryResult {
  std::string name;
  project::SourceLoc loc;
  bool passed = true;
  // When failed: where and how it diverged.
  project::SourceLoc failed_at;
  size_t failed_step = 0;   // 1-based step index
  std::string expected;     // e.g. "action utter_greet", "intent greet"
  std::string predicted;    // what happened instead
  std::vector<std::string> transcript;  // "user: hi [greet 0.98]", "action: utter_greet (rule)", "bot: ..."
};

// Runs one story on a fresh conversation. `client` makes custom action calls (may be null).
StoryResult run_test_story(const std::shared_ptr<const Agent>& bot, const project::Story& story,
                           ActionClient* client);

// JSON for `parley test --out`: {"passed", "failed", "stories": [...]}.
json::object story_results_json(const std::vector<StoryResult>& results);

}  // namespace parley::dialogue
