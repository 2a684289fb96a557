// What a turn runs on: the project as loaded, its trained NLU model and its compiled dialogue
// policies. Immutable once built and shared by every conversation; bot::Bot adds its name and
// version.
#pragma once

#include <memory>

#include "nlu/nlu.h"
#include "project/project.h"

namespace parley::dialogue {

class PolicySet;

struct Agent {
  project::Project project;
  std::shared_ptr<const nlu::Model> nlu;
  std::shared_ptr<const PolicySet> policies;

  const project::Domain& domain() const { return project.domain; }
};

}  // namespace parley::dialogue
