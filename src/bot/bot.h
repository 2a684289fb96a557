// An immutable, ready-to-run bot: what a turn runs on (dialogue/agent.h: the project as loaded, its
// trained NLU model and its compiled dialogue policies) with its name and version. Shared by every
// conversation of the bot; replaced as a whole on reload.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dialogue/agent.h"
#include "project/loader.h"
#include "project/project.h"

namespace parley::bot {

struct Bot : dialogue::Agent {
  std::string name;
  uint64_t version = 0;  // increases with every successful (re)load in this process
};

struct BuildOptions {
  std::string model_cache;  // folder of trained models (bot/model_cache.h); "" = train every time
  project::LoadOptions load{};  // the project's size cap
};

struct BuildResult {
  std::shared_ptr<const Bot> bot;        // null when there were errors
  std::vector<project::Diagnostic> diagnostics;  // errors and warnings from loading, training, compiling
  bool models_from_cache = false;        // the learners were loaded, not trained
  double train_seconds = 0;              // training (or loading the cached models)
};

// Loads, validates, trains and compiles the project in `dir`. The bot is named after the folder
// unless `name` is given.
BuildResult build_bot(const std::string& dir, const std::string& name = {}, const BuildOptions& options = {});

// The model cache folder the CLI commands use: $PARLEY_MODEL_CACHE when set ("off" or "" for
// none), else $XDG_CACHE_HOME/parley/models or ~/.cache/parley/models; "" when neither exists.
std::string default_model_cache();

}  // namespace parley::bot
