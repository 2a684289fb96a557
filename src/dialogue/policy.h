// The dialogue policies, compiled once per bot from its stories and rules:
// - rules (Rasa's RulePolicy): short snippets that must match the end of the conversation;
//   their features are a subset of the tracker's (plus "must not be set" features);
// - memoization (Rasa's MemoizationPolicy): the exact last `max_history` states of every story
//   prefix, mapped to the story's next action; keys that lead to different actions are dropped.
// - the learned policy (Rasa's TEDPolicy, learned_policy.h): trained on the same stories and the
//   rules' snippets, for conversations that leave every rule and story.
// Rules take precedence over memorised stories, and both over the learned policy. A PolicySet is
// immutable and thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/blobs.h"
#include "dialogue/prediction.h"
#include "dialogue/states.h"
#include "project/project.h"

namespace parley::dialogue {

class LearnedPolicy;

// One position of a rule: features the tracker state must have and must not have.
struct RuleState {
  std::vector<Feature> required;   // sorted
  std::vector<Feature> forbidden;  // e.g. "loop", "slot:x": must be absent
  bool matches(const State& s) const;
};

struct RulePattern {
  std::vector<RuleState> states;   // oldest first; the last one is the state the action follows
  std::string action;
  bool conversation_start = false;
  std::string rule_name;
  project::SourceLoc loc;
  size_t specificity = 0;          // total number of features, for choosing between matches
  bool loop_condition = false;     // the rule requires an active loop
  size_t order = 0;                // definition order, the last tie-breaker
};

class PolicySet {
 public:
  // Compiles stories and rules. Contradicting rules (same conditions, different actions) are
  // errors; stories whose checkpoints expand too far are cut with a warning. With a model cache,
  // the learned policy is loaded from it when it holds one that loads, instead of trained (see
  // core/blobs.h).
  static std::shared_ptr<const PolicySet> compile(const project::Project& project,
                                                  std::vector<project::Diagnostic>& diagnostics,
                                                  LearnerCache* cache = nullptr);

  // Prediction from rules for the current state (last of `states`, which are rule states:
  // tracker_states(..., for_memo=false)). `exclude` is an action not to predict ("" = none).
  std::optional<Prediction> predict_rule(const std::vector<State>& states,
                                               std::string_view exclude) const;
  // Prediction from memorised stories (`states` from tracker_states(..., for_memo=true)).
  std::optional<Prediction> predict_memo(const std::vector<State>& states,
                                               std::string_view exclude) const;

  // AugmentedMemoizationPolicy's second look, when predict_memo found nothing: the session as if it
  // had begun at each of its last max_history actions in turn, oldest first (Rasa drops the
  // events before the cut, slots included), until one of these shorter histories is memorised.
  std::optional<Prediction> predict_memo_forgetting(const Tracker& tracker, std::string_view exclude) const;

  // Prediction from the learned policy (memo states, as predict_memo); none when it is disabled.
  std::optional<Prediction> predict_learned(const std::vector<State>& states,
                                                  std::string_view exclude) const;

  const Featurizer& featurizer() const { return featurizer_; }
  const project::Config& config() const { return config_; }
  size_t rule_count() const { return rules_.size(); }
  size_t memo_size() const { return memo_.size(); }
  // The trained learned policy, null when config.learned_policy_enabled is false.
  const LearnedPolicy* learned() const { return learned_.get(); }
  // True when some rule mentions `loop` in a condition and predicts `action` after an
  // interruption: used to decide whether a loop resumes by default.
  bool has_rule_with_action(std::string_view action) const;

 private:
  explicit PolicySet(const project::Domain& domain) : featurizer_(domain) {}
  uint64_t memo_key(const std::vector<State>& states, size_t end) const;

  Featurizer featurizer_;
  project::Config config_;
  std::vector<RulePattern> rules_;
  struct MemoEntry {
    std::string action;
    std::string story;
    bool ambiguous = false;
  };
  std::unordered_map<uint64_t, MemoEntry> memo_;
  int max_history_ = 5;
  std::shared_ptr<const LearnedPolicy> learned_;
};

}  // namespace parley::dialogue
