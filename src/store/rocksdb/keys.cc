// Encoding the RocksDB store's keys and meta records (layout in keys.h).
#include "store/rocksdb/keys.h"

namespace parley::store::rocks {

namespace {

constexpr char kMetaFormat = 2;  // 2: events stored as one block per turn

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_component(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

std::string conversation_key(std::string_view tag, const ConversationKey& key, size_t extra) {
  std::string out;
  out.reserve(tag.size() + key.bot.size() + key.conversation.size() + 10 + extra);
  out.append(tag);
  put_component(out, key.bot);
  put_component(out, key.conversation);
  return out;
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

}  // namespace

std::string encode_event_block(const std::vector<std::string>& events) {
  size_t bytes = 10;
  for (const auto& e : events) bytes += e.size() + 5;
  std::string out;
  out.reserve(bytes);
  put_varint(out, events.size());
  for (const auto& e : events) put_component(out, e);
  return out;
}

bool decode_event_block(std::string_view in, std::vector<std::string_view>& out) {
  uint64_t count = 0;
  if (!get_varint(in, count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    if (!get_varint(in, len) || len > in.size()) return false;
    out.push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  return in.empty();
}

void put_be64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_be64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string event_prefix(const ConversationKey& key) { return conversation_key("e/", key, 8); }

std::string event_key(const ConversationKey& key, uint64_t seq) {
  std::string out = conversation_key("e/", key, 8);
  put_be64(out, seq);
  return out;
}

std::string cursor_key(std::string_view sink) {
  std::string out = "c/";
  put_component(out, sink);
  return out;
}

std::string dead_letter_prefix(std::string_view sink) {
  std::string out = "x/";
  put_component(out, sink);
  return out;
}

std::string meta_key(const ConversationKey& key) { return conversation_key("m/", key, 0); }

std::string snapshot_key(const ConversationKey& key) { return conversation_key("s/", key, 0); }

std::string dedup_key(const ConversationKey& key, std::string_view message_id) {
  std::string out = conversation_key("d/", key, message_id.size() + 5);
  put_component(out, message_id);
  return out;
}

std::string outbox_key(uint64_t seq) {
  std::string out(kOutboxPrefix);
  put_be64(out, seq);
  return out;
}

std::string encode_meta(const Meta& m) {
  std::string out;
  out.reserve(25);
  out.push_back(kMetaFormat);
  put_be64(out, m.version);
  put_be64(out, m.snapshot_version);
  put_be64(out, m.turns);
  return out;
}

bool decode_meta(std::string_view in, Meta& out) {
  if (in.size() != 25 || in[0] != kMetaFormat) return false;
  out.version = get_be64(in.substr(1));
  out.snapshot_version = get_be64(in.substr(9));
  out.turns = get_be64(in.substr(17));
  return out.snapshot_version <= out.version;
}

}  // namespace parley::store::rocks
