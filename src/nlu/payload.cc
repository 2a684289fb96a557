// The `/intent{...}` parser.
#include "nlu/payload.h"

#include <charconv>

#include "core/json.h"

namespace parley::nlu {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::optional<std::string> entity_value(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

}  // namespace

std::optional<IntentPayload> parse_intent_payload(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  if (begin == end || text[begin] != '/') return std::nullopt;

  size_t pos = begin + 1;
  size_t name_end = pos;
  while (name_end < end && text[name_end] != '{' && text[name_end] != '@') {
    if (is_space(text[name_end])) return std::nullopt;
    ++name_end;
  }
  if (name_end == pos) return std::nullopt;
  IntentPayload out;
  out.intent = std::string(text.substr(pos, name_end - pos));
  pos = name_end;

  if (pos < end && text[pos] == '@') {
    size_t conf_end = pos + 1;
    while (conf_end < end && text[conf_end] != '{') ++conf_end;
    double conf = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos + 1, text.data() + conf_end, conf);
    if (ec != std::errc() || ptr != text.data() + conf_end || conf < 0.0 || conf > 1.0) return std::nullopt;
    out.confidence = conf;
    pos = conf_end;
  }
  if (pos == end) return out;

  // The rest must be exactly one JSON object.
  boost::system::error_code ec;
  json::value parsed = json::parse(text.substr(pos, end - pos), ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  for (const auto& member : parsed.get_object()) {
    auto add = [&](const json::value& v) {
      auto value = entity_value(v);
      if (!value) return;
      Entity e;
      e.entity = std::string(member.key());
      e.value = *value;
      e.text = *value;
      e.start = pos;
      e.end = end;
      e.extractor = "intent_payload";
      out.entities.push_back(std::move(e));
    };
    if (member.value().is_array()) {
      for (const auto& v : member.value().get_array()) add(v);
    } else {
      add(member.value());
    }
  }
  return out;
}

}  // namespace parley::nlu
