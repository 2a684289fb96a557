// Trained models on disk, so that a restart, a replica start or a failover loads a bot's models
// in milliseconds instead of training them again. An entry is keyed by a SHA-256 of the model
// format, the executable's build id (another build of Parley trains anew) and every file
// training reads (domain, data, config), and holds the learners' bytes
// (core/blobs.h) behind a checksum: a damaged or foreign file is never loaded, only retrained.
// Entries are written atomically (a temporary file renamed into place), so replicas sharing a
// folder never read half an entry; the newest few entries of each bot are kept.
#pragma once

#include <optional>
#include <string>

#include "core/blobs.h"
#include "core/status.h"

namespace parley::bot {

// Bump when a learner's training or serialised form changes, so old entries are not reused.
constexpr int kModelFormatVersion = 1;
constexpr int kCacheEntriesPerBot = 3;

// The key of the project in `dir` as it is on disk now.
std::string model_key(const std::string& dir);

// The entry of `bot` with `key` in `cache_dir`, or nullopt (missing, unreadable or damaged).
std::optional<Blobs> read_model_cache(const std::string& cache_dir, const std::string& bot, const std::string& key);

// Writes the entry (creating the folder) and removes the bot's older entries beyond
// kCacheEntriesPerBot.
Status write_model_cache(const std::string& cache_dir, const std::string& bot, const std::string& key,
                         const Blobs& parts);

}  // namespace parley::bot
