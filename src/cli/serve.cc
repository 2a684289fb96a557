// `parley serve`: not built yet (work in progress).
#include <iostream>
#include "cli/commands.h"

namespace parley::cli {
void register_serve(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "not available yet");
  cmd->callback([exit_code] { std::cerr << "parley serve: not available yet\n"; *exit_code = 2; });
}
}  // namespace parley::cli
