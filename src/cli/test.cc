// `parley test BOTDIR`: runs the test stories in BOTDIR/tests/*.yml, prints each failing story
// with the step where it diverged, ends with "N passed, M failed"; exit 1 if any failed.
#include <fstream>
#include <iostream>

#include "bot/loader.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dialogue/story_eval.h"

namespace parley::cli {

void register_test(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("test", "Run a bot's test stories (BOTDIR/tests/*.yml)");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  cmd->add_option("BOTDIR", *dir, "the project folder")->required();
  cmd->add_option("--out", *out, "write the results as JSON to this file");
  cmd->add_flag("-v,--verbose", *verbose, "print every story's transcript");
  cmd->callback([dir, out, verbose, exit_code] {
    auto bot = load_bot_or_report(*dir, /*warnings=*/false);
    if (!bot) {
      *exit_code = 2;
      return;
    }
    std::vector<bot::Diagnostic> diags;
    auto stories = bot::load_test_stories(*dir, diags);
    print_diagnostics(diags, std::cerr);
    for (const auto& d : diags)
      if (d.severity == bot::Diagnostic::Severity::kError) {
        *exit_code = 2;
        return;
      }
    auto client = dialogue::make_http_action_client();
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
    if (!out->empty()) {
      std::ofstream f(*out);
      f << json::serialize(dialogue::story_results_json(results)) << "\n";
      if (!f) {
        std::cerr << "cannot write " << *out << "\n";
        *exit_code = 2;
        return;
      }
    }
    std::cout << (stories.size() - failed) << " passed, " << failed << " failed\n";
    *exit_code = failed == 0 && !stories.empty() ? 0 : 1;
    if (stories.empty()) std::cerr << "no test stories found in " << *dir << "/tests\n";
  });
}

}  // namespace parley::cli
