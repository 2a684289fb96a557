#include "store/redis/layout.h"

#include <cstdio>

#include "core/hash.h"
#include "store/redis/client.h"

namespace parley::store::redis {

uint64_t conversation_hash(std::string_view bot, std::string_view conversation) {
  return fnv1a(conversation, fnv1a_byte(fnv1a(bot), 0));
}

Layout::Layout(bool cluster) : cluster_(cluster) {
  std::string g = cluster ? "parley:{parley}:" : "parley:";
  outbox = g + "outbox";
  outbox_seq = g + "outbox:seq";
  cursors = g + "cursors";
  claim = g + "relay:claim";
  health = g + "health";
  merged = g + "merged";
  dead_prefix = g + "dead:";
  if (!cluster) return;
  for (size_t p = 0; p < kClusterPartitions; ++p) {
    const size_t lo = p * kSlots / kClusterPartitions, hi = (p + 1) * kSlots / kClusterPartitions;
    for (size_t k = 0;; ++k) {
      std::string tag = "p" + std::to_string(p) + "." + std::to_string(k);
      size_t slot = key_slot(tag);
      if (slot >= lo && slot < hi) {
        tags_.push_back(tag);
        break;
      }
    }
  }
}

Keys Layout::conversation(const ConversationKey& key) const {
  uint64_t h = conversation_hash(key.bot, key.conversation);
  std::string tag;
  if (cluster_) {
    tag = tags_[h % tags_.size()];
  } else {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    tag = hex;
  }
  std::string id = std::to_string(key.bot.size()) + ":" + key.bot + key.conversation;
  std::string base = "parley:{" + tag + "}:";
  Keys k{base + "m:" + id, base + "e:" + id, base + "n:" + id, base + "s:" + id, base + "d:" + id,
         base + "l:" + id, base + "fence", outbox, outbox_seq};
  if (cluster_) {
    k.outbox = base + "outbox";
    k.outbox_seq = base + "outbox:seq";
  }
  return k;
}

}  // namespace parley::store::redis
