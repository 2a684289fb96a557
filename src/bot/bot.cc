// Assembling a runnable Bot: load and validate the project, train NLU, compile the policies.
#include "bot/bot.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "bot/model_cache.h"
#include "dialogue/policy.h"
#include "project/loader.h"

namespace parley::bot {

namespace {
std::atomic<uint64_t> g_next_version{1};
}

std::string default_model_cache() {
  if (const char* v = std::getenv("PARLEY_MODEL_CACHE")) {
    std::string s = v;
    return s == "off" ? "" : s;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/parley/models";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/parley/models";
  return "";
}

BuildResult build_bot(const std::string& dir, const std::string& name, const BuildOptions& options) {
  BuildResult out;
  // Files that may not be read (links out of the project, too large) are refused before the
  // model key reads them all.
  out.diagnostics = check_project_files(dir, options.load);
  if (!out.diagnostics.empty()) return out;
  // The key is taken before loading: a file changed while loading gives a key that no longer
  // matches, so the entry written below is simply never read.
  const std::string key = options.model_cache.empty() ? std::string() : model_key(dir);
  project::LoadResult loaded = project::load_project(dir, options.load);
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

  std::optional<Blobs> cached;
  if (!key.empty()) cached = read_model_cache(options.model_cache, bot->name, key);
  LearnerCache cache;
  if (cached) cache.cached = &*cached;
  auto t0 = std::chrono::steady_clock::now();
  nlu::TrainOptions opts = nlu::train_options(bot->project.config);
  auto model = nlu::train(bot->project.nlu, bot->project.domain, opts, &cache);
  if (!model.ok()) {
    out.diagnostics.push_back({project::Diagnostic::Severity::kError, {bot->name, 0},
                               "NLU training failed: " + model.status().message()});
    return out;
  }
  bot->nlu = std::move(model).value();

  size_t before = out.diagnostics.size();
  bot->policies = dialogue::PolicySet::compile(bot->project, out.diagnostics, &cache);
  for (size_t i = before; i < out.diagnostics.size(); ++i)
    if (out.diagnostics[i].severity == project::Diagnostic::Severity::kError) return out;
  out.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.models_from_cache = cache.loaded > 0 && cache.trained == 0;
  if (!key.empty() && cache.trained > 0)
    if (Status s = write_model_cache(options.model_cache, bot->name, key, cache.saved); !s)
      out.diagnostics.push_back({project::Diagnostic::Severity::kWarning, {bot->name, 0},
                                 "the trained models were not cached: " + s.message()});
  bot->version = g_next_version++;
  out.bot = std::move(bot);
  return out;
}

}  // namespace parley::bot
