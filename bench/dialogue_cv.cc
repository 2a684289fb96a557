// Dialogue cross-validation: for each project folder, k-fold over its stories (a deterministic
// split by story; rules and stories that start from a checkpoint always stay in training). The
// policies are compiled from the other folds, then each held-out story is walked as `rasa test`
// walks it: at every action step the next action is predicted from the story's own history, as a
// turn would predict it, compared with the story's action, and the story's events continue.
// Reports action-level accuracy for rules + memoization (core fallback when nothing predicts)
// and for rules + memoization + the learned policy (TEDPolicy).
// Usage: dialogue_cv [--folds 5] [--max-history N] [--epochs N] [--verbose] project_dir...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dialogue/learned_policy.h"
#include "dialogue/policy.h"
#include "dialogue/training_data.h"
#include "dialogue/turn.h"
#include "project/loader.h"

using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  int folds = 5;
  int max_history = 0;  // 0: the project's config
  int epochs = -1;      // -1: the project's config
  bool verbose = false; // print every wrong prediction
  std::vector<std::string> dirs;
};

struct Tally {
  size_t stories = 0, actions = 0;
  size_t memo_right = 0, learned_right = 0;
  size_t learned_used = 0, learned_used_right = 0;  // predictions the learned policy made
  double ted_ms = 0;     // the whole project: compile time with the learned policy minus without
  size_t examples = 0;  // distinct learned-policy examples of the whole project
};

// Fisher-Yates with the generator's raw outputs, as the learned policy shuffles.
void shuffle(std::vector<size_t>& v, std::mt19937& gen) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[gen() % i]);
}

bool starts_from_checkpoint(const project::Story& s) {
  return !s.steps.empty() && s.steps.front().kind == project::Step::Kind::kCheckpoint;
}

// Walks one held-out story with both policy sets, counting right predictions.
void walk(const project::Story& story, const project::Domain& domain, const dialogue::PolicySet& memo_only,
          const dialogue::PolicySet& with_learned, bool verbose, Tally& t) {
  dialogue::StepPath steps, path;
  for (const auto& s : story.steps)
    if (s.kind != project::Step::Kind::kCheckpoint) steps.push_back(&s);
  std::vector<dialogue::StepPath> paths;
  std::deque<project::Step> storage;
  dialogue::expand_or(steps, 0, path, paths, storage, 1);  // the first alternative of each `or`
  if (paths.empty()) return;
  dialogue::Tracker tracker = dialogue::story_tracker(domain);
  dialogue::StatesCache cache_a, cache_b;
  auto predict = [&](const std::string& action) {
    auto a = dialogue::predict_next_action(memo_only, tracker, cache_a, "");
    auto b = dialogue::predict_next_action(with_learned, tracker, cache_b, "");
    ++t.actions;
    t.memo_right += a.action == action;
    t.learned_right += b.action == action;
    if (verbose && (a.action != action || b.action != action))
      std::printf("  %s: expected %s, got %s (%s) / %s (%s %.2f)\n", story.name.c_str(), action.c_str(),
                  a.action.c_str(), a.policy.c_str(), b.action.c_str(), b.policy.c_str(), b.confidence);
    if (b.policy == with_learned.config().learned_policy_component) {
      ++t.learned_used;
      t.learned_used_right += b.action == action;
    }
  };
  for (const project::Step* s : paths.front()) dialogue::replay_step(*s, tracker, predict);
  if (tracker.latest_action() != "action_listen" && tracker.latest_message()) predict("action_listen");
  ++t.stories;
}

// One fold: compile on the other folds' stories, walk this fold's.
void run_fold(const project::Project& base, const std::vector<size_t>& held_out, bool verbose, Tally& t) {
  std::vector<bool> out(base.stories.size(), false);
  for (size_t i : held_out) out[i] = true;
  project::Project train = base;
  train.stories.clear();
  for (size_t i = 0; i < base.stories.size(); ++i)
    if (!out[i]) train.stories.push_back(base.stories[i]);
  std::vector<project::Diagnostic> diags;
  project::Project memo_project = train;
  memo_project.config.learned_policy_enabled = false;
  auto memo_only = dialogue::PolicySet::compile(memo_project, diags);
  train.config.learned_policy_enabled = true;
  auto with_learned = dialogue::PolicySet::compile(train, diags);
  for (size_t i : held_out) walk(base.stories[i], base.domain, *memo_only, *with_learned, verbose, t);
}

