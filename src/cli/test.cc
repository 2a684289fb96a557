// `parley test BOTDIR`: judges the test stories in BOTDIR/tests/*.yml as `rasa test` does: no
// action is executed; before each action step the policies predict from the story's own history,
// and the story's events are applied after it (dialogue/story_eval.h). Prints each story's result
// with every wrong prediction, the action-level accuracy, and "N passed, M failed"; exit 1 if any
// failed. `--e2e` counts NLU mismatches too; `--live` runs real turns instead, calling the action
// server of endpoints.yml. `--out FILE` writes the results as JSON and, beside FILE, the failed
// stories as Rasa's failed_test_stories.yml.
// `parley test BOTDIR --nlu [FILE]`: evaluates the NLU on FILE (Rasa NLU YAML), or by k-fold
// cross-validation over the project's own examples, as `rasa test nlu` does.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "actions/http_action_client.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dialogue/story_eval.h"
#include "nlu/evaluate.h"
#include "project/loader.h"

namespace parley::cli {

namespace {

bool write_json(const std::string& path, const json::object& o) {
  std::ofstream f(path);
  f << json::serialize(o) << "\n";
  if (!f) std::cerr << "cannot write " << path << "\n";
  return static_cast<bool>(f);
}

// `--nlu`: returns the exit code.
int test_nlu(const bot::Bot& bot, const std::string& file, int folds, const std::string& out) {
  nlu::NluReport report;
  if (!file.empty()) {
    std::vector<project::Diagnostic> diags;
    project::NluData test = project::load_nlu_file(file, diags);
    print_diagnostics(diags, std::cerr);
    for (const auto& d : diags)
      if (d.severity == project::Diagnostic::Severity::kError) return 2;
    if (test.examples.empty()) {
      std::cerr << file << ": no NLU examples to evaluate\n";
      return 2;
    }
    nlu::evaluate(*bot.nlu, test.examples, report);
    std::cout << "NLU of " << bot.name << " on " << file << " (" << test.examples.size() << " examples)\n";
  } else {
    const auto options = nlu::train_options(bot.project.config);
    const project::Domain& domain = bot.domain();
    Status s = nlu::cross_validate(bot.project.nlu, folds, [&](const project::NluData& data) {
      return nlu::train(data, domain, options);
    }, report);
    if (!s) {
      std::cerr << s.message() << "\n";
      return 2;
    }
    std::cout << "NLU of " << bot.name << ", " << folds << "-fold cross-validation over "
              << bot.project.nlu.examples.size() << " examples\n";
  }
  std::cout << nlu::report_text(report);
  if (!out.empty() && !write_json(out, nlu::report_json(report))) return 2;
  return 0;
}

}  // namespace

namespace {

std::string percent(size_t part, size_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

std::string describe(const dialogue::StepCheck& c) {
  using Kind = dialogue::StepCheck::Kind;
  std::string what = c.kind == Kind::kAction   ? "action "
                     : c.kind == Kind::kIntent ? "intent "
                     : c.kind == Kind::kEntities ? "entities "
                                                 : "";
  std::string line = "expected " + what + c.expected + ", got " + c.predicted;
  if (c.kind == Kind::kAction && !c.policy.empty()) line += " (" + c.policy + ")";
  if (!c.why.empty()) line += ": " + c.why;
  return line;
}

void print_result(const dialogue::StoryResult& r, bool verbose) {
  if (r.passed) {
    std::cout << "PASS  " << r.name << "\n";
  } else {
    std::cout << "FAIL  " << r.name << " (" << r.loc.to_string() << ")\n";
    if (!r.error.empty()) {
      std::string line;
      for (char ch : r.error + "\n") {
        if (ch != '\n') {
          line += ch;
          continue;
        }
        std::cout << "      cannot run: " << line << "\n";
        line.clear();
      }
    }
  }
  for (const auto& c : r.checks) {
    if (c.correct) continue;
    std::cout << "      " << (c.decides ? "" : "(not counted) ") << "step " << c.step << " at " << c.at.to_string()
              << ": " << describe(c) << "\n";
  }
  if (!r.passed || verbose)
    for (const auto& line : r.transcript) std::cout << "        " << line << "\n";
}

}  // namespace

void register_test(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("test", "Judge a bot's test stories (BOTDIR/tests/*.yml) as rasa test does");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  auto live = std::make_shared<bool>(false);
  auto e2e = std::make_shared<bool>(false);
  auto nlu_file = std::make_shared<std::string>();
  auto folds = std::make_shared<int>(5);
  cmd->add_option("BOTDIR", *dir, "the project folder")->required();
  cmd->add_option("--out", *out,
                  "write the results as JSON to this file, and the failed stories to failed_test_stories.yml beside it");
  cmd->add_flag("-v,--verbose", *verbose, "print every story's transcript");
  cmd->add_flag("--live", *live,
                "run real turns, calling the action server of endpoints.yml, instead of judging predictions as "
                "rasa test does");
  cmd->add_flag("--e2e", *e2e, "count the NLU's intents and entities too, as rasa test --e2e does");
  auto* nlu_opt = cmd->add_option("--nlu", *nlu_file,
                                  "evaluate the NLU instead of the stories: on this Rasa NLU file, or without a file "
                                  "by cross-validation over the project's examples")
                      ->expected(0, 1);
  cmd->add_option("--folds", *folds, "folds of the NLU cross-validation")->check(CLI::Range(2, 100));
  cmd->callback([dir, out, verbose, live, e2e, nlu_file, nlu_opt, folds, exit_code] {
    auto bot = load_bot_or_report(*dir, /*warnings=*/false);
    if (!bot) {
      *exit_code = 2;
      return;
    }
    if (nlu_opt->count() > 0) {
      *exit_code = test_nlu(*bot, *nlu_file, *folds, *out);
      return;
    }
    std::vector<project::Diagnostic> diags;
    project::TestStories tests = project::load_test_stories(*dir, diags);
    print_diagnostics(diags, std::cerr);
    for (const auto& d : diags)
      if (d.severity == project::Diagnostic::Severity::kError) {
        *exit_code = 2;
        return;
      }
    std::unique_ptr<dialogue::ActionClient> client;
    if (*live) client = actions::make_http_action_client();
    std::vector<dialogue::StoryResult> results;
    std::vector<const project::Story*> story_of;  // for each result, its story (null: malformed)
    dialogue::EvalOptions options;
    options.e2e = *e2e;
    for (const auto& story : tests.stories) {
      results.push_back(*live ? dialogue::run_test_story(bot, story, client.get())
                              : dialogue::evaluate_story(*bot, story, options));
      story_of.push_back(&story);
      print_result(results.back(), *verbose);
    }
    for (const auto& m : tests.malformed) {
      results.push_back(dialogue::malformed_story(m.name, m.loc, m.errors));
      story_of.push_back(nullptr);
      print_result(results.back(), *verbose);
    }
    size_t failed = 0, actions = 0, correct = 0, nlu_misses = 0;
    for (const auto& r : results) {
      failed += !r.passed;
      actions += r.actions();
      correct += r.actions_correct();
      for (const auto& c : r.checks) nlu_misses += !c.correct && !c.decides;
    }
    const size_t total = results.size();
    std::cout << "Stories: " << (total - failed) << " of " << total << " passed (" << percent(total - failed, total)
              << ")\n"
              << "Actions: " << correct << " of " << actions << " predicted right (" << percent(correct, actions)
              << ")\n";
    if (nlu_misses > 0)
      std::cout << "NLU: " << nlu_misses
                << " user messages read differently from the stories (not counted; --e2e counts them)\n";
    if (!out->empty()) {
      if (!write_json(*out, dialogue::story_results_json(results))) {
        *exit_code = 2;
        return;
      }
      namespace fs = std::filesystem;
      fs::path failed_file = fs::path(*out).parent_path() / "failed_test_stories.yml";
      std::ofstream f(failed_file);
      if (failed == 0) f << "# None of the test stories failed - all good!\n";
      else f << "version: \"3.1\"\nstories:\n";
      for (size_t i = 0; i < results.size(); ++i) {
        if (results[i].passed) continue;
        if (story_of[i]) {
          f << dialogue::failed_story_yaml(*story_of[i], results[i]);
        } else {
          f << "# story " << json::serialize(json::value(results[i].name)) << " (" << results[i].loc.to_string()
            << ") could not run:\n";
          std::string line;
          for (char ch : results[i].error + "\n") {
            if (ch != '\n') {
              line += ch;
              continue;
            }
            f << "#   " << line << "\n";
            line.clear();
          }
        }
      }
      if (!f) {
        std::cerr << "cannot write " << failed_file.string() << "\n";
        *exit_code = 2;
        return;
      }
      std::cout << "failed stories written to " << failed_file.string() << "\n";
    }
    std::cout << (total - failed) << " passed, " << failed << " failed\n";
    *exit_code = failed == 0 && total > 0 ? 0 : 1;
    if (total == 0) std::cerr << "no test stories found in " << *dir << "/tests\n";
  });
}

}  // namespace parley::cli
