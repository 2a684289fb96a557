// The policies' training data: story paths (checkpoints joined, `or` expanded) and rule snippets
// replayed into trackers, giving the states before every action step and the action taken.
// Memoization and the learned policy learn from the same replay.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "dialogue/states.h"
#include "dialogue/tracker.h"
#include "project/project.h"

namespace parley::dialogue {

using StepPath = std::vector<const project::Step*>;

// Expands the `or` steps of steps[i..] into alternatives appended to `out` (at most `limit`
// paths). Each alternative becomes a synthetic user step kept alive in `storage`.
void expand_or(const StepPath& steps, size_t i, StepPath& current, std::vector<StepPath>& out,
               std::deque<project::Step>& storage, size_t limit);

// One action step of the training data: the states before it (tracker_states with
// for_memo=true, oldest first, the last is the state the action follows) and the action.
// `source` names the story or rule.
using RecordStep = std::function<void(const std::vector<State>& states, const std::string& action,
                                      const std::string& source)>;

// The parse data a story's user step stands for: its intent (confidence 1) and entities.
json::value parse_data_for(const project::UserStep& user);
// The value a story's slot_was_set gives a slot; the bare `- slot` form stands for any value.
json::value story_slot_value(const project::Domain& domain, const project::SlotValue& value);

// A tracker at the start of a story: session started, listening.
Tracker story_tracker(const project::Domain& domain);

// Applies one story step to `tracker` as the training data does; `before_action(action)` is
// called before each action the step executes (a user step after a bot action first executes
// action_listen).
void replay_step(const project::Step& step, Tracker& tracker, const std::function<void(const std::string&)>& before_action);

// Replays every story path from a conversation start, calling `record` before each action step
// (and for the action_listen that ends a bot turn). Stories whose checkpoints expand too far are
// cut with a warning in `diagnostics`.
void replay_stories(const std::vector<project::Story>& stories, const Featurizer& featurizer,
                    std::vector<project::Diagnostic>& diagnostics, const RecordStep& record);

// Replays every rule snippet the same way, its conditions (active loop, slots) applied first;
// `...` steps are skipped.
void replay_rules(const std::vector<project::Story>& rules, const Featurizer& featurizer, const RecordStep& record);

}  // namespace parley::dialogue
