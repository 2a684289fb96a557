// Dialogue states, the input of the rule and memoization policies. A state is the set of features
// that describe the conversation just before an action is chosen: the latest user intent and
// entities, the previous action, the active loop and the slots that influence the conversation.
// Features are 64-bit hashes of strings such as "intent:greet" or "slot:size=large".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialogue/tracker.h"
#include "project/project.h"

namespace parley::dialogue {

using Feature = uint64_t;
Feature feature(std::string_view text);

struct State {
  std::vector<Feature> features;  // sorted, unique
  bool has(Feature f) const;
  uint64_t hash() const;
  bool operator==(const State&) const = default;
};

// An entity's features in a state: its type, and as in Rasa's user sub-state its role and group
// (entity#role, entity#group) when it has them.
void add_entity_features(std::vector<Feature>& out, std::string_view entity, std::optional<std::string_view> role,
                         std::optional<std::string_view> group);

// Turns derived tracker states into States, for one bot's domain.
class Featurizer {
 public:
  explicit Featurizer(const project::Domain& domain) : domain_(&domain) {}

  // `for_memo`: leaves out features only rules look at (requested_slot unless it influences
  // the conversation).
  State featurize(const Tracker::Derived& d, bool for_memo) const;
  // Features of one slot value (empty when the slot does not influence the conversation or is
  // unset); `always` featurizes even slots with influence_conversation: false.
  void slot_features(const project::Slot& slot, const json::value& value, std::vector<Feature>& out,
                     bool always = false) const;
  const project::Domain& domain() const { return *domain_; }

 private:
  const project::Domain* domain_;
};

// The states of the tracker's session: one before each action executed since the first user
// message or the first bot action (session start and the initial listen are left out), then the
// current state.
std::vector<State> tracker_states(const Tracker& tracker, const Featurizer& featurizer, bool for_memo);

// The states the session would have had had it begun at its event `first` (an action): slots at
// their initial values, no earlier message. Rasa's AugmentedMemoizationPolicy looks these up.
std::vector<State> tracker_states_from(const Tracker& tracker, size_t first, const Featurizer& featurizer,
                                       bool for_memo);

// tracker_states() kept up to date across the predictions of one turn: the events applied since
// the previous call extend the states instead of replaying the whole session; when events were
// removed in between (rewind, undo, restart, the window dropping its oldest), it replays.
// One cache per tracker and featurizer; not thread-safe.
class StatesCache {
 public:
  const std::vector<State>& get(const Tracker& tracker, const Featurizer& featurizer, bool for_memo);

 private:
  struct Variant {
    bool valid = false;
    uint64_t version = 0;  // tracker.version() when last extended
    size_t size = 0;       // tracker.events().size() then
    Tracker::Derived d;    // the state after those events
    std::vector<State> states;  // states before each action, then the state after the events
  };
  Variant variants_[2];
};

// Feature names, for readable debug output.
std::string slot_feature_name(std::string_view slot);
std::string slot_value_feature_name(std::string_view slot, std::string_view value);

}  // namespace parley::dialogue
