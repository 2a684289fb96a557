// `parley bench`: not built yet (work in progress).
#include <iostream>
#include "cli/commands.h"

namespace parley::cli {
void register_bench(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("bench", "not available yet");
  cmd->callback([exit_code] { std::cerr << "parley bench: not available yet\n"; *exit_code = 2; });
}
}  // namespace parley::cli