double compile_ms(const project::Project& project, bool learned, size_t* examples) {
  project::Project p = project;
  p.config.learned_policy_enabled = learned;
  std::vector<project::Diagnostic> diags;
  auto start = Clock::now();
  auto ps = dialogue::PolicySet::compile(p, diags);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (examples && ps->learned()) *examples = ps->learned()->example_count();
  return ms;
}

// The learned policy's share of compiling the whole project (best of three).
void time_training(const project::Project& project, Tally& t) {
  double with = 1e300, without = 1e300;
  for (int run = 0; run < 3; ++run) {
    with = std::min(with, compile_ms(project, true, &t.examples));
    without = std::min(without, compile_ms(project, false, nullptr));
  }
  t.ted_ms = std::max(0.0, with - without);
}

double pct(size_t a, size_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; }

void print_row(const std::string& name, const Tally& t) {
  std::printf("%-22s %7zu %8zu %9.1f%% %9.1f%% %7zu %6.1f%% %9.0f %8zu\n", name.c_str(), t.stories, t.actions,
              pct(t.memo_right, t.actions), pct(t.learned_right, t.actions), t.learned_used,
              pct(t.learned_used_right, t.learned_used), t.ted_ms, t.examples);
}

bool cross_validate(const std::string& dir, const Options& o, Tally& t) {
  project::LoadResult loaded = project::load_project(dir);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics)
      if (d.severity == project::Diagnostic::Severity::kError) {
        std::printf("skipped %s: %s\n", dir.c_str(), d.to_string().c_str());
        break;
      }
    return false;
  }
  project::Project project = std::move(loaded.project);
  project.nlu = {};  // the policies do not need it; each fold copies the project
  if (o.max_history > 0) project.config.learned_policy_max_history = o.max_history;
  if (o.epochs >= 0) project.config.learned_policy_epochs = o.epochs;
  std::vector<size_t> eligible;
  for (size_t i = 0; i < project.stories.size(); ++i)
    if (!starts_from_checkpoint(project.stories[i])) eligible.push_back(i);
  const int k = std::min<int>(o.folds, static_cast<int>(eligible.size()));
  if (k < 2) {
    std::printf("skipped %s: %zu stories to hold out\n", dir.c_str(), eligible.size());
    return false;
  }
  time_training(project, t);
  std::mt19937 gen(17);
  shuffle(eligible, gen);
  for (int f = 0; f < k; ++f) {
    std::vector<size_t> held_out;
    for (size_t j = static_cast<size_t>(f); j < eligible.size(); j += static_cast<size_t>(k))
      held_out.push_back(eligible[j]);
    run_fold(project, held_out, o.verbose, t);
  }
  return true;
}

std::string folder_name(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  auto slash = dir.find_last_of('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--folds" && i + 1 < argc) o.folds = std::atoi(argv[++i]);
    else if (a == "--max-history" && i + 1 < argc) o.max_history = std::atoi(argv[++i]);
    else if (a == "--epochs" && i + 1 < argc) o.epochs = std::atoi(argv[++i]);
    else if (a == "--verbose") o.verbose = true;
    else o.dirs.push_back(a);
  }
  if (o.dirs.empty() || o.folds < 2) {
    std::fprintf(stderr, "usage: dialogue_cv [--folds 5] [--max-history N] [--epochs N] [--verbose] project_dir...\n");
    return 2;
  }
  std::printf("%d-fold cross-validation over stories; accuracy of the predicted actions\n", o.folds);
  std::printf("%-22s %7s %8s %10s %10s %7s %7s %9s %8s\n", "project", "stories", "actions", "rule+memo",
              "+TED", "TED", "TEDok", "ted_ms", "examples");
  Tally total;
  for (const auto& dir : o.dirs) {
    Tally t;
    if (!cross_validate(dir, o, t)) continue;
    print_row(folder_name(dir), t);
    total.stories += t.stories;
    total.actions += t.actions;
    total.memo_right += t.memo_right;
    total.learned_right += t.learned_right;
    total.learned_used += t.learned_used;
    total.learned_used_right += t.learned_used_right;
    total.ted_ms = std::max(total.ted_ms, t.ted_ms);
    total.examples = std::max(total.examples, t.examples);
  }
  print_row("total", total);
  return 0;
}
