// Choosing and rendering response variations.
#include "dialogue/responses.h"

#include <vector>

namespace parley::dialogue {

json::object BotMessage::to_rasa(std::string_view recipient_id) const {
  json::object o;
  o["recipient_id"] = recipient_id;
  if (!text.empty()) o["text"] = text;
  for (const auto& kv : data)
    if (!kv.value().is_null()) o[kv.key()] = kv.value();
  return o;
}

json::object BotMessage::to_json() const {
  json::object o;
  if (!text.empty()) o["text"] = text;
  for (const auto& kv : data)
    if (!kv.value().is_null()) o[kv.key()] = kv.value();
  return o;
}

BotMessage BotMessage::from_json(const json::object& o) {
  BotMessage m;
  for (const auto& kv : o) {
    if (kv.key() == "text" && kv.value().is_string())
      m.text = std::string(kv.value().get_string());
    else if (kv.key() != "recipient_id")
      m.data[kv.key()] = kv.value();
  }
  return m;
}

std::string fill_template(std::string_view text, const SlotMap& slots, const json::object* extra) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c == '{') {
      size_t close = text.find('}', i + 1);
      if (close != std::string_view::npos) {
        std::string_view key = text.substr(i + 1, close - i - 1);
        const json::value* v = nullptr;
        if (extra) v = json_get(*extra, key);
        if (!v) {
          auto it = slots.find(key);
          if (it != slots.end()) v = &it->second;
        }
        if (v) {
          out += json_to_display(*v);
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

namespace {

bool conditions_hold(const project::ResponseVariation& v, const Tracker& tracker) {
  for (const auto& c : v.conditions) {
    const json::value& actual = tracker.slot(c.slot);
    if (actual == c.value) continue;
    // Rasa compares Python values; a categorical slot holding "true" vs a YAML true is a common
    // near-miss, so compare displayed text case-insensitively as well.
    std::string a = json_to_display(actual), b = json_to_display(c.value);
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
        return false;
  }
  return true;
}

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

std::optional<BotMessage> render_response(const project::Domain& domain, std::string_view name,
                                          const Tracker& tracker, std::string_view channel,
                                          uint64_t seed, const json::object* extra) {
  auto it = domain.responses.find(std::string(name));
  if (it == domain.responses.end()) return std::nullopt;
  std::vector<const project::ResponseVariation*> conditional, plain;
  for (const auto& v : it->second) {
    if (!v.channel.empty() && v.channel != channel) continue;
    if (v.conditions.empty())
      plain.push_back(&v);
    else if (conditions_hold(v, tracker))
      conditional.push_back(&v);
  }
  const auto& pool = conditional.empty() ? plain : conditional;
  if (pool.empty()) return std::nullopt;
  const project::ResponseVariation& v = *pool[mix(seed) % pool.size()];
  BotMessage m;
  m.text = fill_template(v.text, tracker.slots(), extra);
  if (!v.image.empty()) m.data["image"] = fill_template(v.image, tracker.slots(), extra);
  if (!v.buttons.empty()) {
    json::array buttons;
    for (const auto& b : v.buttons)
      buttons.push_back(json::object{{"title", fill_template(b.title, tracker.slots(), extra)},
                                     {"payload", fill_template(b.payload, tracker.slots(), extra)}});
    m.data["buttons"] = std::move(buttons);
  }
  if (!v.custom.is_null()) m.data["custom"] = v.custom;
  if (!v.attachment.is_null()) m.data["attachment"] = v.attachment;
  return m;
}

}  // namespace parley::dialogue
