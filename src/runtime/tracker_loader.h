// Rebuilding a conversation's tracker from the store: the latest snapshot, then the events
// stored after it (all events when there is no snapshot yet).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bot/bot.h"
#include "core/json.h"
#include "core/status.h"
#include "dialogue/tracker.h"
#include "store/conversation_store.h"

namespace parley::runtime {

struct LoadedTracker {
  std::unique_ptr<dialogue::Tracker> tracker;  // bound to the given bot's domain
  uint64_t turns = 0;                          // turns stored
};

// An unknown conversation gives a fresh tracker with version 0. kCorruption when a stored
// record cannot be decoded; the store's errors otherwise.
Result<LoadedTracker> load_tracker(store::ConversationStore& store, const store::ConversationKey& key,
                                   const bot::Bot& bot, size_t window);

// Stored events [from, to) as Rasa event JSON.
Result<json::array> stored_events_json(store::ConversationStore& store, const store::ConversationKey& key,
                                       uint64_t from, uint64_t to);

}  // namespace parley::runtime
