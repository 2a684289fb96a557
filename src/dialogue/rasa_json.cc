// Building Rasa's tracker and domain JSON.
#include "dialogue/rasa_json.h"

namespace parley::dialogue {

json::array session_events_json(const Tracker& tracker) {
  json::array out;
  out.reserve(tracker.events().size());
  for (const auto& e : tracker.events()) out.push_back(to_json(e));
  return out;
}

json::object rasa_tracker_json(const Tracker& tracker, const json::array* events) {
  json::object o;
  o["sender_id"] = tracker.sender_id();
  json::object slots;
  for (const auto& [k, v] : tracker.slots()) slots[k] = v;
  o["slots"] = std::move(slots);
  json::object latest;
  std::string channel;
  if (const Event* m = tracker.latest_message()) {
    latest = m->value.is_object() ? m->value.as_object() : json::object();
    latest["text"] = m->text;
    latest["message_id"] = m->message_id.empty() ? json::value(nullptr) : json::value(m->message_id);
    if (!latest.contains("intent")) latest["intent"] = json::object();
    if (!latest.contains("entities")) latest["entities"] = json::array();
    if (!latest.contains("metadata")) latest["metadata"] = json::object();
    channel = m->input_channel;
  } else {
    latest = {{"intent", json::object()}, {"entities", json::array()}, {"text", nullptr}};
  }
  o["latest_message"] = std::move(latest);
  o["latest_event_time"] = tracker.latest_event_time();
  o["followup_action"] = tracker.followup_action().empty() ? json::value(nullptr)
                                                           : json::value(tracker.followup_action());
  o["paused"] = false;
  o["events"] = events ? json::value(*events) : json::value(nullptr);
  o["latest_input_channel"] = channel.empty() ? json::value(nullptr) : json::value(channel);
  json::object loop;
  if (!tracker.active_loop().empty()) {
    loop["name"] = tracker.active_loop();
    loop["validate"] = true;
    loop["rejected"] = tracker.loop_rejected();
  }
  o["active_loop"] = std::move(loop);
  o["latest_action"] = tracker.latest_action().empty()
                           ? json::value(json::object())
                           : json::value(json::object{{"action_name", tracker.latest_action()}});
  o["latest_action_name"] = tracker.latest_action().empty() ? json::value(nullptr)
                                                            : json::value(tracker.latest_action());
  return o;
}

namespace {

const char* slot_type_name(project::SlotType t) {
  switch (t) {
    case project::SlotType::kText: return "text";
    case project::SlotType::kBool: return "bool";
    case project::SlotType::kCategorical: return "categorical";
    case project::SlotType::kFloat: return "float";
    case project::SlotType::kList: return "list";
    case project::SlotType::kAny: return "any";
  }
  return "any";
}

const char* mapping_type_name(project::MappingType t) {
  switch (t) {
    case project::MappingType::kFromEntity: return "from_entity";
    case project::MappingType::kFromText: return "from_text";
    case project::MappingType::kFromIntent: return "from_intent";
    case project::MappingType::kFromTriggerIntent: return "from_trigger_intent";
    case project::MappingType::kCustom: return "custom";
  }
  return "custom";
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::value(s));
  return a;
}

}  // namespace

json::object rasa_domain_json(const project::Domain& domain) {
  json::object o;
  json::array intents;
  for (const auto& i : domain.intents) {
    if (i.use_all_entities && i.ignore_entities.empty()) {
      intents.push_back(json::value(i.name));
    } else {
      json::object props{{"use_entities", i.use_all_entities ? json::value(true) : json::value(string_array(i.use_entities))}};
      if (!i.ignore_entities.empty()) props["ignore_entities"] = string_array(i.ignore_entities);
      intents.push_back(json::object{{i.name, std::move(props)}});
    }
  }
  o["intents"] = std::move(intents);
  o["entities"] = string_array(domain.entities);
  json::object slots;
  for (const auto& s : domain.slots) {
    json::object so{{"type", slot_type_name(s.type)},
                    {"initial_value", s.initial_value},
                    {"influence_conversation", s.influence_conversation}};
    if (!s.values.empty()) so["values"] = string_array(s.values);
    json::array mappings;
    for (const auto& m : s.mappings) {
      json::object mo{{"type", mapping_type_name(m.type)}};
      if (!m.entity.empty()) mo["entity"] = m.entity;
      if (!m.intents.empty()) mo["intent"] = string_array(m.intents);
      if (!m.not_intents.empty()) mo["not_intent"] = string_array(m.not_intents);
      if (!m.value.is_null()) mo["value"] = m.value;
      if (!m.conditions.empty()) {
        json::array conds;
        for (const auto& c : m.conditions) {
          json::object co;
          if (c.active_loop) co["active_loop"] = c.active_loop->empty() ? json::value(nullptr) : json::value(*c.active_loop);
          if (c.requested_slot) co["requested_slot"] = *c.requested_slot;
          conds.push_back(std::move(co));
        }
        mo["conditions"] = std::move(conds);
      }
      mappings.push_back(std::move(mo));
    }
    so["mappings"] = std::move(mappings);
    slots[s.name] = std::move(so);
  }
  o["slots"] = std::move(slots);
  json::object responses;
  for (const auto& [name, variations] : domain.responses) {
    json::array arr;
    for (const auto& v : variations) {
      json::object vo;
      if (!v.text.empty()) vo["text"] = v.text;
      if (!v.image.empty()) vo["image"] = v.image;
      if (!v.buttons.empty()) {
        json::array b;
        for (const auto& btn : v.buttons) b.push_back(json::object{{"title", btn.title}, {"payload", btn.payload}});
        vo["buttons"] = std::move(b);
      }
      if (!v.custom.is_null()) vo["custom"] = v.custom;
      arr.push_back(std::move(vo));
    }
    responses[name] = std::move(arr);
  }
  o["responses"] = std::move(responses);
  o["actions"] = string_array(domain.actions);
  json::object forms;
  for (const auto& f : domain.forms) forms[f.name] = json::object{{"required_slots", string_array(f.required_slots)}};
  o["forms"] = std::move(forms);
  o["session_config"] = json::object{{"session_expiration_time", domain.session_config.session_expiration_minutes},
                                     {"carry_over_slots_to_new_session", domain.session_config.carry_over_slots}};
  return o;
}

}  // namespace parley::dialogue
