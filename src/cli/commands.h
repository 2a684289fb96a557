// The `parley` subcommands. Each registers itself on the CLI11 app and runs when selected;
// the exit code is stored in *exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::cli {

void register_validate(CLI::App& app, int* exit_code);  // cli/validate.cc
void register_test(CLI::App& app, int* exit_code);      // cli/test.cc
void register_chat(CLI::App& app, int* exit_code);      // cli/chat.cc
void register_serve(CLI::App& app, int* exit_code);     // cli/serve.cc
void register_bench(CLI::App& app, int* exit_code);     // cli/bench.cc
void register_events(CLI::App& app, int* exit_code);    // cli/events.cc
void register_migrate(CLI::App& app, int* exit_code);   // cli/migrate.cc

}  // namespace parley::cli
