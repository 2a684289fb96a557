// Loading a bot for the CLI and printing what went wrong.
#include "cli/common.h"

namespace parley::cli {

void print_diagnostics(const std::vector<project::Diagnostic>& diags, std::ostream& out, bool warnings) {
  for (const auto& d : diags)
    if (warnings || d.severity == project::Diagnostic::Severity::kError) out << d.to_string() << "\n";
}

std::shared_ptr<const bot::Bot> load_bot_or_report(const std::string& dir, bool warnings) {
  auto built = bot::build_bot(dir, {}, {bot::default_model_cache()});
  print_diagnostics(built.diagnostics, std::cerr, warnings);
  return built.bot;
}

}  // namespace parley::cli
