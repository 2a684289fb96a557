// Redis key names. On one Redis node: a hash tag per conversation and ONE outbox stream that every
// turn appends to. On a Redis Cluster a Lua script may only touch keys of one slot, so a
// conversation is tagged with its partition, each partition has its own outbox stream in that
// slot, and whoever reads the outbox first merges the partitions' new records into the global
// stream (RedisStore's merge_partitions: a conditional script on the global slot, so a record is
// merged once). The names are a stored format: changing one strands every stored conversation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/conversation_store.h"

namespace parley::store::redis {

// Partitions of a Redis Cluster deployment: a conversation's keys and the outbox stream its turns
// write to share a hash tag, one of 64 spread evenly over the slots (so over the masters).
inline constexpr size_t kClusterPartitions = 64;

// The conversation's partition hash: FNV-1a of "bot\0conversation" (core/hash.h).
uint64_t conversation_hash(std::string_view bot, std::string_view conversation);

// A conversation's keys, and the outbox stream and counter its turns append to.
struct Keys {
  std::string meta, events, sizes, snapshot, dedup, lease, fence, outbox, outbox_seq;
};

class Layout {
 public:
  explicit Layout(bool cluster);

  bool cluster() const { return cluster_; }
  std::string outbox, outbox_seq, cursors, claim, health, merged, dead_prefix;
  std::string dead(const std::string& sink) const { return dead_prefix + sink; }

  size_t partitions() const { return tags_.size(); }
  std::string partition_outbox(size_t p) const { return "parley:{" + tags_[p] + "}:outbox"; }
  std::string partition_health(size_t p) const { return "parley:{" + tags_[p] + "}:health"; }

  Keys conversation(const ConversationKey& key) const;

 private:
  bool cluster_;
  std::vector<std::string> tags_;
};

}  // namespace parley::store::redis
