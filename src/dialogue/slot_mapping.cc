// Evaluating slot mappings on the latest user message.
#include "dialogue/slot_mapping.h"

#include <algorithm>
#include <cstdlib>

namespace parley::dialogue {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool conditions_hold(const project::SlotMapping& m, std::string_view active_loop,
                     std::string_view requested_slot) {
  if (m.conditions.empty()) return true;
  for (const auto& c : m.conditions) {
    if (c.active_loop && *c.active_loop != active_loop) continue;
    if (c.requested_slot && *c.requested_slot != requested_slot) continue;
    return true;
  }
  return false;
}

bool intent_wanted(const project::SlotMapping& m, std::string_view intent) {
  if (!m.intents.empty() && !contains(m.intents, intent)) return false;
  if (contains(m.not_intents, intent)) return false;
  return true;
}

}  // namespace

std::vector<SlotCandidate> implied_slots(const project::Domain& domain,
                                         const std::vector<project::EntityAnnotation>& entities) {
  std::vector<SlotCandidate> out;
  if (entities.empty()) return out;
  for (const auto& slot : domain.slots) {
    json::array values;
    for (const auto& m : slot.mappings) {
      if (m.type != project::MappingType::kFromEntity) continue;
      if (!m.conditions.empty() && m.conditions.front().active_loop && !m.conditions.front().active_loop->empty())
        continue;
      for (const auto& e : entities)
        if (e.entity == m.entity && e.role == m.role && e.group == m.group) values.push_back(json::string(e.value));
    }
    if (values.empty()) continue;
    json::value v = slot.type == project::SlotType::kList ? json::value(std::move(values)) : values.back();
    out.push_back({slot.name, coerce_slot_value(slot, v)});
  }
  return out;
}

json::value coerce_slot_value(const project::Slot& slot, const json::value& value) {
  if (value.is_null()) return value;
  switch (slot.type) {
    case project::SlotType::kBool:
      if (value.is_string()) {
        std::string s(value.get_string());
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        if (s == "true" || s == "yes" || s == "1") return true;
        if (s == "false" || s == "no" || s == "0") return false;
      }
      return value;
    case project::SlotType::kFloat:
      if (value.is_string()) {
        std::string s(value.get_string());
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (end && *end == '\0' && !s.empty()) return d;
      }
      return value;
    case project::SlotType::kList:
      if (!value.is_array()) return json::array{value};
      return value;
    default:
      return value;
  }
}

std::vector<SlotCandidate> extract_slots(const project::Domain& domain, const Tracker& tracker,
                                         std::string_view activating_form) {
  std::vector<SlotCandidate> out;
  const Event* msg = tracker.latest_message();
  if (!msg) return out;
  std::string_view intent = user_intent(*msg);
  std::string_view loop = activating_form.empty() ? std::string_view(tracker.active_loop()) : activating_form;
  std::string_view requested = tracker.requested_slot();
  const json::array* entities = nullptr;
  if (msg->value.is_object())
    if (auto e = json_get(msg->value.as_object(), "entities"); e && e->is_array()) entities = &e->as_array();

  for (const auto& slot : domain.slots) {
    for (const auto& m : slot.mappings) {
      if (!conditions_hold(m, loop, requested) || !intent_wanted(m, intent)) continue;
      json::value value;
      bool found = false;
      switch (m.type) {
        case project::MappingType::kFromEntity: {
          // As in Rasa 3, use_entities/ignore_entities shape featurisation only, not slot mappings.
          if (!entities) break;
          json::array values;
          for (const auto& ev : *entities) {
            if (!ev.is_object()) continue;
            const auto& eo = ev.as_object();
            auto name = json_str(eo, "entity");
            if (!name || *name != m.entity) continue;
            if (m.role && json_str(eo, "role").value_or("") != *m.role) continue;
            if (m.group && json_str(eo, "group").value_or("") != *m.group) continue;
            if (auto v = json_get(eo, "value")) values.push_back(*v);
          }
          if (values.empty()) break;
          found = true;
          value = slot.type == project::SlotType::kList ? json::value(std::move(values)) : values.front();
          break;
        }
        case project::MappingType::kFromText:
          found = true;
          value = msg->text;
          break;
        case project::MappingType::kFromIntent:
          found = true;
          value = m.value;
          break;
        case project::MappingType::kFromTriggerIntent:
          if (activating_form.empty()) break;
          found = true;
          value = m.value;
          break;
        case project::MappingType::kCustom:
          break;
      }
      if (found) {
        out.push_back({slot.name, coerce_slot_value(slot, value), m.type == project::MappingType::kFromTriggerIntent});
        break;
      }
    }
  }
  return out;
}

}  // namespace parley::dialogue
