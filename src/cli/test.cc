// `parley test BOTDIR`: runs the test stories in BOTDIR/tests/*.yml, prints each failing story
// with the step where it diverged, ends with "N passed, M failed"; exit 1 if any failed.
// `parley test BOTDIR --nlu [FILE]`: evaluates the NLU on FILE (Rasa NLU YAML), or by k-fold
// cross-validation over the project's own examples, as `rasa test nlu` does.
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

void register_test(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("test", "Run a bot's test stories (BOTDIR/tests/*.yml)");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  auto nlu_file = std::make_shared<std::string>();
  auto folds = std::make_shared<int>(5);
  cmd->add_option("BOTDIR", *dir, "the project folder")->required();
  cmd->add_option("--out", *out, "write the results as JSON to this file");
  cmd->add_flag("-v,--verbose", *verbose, "print every story's transcript");
  auto* nlu_opt = cmd->add_option("--nlu", *nlu_file,
                                  "evaluate the NLU instead of the stories: on this Rasa NLU file, or without a file "
                                  "by cross-validation over the project's examples")
                      ->expected(0, 1);
  cmd->add_option("--folds", *folds, "folds of the NLU cross-validation")->check(CLI::Range(2, 100));
  cmd->callback([dir, out, verbose, nlu_file, nlu_opt, folds, exit_code] {
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
    auto stories = project::load_test_stories(*dir, diags);
    print_diagnostics(diags, std::cerr);
    for (const auto& d : diags)
      if (d.severity == project::Diagnostic::Severity::kError) {
        *exit_code = 2;
        return;
      }
    auto client = actions::make_http_action_client();
    std::vector<dialogue::StoryResult> results;
    size_t failed = 0;
    for (const auto& story : stories) {
      results.push_back(dialogue::run_test_story(bot, story, client.get()));
      const auto& r = results.back();
      if (r.passed) {
        std::cout << "PASS  " << r.name << "\n";
      } else {
        ++failed;
        std::cout << "FAIL  " << r.name << " (" << r.loc.to_string() << ")\n"
                  << "      step " << r.failed_step << " at " << r.failed_at.to_string() << ": expected "
                  << r.expected << ", got " << r.predicted << "\n";
      }
      if (!r.passed || *verbose)
        for (const auto& line : r.transcript) std::cout << "        " << line << "\n";
    }
    if (!out->empty() && !write_json(*out, dialogue::story_results_json(results))) {
      *exit_code = 2;
      return;
    }
    std::cout << (stories.size() - failed) << " passed, " << failed << " failed\n";
    *exit_code = failed == 0 && !stories.empty() ? 0 : 1;
    if (stories.empty()) std::cerr << "no test stories found in " << *dir << "/tests\n";
  });
}

}  // namespace parley::cli
