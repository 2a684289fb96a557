// Helpers shared by the subcommands that load one bot folder.
#pragma once

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bot/bot.h"

namespace parley::cli {

// Prints diagnostics, errors and warnings, one per line, to `out`.
void print_diagnostics(const std::vector<project::Diagnostic>& diags, std::ostream& out, bool warnings = true);
// Builds the bot in `dir`, printing its diagnostics to stderr; null on error.
std::shared_ptr<const bot::Bot> load_bot_or_report(const std::string& dir, bool warnings = true);

}  // namespace parley::cli
