// The learned dialogue policy (Parley's TEDPolicy): a small network trained at bot load on the
// same replayed stories and rule snippets as memoization, for conversations that leave every rule
// and story. Its input is the last `max_history` states as multi-hot vectors over the features
// seen in training (one block per history position; unseen features are dropped), its output a
// softmax over the actions seen in training. Training is deterministic: the same data and options
// give the same model byte for byte. A LearnedPolicy is immutable and thread-safe after training.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dialogue/mlp.h"
#include "dialogue/prediction.h"
#include "dialogue/states.h"

namespace parley::dialogue {

struct LearnedPolicyOptions {
  std::string component = "TEDPolicy";  // the policy name its predictions carry
  int max_history = 5;                  // states per input, the current one included
  int epochs = 0;                       // 0: chosen from the number of examples
  uint64_t seed = 17;                   // initial weights and shuffling
  int hidden = 64;                      // hidden ReLU units
};

// One action step of the training data: the states before it (oldest first, as from
// tracker_states(..., for_memo=true); only the last max_history are used) and the action.
struct LearnedExample {
  std::vector<State> states;
  std::string action;
};

class LearnedPolicy {
 public:
  // Trains on `examples`; `intents` are the features ("intent:<name>") of the domain's intents, so
  // that a message with an intent no example has is left to the fallback. Duplicate examples are
  // counted once, as in Rasa. Epochs are capped so that training stays fast on big projects.
  static LearnedPolicy train(const std::vector<LearnedExample>& examples, const std::vector<Feature>& intents,
                             const LearnedPolicyOptions& options);

  // The most likely action after `states` (tracker_states(..., for_memo=true)) other than
  // `exclude` ("" = none), with its softmax probability as confidence. None when nothing was
  // learnt, when the latest message's intent never occurs in training, or when every learnt
  // action is excluded. action_listen right after a user message only if training had it there.
  std::optional<Prediction> predict(const std::vector<State>& states, std::string_view exclude) const;

  // A versioned little-endian binary form: options, vocabulary, actions, weights as floats.
  std::string to_bytes() const;
  // Reads to_bytes() output; a Corruption status for truncated, garbage or other-version bytes.
  static Result<LearnedPolicy> from_bytes(std::string_view bytes);

  size_t vocabulary_size() const { return vocabulary_.size(); }
  const std::vector<std::string>& actions() const { return actions_; }
  size_t example_count() const { return example_count_; }  // distinct training examples
  int epochs() const { return epochs_; }                    // epochs actually trained

 private:
  SparseInput encode(const std::vector<State>& states) const;
  uint32_t input_size() const;

  std::string component_;
  int max_history_ = 5;
  std::vector<Feature> vocabulary_;      // sorted; position of a feature = its input index in a block
  std::vector<std::string> actions_;     // sorted; index = network output
  std::vector<Feature> unseen_intents_;  // sorted: domain intents no training state has
  bool listens_after_user_ = false;      // some example has action_listen right after a message
  uint32_t example_count_ = 0;
  int epochs_ = 0;
  Mlp net_;
};

}  // namespace parley::dialogue
