// The bots an engine serves, by name. The whole table is an immutable map behind one
// shared_ptr that is swapped atomically: readers take a reference and never see a half-loaded
// bot; a reload builds the new version beside the old one and swaps only when it is valid.
// Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bot/bot.h"
#include "core/status.h"
#include "runtime/engine.h"
#include "runtime/stats.h"

namespace parley::runtime {

// Per-bot state that survives reloads: the action-call bulkhead and the turn counters.
struct BotShared {
  std::atomic<size_t> actions_in_flight{0};
  BotTurnCounters* counters = nullptr;  // owned by EngineStats
};

struct BotEntry {
  std::shared_ptr<const bot::Bot> bot;
  std::string dir;
  std::shared_ptr<BotShared> shared;
};

class BotRegistry {
 public:
  BotRegistry(EngineStats& stats, bot::BuildOptions build = {}) : stats_(stats), build_(std::move(build)) {}

  // Loads every subfolder of `bots_dir` (hidden ones excepted) as a bot named after the folder,
  // replacing the table. Returns every diagnostic (errors of refused bots included, each
  // prefixed with the bot's name); fails with kInvalidArgument when no bot loaded, kNotFound
  // when the folder is missing.
  Result<std::vector<project::Diagnostic>> load_all(const std::string& bots_dir);
  // Loads one bot's folder again and swaps it in; kNotFound for an unknown bot, and
  // kInvalidArgument (its errors in the message) for a broken version, which is not served.
  // One load at a time: a reload waits for the one running. Memory the load and the replaced
  // version freed is handed back to the system afterwards (malloc_trim).
  Result<std::vector<project::Diagnostic>> reload(const std::string& name);

  std::shared_ptr<const BotEntry> find(std::string_view name) const;
  std::vector<BotInfo> list() const;
  size_t size() const;

 private:
  using Table = std::map<std::string, std::shared_ptr<const BotEntry>, std::less<>>;
  Result<std::vector<project::Diagnostic>> load_all_locked(const std::string& bots_dir);
  Result<std::vector<project::Diagnostic>> reload_locked(const std::string& name);
  std::shared_ptr<const Table> table() const;
  void publish(std::shared_ptr<const Table> t);
  std::shared_ptr<BotShared> shared_for(const std::string& name);

  EngineStats& stats_;
  const bot::BuildOptions build_;
  mutable std::mutex mu_;              // guards table_ (the pointer, not the map)
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
  std::mutex load_mu_;                 // one load or reload at a time
  std::map<std::string, std::shared_ptr<BotShared>> shared_;  // guarded by load_mu_
};

}  // namespace parley::runtime
