// Mailboxes and the byte-bounded tracker cache, sharded by conversation.
#include "runtime/conversation_table.h"

#include <algorithm>
#include <functional>

namespace parley::runtime {

namespace {
// Caches smaller than this per shard use fewer shards, so one tracker still fits in a shard.
constexpr size_t kMinShardBytes = 4u << 20;
constexpr size_t kMaxShards = 16;
}  // namespace

ConversationTable::ConversationTable(size_t cache_bytes, EngineStats& stats) : stats_(stats) {
  size_t n = std::clamp<size_t>(cache_bytes / kMinShardBytes, 1, kMaxShards);
  shard_budget_ = cache_bytes / n;
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

ConversationTable::~ConversationTable() {
  for (auto& s : shards_) {
    stats_.cache_bytes.fetch_sub(static_cast<int64_t>(s->bytes), std::memory_order_relaxed);
    stats_.cache_entries.fetch_sub(static_cast<int64_t>(s->lru.size()), std::memory_order_relaxed);
  }
}

std::string ConversationTable::map_key(const store::ConversationKey& key) {
  std::string k = std::to_string(key.bot.size());
  k.reserve(k.size() + 1 + key.bot.size() + key.conversation.size());
  k.push_back(':');
  k.append(key.bot);
  k.append(key.conversation);
  return k;
}

ConversationTable::Admit ConversationTable::enqueue(const store::ConversationKey& key, PendingMessage& message,
                                                    size_t max_queue, std::shared_ptr<Conversation>* conversation) {
  std::string mk = map_key(key);
  size_t index = std::hash<std::string>{}(mk) % shards_.size();
  Shard& s = *shards_[index];
  std::lock_guard<std::mutex> lock(s.mu);
  auto& slot = s.map[mk];
  if (!slot) slot = std::make_shared<Conversation>(key, index);
  Conversation& c = *slot;
  if (c.queue.size() >= max_queue) {
    if (!c.running && !c.tracker) s.map.erase(mk);  // only possible with max_queue == 0
    return Admit::kFull;
  }
  c.queue.push_back(std::move(message));
  *conversation = slot;
  if (c.running) return Admit::kQueued;
  c.running = true;
  stats_.active_conversations.fetch_add(1, std::memory_order_relaxed);
  return Admit::kStart;
}

PendingMessage ConversationTable::take_next(Conversation& c) {
  Shard& s = *shards_[c.shard];
  std::lock_guard<std::mutex> lock(s.mu);
  PendingMessage m = std::move(c.queue.front());
  c.queue.pop_front();
  return m;
}

void ConversationTable::erase(Shard& s, Conversation& c) {
  auto it = s.map.find(map_key(c.key));
  if (it != s.map.end() && it->second.get() == &c) s.map.erase(it);
}

bool ConversationTable::finish_turn(const std::shared_ptr<Conversation>& cp) {
  Conversation& c = *cp;
  Shard& s = *shards_[c.shard];
  std::lock_guard<std::mutex> lock(s.mu);
  size_t bytes = c.tracker ? c.tracker->memory_bytes() : 0;
  s.bytes = s.bytes - c.bytes + bytes;
  stats_.cache_bytes.fetch_add(static_cast<int64_t>(bytes) - static_cast<int64_t>(c.bytes), std::memory_order_relaxed);
  c.bytes = bytes;
  if (c.tracker) {
    if (c.in_lru) {
      s.lru.splice(s.lru.begin(), s.lru, c.lru);
    } else {
      s.lru.push_front(&c);
      c.lru = s.lru.begin();
      c.in_lru = true;
      stats_.cache_entries.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (c.in_lru) {
    s.lru.erase(c.lru);
    c.in_lru = false;
    stats_.cache_entries.fetch_sub(1, std::memory_order_relaxed);
  }
  bool more = !c.queue.empty();
  if (!more) {
    c.running = false;
    stats_.active_conversations.fetch_sub(1, std::memory_order_relaxed);
  }
  evict_over_budget(s);
  if (!more && !c.tracker) erase(s, c);
  return more;
}

void ConversationTable::evict_over_budget(Shard& s) {
  auto it = s.lru.end();
  while (s.bytes > shard_budget_ && it != s.lru.begin()) {
    --it;
    Conversation& c = **it;
    if (c.running) continue;  // its turn owns the tracker
    s.bytes -= c.bytes;
    stats_.cache_bytes.fetch_sub(static_cast<int64_t>(c.bytes), std::memory_order_relaxed);
    stats_.cache_entries.fetch_sub(1, std::memory_order_relaxed);
    stats_.cache_evictions.fetch_add(1, std::memory_order_relaxed);
    c.bytes = 0;
    c.tracker.reset();
    c.bot.reset();
    c.in_lru = false;
    it = s.lru.erase(it);
    // Not running, so its queue is empty: nothing keeps it in the table.
    erase(s, c);
  }
}

bool ConversationTable::with_idle_tracker(const store::ConversationKey& key,
                                          const std::function<void(const dialogue::Tracker&, uint64_t)>& fn) {
  std::string mk = map_key(key);
  Shard& s = *shards_[std::hash<std::string>{}(mk) % shards_.size()];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(mk);
  if (it == s.map.end()) return false;
  Conversation& c = *it->second;
  if (c.running || !c.tracker) return false;
  fn(*c.tracker, c.turns);
  return true;
}

}  // namespace parley::runtime
