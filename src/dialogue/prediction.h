// What a dialogue policy predicts, and why a turn chose each action (for `parley chat --debug` and
// the action events): the next action, which policy chose it and how sure it is.
#pragma once

#include <string>

namespace parley::dialogue {

struct Prediction {
  std::string action;
  // "rule", "memoization", the learned policy's component ("TEDPolicy"), or the turn loop's own:
  // "loop", "followup", "default", "fallback"
  std::string policy;
  double confidence = 1.0;
  std::string source = {};  // the rule or story that gave it, for debug output ("" otherwise)
  bool loop_condition = false;  // a rule's prediction, the rule being conditioned on an active loop
};

}  // namespace parley::dialogue
