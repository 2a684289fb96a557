// The RocksDB store's key layout and record encodings. L(x) is x's length as a varint (LEB128)
// followed by x's bytes, so ids may hold any byte ('/' included) and two different
// (bot, conversation) pairs never share a key or a key prefix.
//
//   m/ L(bot) L(conv)                  -> meta: format byte 2, version, snapshot version, turns
//                                         (each 8 bytes big-endian)
//   e/ L(bot) L(conv) seq(8 bytes BE)  -> the events of one turn, the first being event seq
//                                         (0-based): varint count, then L(JSON text) each
//   s/ L(bot) L(conv)                  -> latest tracker snapshot (JSON text)
//   d/ L(bot) L(conv) L(message id)    -> stored reply (JSON text)
//   o/ seq(8 bytes BE)                 -> the outbox records of one turn, numbered seq, seq+1, ...
//                                         (a block like the events'); numbers are global,
//                                         increasing in commit order (gaps possible after a
//                                         failed write)
//   c/ L(sink)                         -> the sink's outbox cursor (8 bytes big-endian)
//   x/ L(sink) position(8 bytes BE)    -> a dead-lettered outbox record of the sink
//   h/                                 -> health probe (check_writable)
//
// Big-endian sequence numbers make RocksDB's byte order the numeric order, so a conversation's
// events and the outbox are read with one forward iterator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/conversation_store.h"

namespace parley::store::rocks {

struct Meta {
  uint64_t version = 0;
  uint64_t snapshot_version = 0;
  uint64_t turns = 0;
};

void put_be64(std::string& out, uint64_t v);
uint64_t get_be64(std::string_view in);  // requires in.size() >= 8

// The prefix of every event key of a conversation: "e/" L(bot) L(conv).
std::string event_prefix(const ConversationKey& key);
std::string event_key(const ConversationKey& key, uint64_t seq);
std::string meta_key(const ConversationKey& key);
std::string snapshot_key(const ConversationKey& key);
std::string dedup_key(const ConversationKey& key, std::string_view message_id);
std::string outbox_key(uint64_t seq);
inline constexpr std::string_view kOutboxPrefix = "o/";
std::string cursor_key(std::string_view sink);
std::string dead_letter_prefix(std::string_view sink);
inline constexpr std::string_view kHealthKey = "h/";

// A turn's events (or outbox records) as one value (one memtable insert per turn instead of one per event).
std::string encode_event_block(const std::vector<std::string>& events);
// Appends the block's events to `out`; false when `in` is not a well-formed block.
bool decode_event_block(std::string_view in, std::vector<std::string_view>& out);

std::string encode_meta(const Meta& m);
// False when `in` is not a meta record this version can read.
bool decode_meta(std::string_view in, Meta& out);

}  // namespace parley::store::rocks
