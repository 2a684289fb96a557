// `parley validate BOTDIR`: every loading check (and NLU training, policy compilation); exits
// non-zero when the project has errors.
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "dialogue/policy.h"

namespace parley::cli {

void register_validate(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("validate", "Check a Rasa-format bot project; exit 1 on errors");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("BOTDIR", *dir, "the project folder")->required();
  cmd->callback([dir, exit_code] {
    auto built = bot::build_bot(*dir, {}, {bot::default_model_cache()});
    print_diagnostics(built.diagnostics, std::cerr);
    size_t errors = 0, warnings = 0;
    for (const auto& d : built.diagnostics)
      (d.severity == project::Diagnostic::Severity::kError ? errors : warnings)++;
    if (!built.bot) {
      std::cerr << *dir << ": " << errors << " error(s), " << warnings << " warning(s)\n";
      *exit_code = 1;
      return;
    }
    const auto& d = built.bot->domain();
    std::cout << "bot '" << built.bot->name << "' is valid: " << d.intents.size() << " intents, "
              << d.entities.size() << " entities, " << d.slots.size() << " slots, " << d.responses.size()
              << " responses, " << d.forms.size() << " forms, " << d.actions.size() << " custom actions, "
              << built.bot->project.nlu.examples.size() << " NLU examples, " << built.bot->project.stories.size()
              << " stories, " << built.bot->project.rules.size() << " rules (" << warnings << " warnings)\n";
    *exit_code = 0;
  });
}

}  // namespace parley::cli
