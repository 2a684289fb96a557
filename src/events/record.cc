#include "events/record.h"

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "core/json.h"

namespace parley::events {

namespace {

// Parley's UUID namespace for event ids (a fixed random UUID).
const boost::uuids::uuid kNamespace = {{0x6f, 0x1c, 0x2a, 0x9e, 0x43, 0x0b, 0x4d, 0x1f, 0x9a, 0x52, 0x7e, 0x3d,
                                        0x80, 0x11, 0xc4, 0x5b}};

void append_header(std::string& out, const RecordHeader& h) {
  out += "{\"id\":\"";
  out += event_id(h.bot, h.conversation, h.seq);
  out += "\",\"type\":";
  append_json_string(out, h.type);
  out += ",\"bot\":";
  append_json_string(out, h.bot);
  out += ",\"conversation\":";
  append_json_string(out, h.conversation);
  out += ",\"seq\":";
  out += std::to_string(h.seq);
  out += ",\"turn\":";
  out += std::to_string(h.turn);
  out += ",\"ts\":";
  append_json_number(out, h.ts);
}

// The longest prefix of `s` no longer than n bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t n) {
  if (n >= s.size()) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

std::string event_id(std::string_view bot, std::string_view conversation, uint64_t seq) {
  std::string name;
  name.reserve(bot.size() + conversation.size() + 24);
  name.append(bot).push_back('\0');
  name.append(conversation).push_back('\0');
  name += std::to_string(seq);
  boost::uuids::name_generator_sha1 gen(kNamespace);
  return boost::uuids::to_string(gen(name.data(), name.size()));
}

std::string_view event_type(std::string_view rasa_event_name) {
  if (rasa_event_name == "parley_error") return "error";
  if (rasa_event_name == "parley_action_call") return "action_call";
  return rasa_event_name;
}

void append_event_record(std::string& out, const RecordHeader& h, std::string_view data, size_t max_bytes) {
  const size_t start = out.size();
  append_header(out, h);
  const size_t header = out.size() - start;
  if (header + data.size() + 10 <= max_bytes || max_bytes < kMinEventBytes) {
    out += ",\"data\":";
    out += data;
    out += '}';
    return;
  }
  // Too large: keep a preview. `data` is JSON text, so it holds no raw control characters and
  // escaping at most doubles it (quotes and backslashes): half the room left is always enough.
  static constexpr std::string_view kTail = ",\"truncated\":true,\"data\":{\"event\":\"\",\"original_bytes\":,\"preview\":\"\"}}";
  size_t used = header + kTail.size() + 32 /* event name */ + 20 /* number */;
  size_t room = max_bytes > used ? (max_bytes - used) / 2 : 0;
  std::string name;
  if (auto p = data.find("\"event\":\""); p != std::string_view::npos) {
    size_t b = p + 9;
    size_t e = data.find('"', b);
    if (e != std::string_view::npos && e - b <= 32) name = std::string(data.substr(b, e - b));
  }
  out += ",\"truncated\":true,\"data\":{\"event\":";
  append_json_string(out, name);
  out += ",\"original_bytes\":";
  out += std::to_string(data.size());
  out += ",\"preview\":";
  append_json_string(out, utf8_prefix(data, room));
  out += "}}";
}

std::optional<ParsedHeader> parse_record_header(std::string_view record) {
  boost::system::error_code ec;
  std::string_view text = record;
  std::string header;
  if (size_t end = text.find(",\"data\":"); end != std::string_view::npos) {
    header.reserve(end + 1);
    header.append(text.substr(0, end)).push_back('}');
    text = header;
  }
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  ParsedHeader h;
  if (auto s = json_str(o, "id")) h.id = *s;
  if (auto s = json_str(o, "type")) h.type = *s;
  if (auto s = json_str(o, "bot")) h.bot = *s;
  if (auto s = json_str(o, "conversation")) h.conversation = *s;
  if (auto t = json_get(o, "ts"); t && t->is_number()) h.ts = t->to_number<double>(ec);
  return h;
}

}  // namespace parley::events
