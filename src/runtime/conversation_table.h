// Conversations the engine holds in memory: each one's mailbox (messages waiting, one turn at a
// time, in arrival order: G1) and its cached tracker. The cache is bounded in bytes
// (Tracker::memory_bytes) with LRU eviction, sharded to keep locks short; a tracker whose
// conversation has a turn running is never evicted. A conversation stays in the table while it
// has a cached tracker or a message queued or running. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bot/bot.h"
#include "dialogue/tracker.h"
#include "runtime/engine.h"
#include "runtime/stats.h"
#include "store/conversation_store.h"

namespace parley::runtime {

struct PendingMessage {
  MessageRequest request;
  ReplyHandler done;
  std::chrono::steady_clock::time_point arrived;
};

struct Conversation {
  explicit Conversation(store::ConversationKey k, size_t shard_index) : key(std::move(k)), shard(shard_index) {}

  const store::ConversationKey key;
  const size_t shard;

  // Guarded by the shard's mutex.
  std::deque<PendingMessage> queue;
  bool running = false;  // a turn is posted or running; it owns the fields below until it ends
  size_t bytes = 0;      // what `tracker` counts for in the cache
  bool in_lru = false;
  std::list<Conversation*>::iterator lru;

  // Owned by the running turn while `running`; by the table (under the shard mutex) otherwise.
  std::unique_ptr<dialogue::Tracker> tracker;  // null when not cached
  std::shared_ptr<const bot::Bot> bot;         // the bot version `tracker` is bound to
  uint64_t turns = 0;                          // turns stored (valid with `tracker`)
};

class ConversationTable {
 public:
  ConversationTable(size_t cache_bytes, EngineStats& stats);
  ~ConversationTable();

  enum class Admit { kStart, kQueued, kFull };
  // Queues a message (moved from unless kFull). kStart: the conversation was idle and is now
  // running; the caller must run its next turn. kFull: the mailbox already holds `max_queue`
  // messages; nothing is queued and `message` is left as it was.
  Admit enqueue(const store::ConversationKey& key, PendingMessage& message, size_t max_queue,
                std::shared_ptr<Conversation>* conversation);
  // Takes the next message of a running conversation; its queue must not be empty.
  PendingMessage take_next(Conversation& c);
  // Ends a turn: accounts the tracker (kept in the cache, or dropped when null), evicts idle
  // trackers beyond the byte bound. True when another message is queued: the conversation
  // stays running and the caller must run its next turn.
  bool finish_turn(const std::shared_ptr<Conversation>& c);

  // Calls fn under the shard lock with the cached tracker, when the conversation has one and
  // no turn running (reads never see a half-done turn). False otherwise.
  bool with_idle_tracker(const store::ConversationKey& key,
                         const std::function<void(const dialogue::Tracker&, uint64_t turns)>& fn);

  size_t shard_count() const { return shards_.size(); }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<Conversation>> map;
    std::list<Conversation*> lru;  // most recently used first
    size_t bytes = 0;
  };
  static std::string map_key(const store::ConversationKey& key);
  void evict_over_budget(Shard& s);  // requires s.mu held
  void erase(Shard& s, Conversation& c);

  EngineStats& stats_;
  size_t shard_budget_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace parley::runtime
