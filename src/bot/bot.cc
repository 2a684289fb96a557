// Assembling a runnable Bot: load and validate the project, train NLU, compile the policies.
#include "bot/bot.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "bot/loader.h"
#include "dialogue/policy.h"

namespace parley::bot {

namespace {
std::atomic<uint64_t> g_next_version{1};
}

BuildResult build_bot(const std::string& dir, const std::string& name) {
  BuildResult out;
  LoadResult loaded = load_project(dir);
  const bool ok = loaded.ok();
  out.diagnostics = std::move(loaded.diagnostics);
  if (!ok) return out;

  auto bot = std::make_shared<Bot>();
  bot->project = std::move(loaded.project);
  bot->name = !name.empty() ? name : std::filesystem::path(dir).lexically_normal().filename().string();
  if (bot->name.empty()) bot->name = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
  bot->project.name = bot->name;
  // Operators (and tests) point every bot at one action server without editing endpoints.yml.
  if (const char* url = std::getenv("PARLEY_ACTION_ENDPOINT"); url && *url)
    bot->project.endpoints.action_endpoint_url = url;

  nlu::TrainOptions opts;
  opts.fallback_threshold = bot->project.config.nlu_fallback_threshold;
  opts.fallback_enabled = bot->project.config.nlu_fallback_enabled;
  auto model = nlu::train(bot->project.nlu, bot->project.domain, opts);
  if (!model.ok()) {
    out.diagnostics.push_back({Diagnostic::Severity::kError, {dir, 0},
                               "NLU training failed: " + model.status().message()});
    return out;
  }
  bot->nlu = std::move(model).value();

  size_t before = out.diagnostics.size();
  bot->policies = dialogue::PolicySet::compile(bot->project, out.diagnostics);
  for (size_t i = before; i < out.diagnostics.size(); ++i)
    if (out.diagnostics[i].severity == Diagnostic::Severity::kError) return out;
  bot->version = g_next_version++;
  out.bot = std::move(bot);
  return out;
}

}  // namespace parley::bot
