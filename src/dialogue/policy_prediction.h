// What a dialogue policy predicts: the next action, which policy chose it and how sure it is.
#pragma once

#include <string>

namespace parley::dialogue {

struct PolicyPrediction {
  std::string action;
  std::string policy;  // "rule", "memoization" or the learned policy's component ("TEDPolicy")
  double confidence = 1.0;
  std::string source;  // the rule or story that gave it, for debug output ("" for the learned policy)
};

}  // namespace parley::dialogue
