// Entry point of `parley`: dispatches to the subcommands in src/cli/.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Parley: a conversational bot server for Rasa-format bots"};
  app.require_subcommand(1);
  int exit_code = 0;
  parley::cli::register_serve(app, &exit_code);
  parley::cli::register_chat(app, &exit_code);
  parley::cli::register_test(app, &exit_code);
  parley::cli::register_validate(app, &exit_code);
  parley::cli::register_migrate(app, &exit_code);
  parley::cli::register_bench(app, &exit_code);
  parley::cli::register_events(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
