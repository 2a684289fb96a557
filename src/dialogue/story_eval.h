// Running test stories (Rasa's tests/*.yml) against a bot, two ways:
// - evaluate_story, as `rasa test` judges a story: no action is executed. Before each action step
//   the policies predict the next action from the story's own history; the prediction is compared
//   with the story's action, then the story's events (the action, slot_was_set, active_loop, the
//   user message with its intent and entities) are applied and the evaluation goes on, so one
//   story may have several wrong predictions. NLU is compared with the story's intents and
//   entities too, and decides the result only with `e2e` (Rasa's `rasa test --e2e`).
// - run_test_story (`parley test --live`): each user text goes through NLU and a real turn, custom
//   actions are called on the action server; the story fails at its first divergence.
#pragma once

#include <string>
#include <vector>

#include "dialogue/action_client.h"
#include "dialogue/agent.h"

namespace parley::dialogue {

// One comparison of what the bot did (or would do) with what the story says.
struct StepCheck {
  enum class Kind { kAction, kIntent, kEntities, kState };  // kState: a slot or loop (live only)
  Kind kind = Kind::kAction;
  size_t step = 0;            // 1-based index of the story step it belongs to (past the last: the end)
  project::SourceLoc at;      // where that step is written
  std::string expected;       // action name, intent name, or "entity=value, ..."
  std::string predicted;      // the same for what happened
  std::string policy;         // kAction: the policy that chose `predicted`
  double confidence = 1.0;    // kAction: its confidence; kIntent: the classifier's
  std::string why;            // when wrong: what made it so (the rule, a failed call, ...)
  bool correct = true;
  bool decides = true;        // false for NLU checks outside e2e evaluation: reported only
};

struct StoryResult {
  std::string name;
  project::SourceLoc loc;
  bool passed = true;
  std::string error;                  // a story that could not run (malformed): why
  std::vector<StepCheck> checks;      // in story order
  std::vector<std::string> transcript;  // "user: hi [greet 0.98]", "action: utter_greet (rule)", ...

  // The first check that failed the story, or nullptr.
  const StepCheck* first_failure() const;
  size_t actions() const;          // action predictions made
  size_t actions_correct() const;  // of those, right
};

struct EvalOptions {
  bool e2e = false;  // NLU mismatches fail the story (rasa test --e2e)
};

// Rasa's way: predictions only, no action executed.
StoryResult evaluate_story(const Agent& bot, const project::Story& story, const EvalOptions& options = {});

// The live way: real turns on a fresh conversation. `client` makes custom action calls (may be
// null: then custom actions fail as if the server were down).
StoryResult run_test_story(const std::shared_ptr<const Agent>& bot, const project::Story& story,
                           ActionClient* client);

// A story that cannot run: failed, with its errors.
StoryResult malformed_story(const std::string& name, const project::SourceLoc& loc, std::string error);

// JSON for `parley test --out`: {"passed", "failed", "actions": {"total", "correct", "accuracy"},
// "stories": [...]}.
json::object story_results_json(const std::vector<StoryResult>& results);

// One failed story as Rasa's failed_test_stories.yml writes it: the story's steps, each wrong
// prediction marked `# predicted: X` after the step. `story` is the story `result` is about.
std::string failed_story_yaml(const project::Story& story, const StoryResult& result);

}  // namespace parley::dialogue
