// Loading the bots folder and swapping bot versions in.
#include "runtime/bot_registry.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <filesystem>

#include "core/log.h"

namespace parley::runtime {

namespace {

bool has_errors(const std::vector<project::Diagnostic>& ds) {
  return std::any_of(ds.begin(), ds.end(),
                     [](const project::Diagnostic& d) { return d.severity == project::Diagnostic::Severity::kError; });
}

std::string error_text(const std::vector<project::Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    if (d.severity != project::Diagnostic::Severity::kError) continue;
    if (!out.empty()) out += "; ";
    out += d.to_string();
  }
  return out;
}

// A load parses YAML into many small blocks and a replaced version frees its models; glibc
// keeps freed memory in its arenas (the admin thread's among them) unless asked to give it back.
void return_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

std::shared_ptr<const BotRegistry::Table> BotRegistry::table() const {
  std::lock_guard<std::mutex> lock(mu_);
  return table_;
}

void BotRegistry::publish(std::shared_ptr<const Table> t) {
  std::lock_guard<std::mutex> lock(mu_);
  table_ = std::move(t);
}

std::shared_ptr<BotShared> BotRegistry::shared_for(const std::string& name) {
  auto& s = shared_[name];
  if (!s) {
    s = std::make_shared<BotShared>();
    s->counters = &stats_.turns(name);
  }
  return s;
}

Result<std::vector<project::Diagnostic>> BotRegistry::load_all(const std::string& bots_dir) {
  auto r = load_all_locked(bots_dir);
  return_freed_memory();
  return r;
}

Result<std::vector<project::Diagnostic>> BotRegistry::load_all_locked(const std::string& bots_dir) {
  std::lock_guard<std::mutex> load_lock(load_mu_);
  std::error_code ec;
  if (!std::filesystem::is_directory(bots_dir, ec))
    return Status::not_found("bots folder '" + bots_dir + "' does not exist");
  std::vector<std::filesystem::path> dirs;
  for (const auto& item : std::filesystem::directory_iterator(bots_dir, ec)) {
    std::string name = item.path().filename().string();
    if (item.is_directory() && !name.empty() && name[0] != '.') dirs.push_back(item.path());
  }
  if (ec) return Status::io_error("cannot list '" + bots_dir + "': " + ec.message());
  std::sort(dirs.begin(), dirs.end());

  auto next = std::make_shared<Table>();
  std::vector<project::Diagnostic> all;
  for (const auto& dir : dirs) {
    std::string name = dir.filename().string();
    bot::BuildResult built = bot::build_bot(dir.string(), name, build_);
    for (auto& d : built.diagnostics) {
      d.message = "bot '" + name + "': " + d.message;
      all.push_back(std::move(d));
    }
    if (!built.bot) {
      log(spdlog::level::warn, "bot not loaded", {{"bot", name}, {"error", error_text(built.diagnostics)}});
      continue;
    }
    log(spdlog::level::info, "bot loaded",
        {{"bot", name}, {"models", built.models_from_cache ? "from the cache" : "trained"}, {"seconds", built.train_seconds}});
    auto entry = std::make_shared<BotEntry>();
    entry->bot = std::move(built.bot);
    entry->dir = dir.string();
    entry->shared = shared_for(name);
    next->emplace(name, std::move(entry));
  }
  if (next->empty()) {
    std::string why = has_errors(all) ? error_text(all) : "it has no bot folders";
    return Status::invalid("no bot could be loaded from '" + bots_dir + "': " + why);
  }
  publish(std::move(next));
  return all;
}

Result<std::vector<project::Diagnostic>> BotRegistry::reload(const std::string& name) {
  auto r = reload_locked(name);  // the replaced version is released by now (unless a turn holds it)
  return_freed_memory();
  return r;
}

Result<std::vector<project::Diagnostic>> BotRegistry::reload_locked(const std::string& name) {
  std::lock_guard<std::mutex> load_lock(load_mu_);
  auto current = table();
  auto it = current->find(name);
  if (it == current->end()) return Status::not_found("unknown bot '" + name + "'");
  bot::BuildResult built = bot::build_bot(it->second->dir, name, build_);
  if (!built.bot)
    return Status::invalid("bot '" + name + "' was not reloaded; the running version keeps serving: " +
                           error_text(built.diagnostics));
  auto entry = std::make_shared<BotEntry>(*it->second);
  entry->bot = std::move(built.bot);
  auto next = std::make_shared<Table>(*current);
  (*next)[name] = std::move(entry);
  publish(std::move(next));
  return std::move(built.diagnostics);
}

std::shared_ptr<const BotEntry> BotRegistry::find(std::string_view name) const {
  auto t = table();
  auto it = t->find(name);
  return it == t->end() ? nullptr : it->second;
}

std::vector<BotInfo> BotRegistry::list() const {
  std::vector<BotInfo> out;
  for (const auto& [name, entry] : *table())
    out.push_back({name, entry->bot->version, std::filesystem::path(entry->dir).filename().string()});
  return out;
}

size_t BotRegistry::size() const { return table()->size(); }

}  // namespace parley::runtime
