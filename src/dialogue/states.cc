// Featurizing tracker states.
#include "dialogue/states.h"

#include <algorithm>
#include <cctype>

#include "core/hash.h"

namespace parley::dialogue {

Feature feature(std::string_view text) { return fnv1a(text); }

bool State::has(Feature f) const { return std::binary_search(features.begin(), features.end(), f); }

// Not FNV over bytes: a word-wise mix of the features (with a shift, so that order matters).
uint64_t State::hash() const {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ features.size();
  for (Feature f : features) h = (h ^ f) * 0x100000001b3ull + (h >> 29);
  return h;
}

std::string slot_feature_name(std::string_view slot) { return "slot:" + std::string(slot); }

std::string slot_value_feature_name(std::string_view slot, std::string_view value) {
  std::string s = "slot:" + std::string(slot) + "=";
  for (char c : value) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

namespace {

bool truthy(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_string()) {
    auto s = v.get_string();
    return s == "true" || s == "True" || s == "yes" || s == "1";
  }
  if (v.is_number()) return v.to_number<double>() != 0;
  return !v.is_null();
}

bool entity_used(const project::Intent* intent, std::string_view entity) {
  if (!intent) return true;
  auto contains = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), entity) != list.end();
  };
  if (contains(intent->ignore_entities)) return false;
  if (intent->use_all_entities) return true;
  return contains(intent->use_entities);
}

}  // namespace

void Featurizer::slot_features(const project::Slot& slot, const json::value& value,
                               std::vector<Feature>& out, bool always) const {
  if (value.is_null()) return;
  if (!always && (!slot.influence_conversation || slot.type == project::SlotType::kAny)) return;
  switch (slot.type) {
    case project::SlotType::kList:
      if (value.is_array() && value.get_array().empty()) return;
      out.push_back(feature(slot_feature_name(slot.name)));
      return;
    case project::SlotType::kBool:
      out.push_back(feature(slot_feature_name(slot.name)));
      out.push_back(feature(slot_value_feature_name(slot.name, truthy(value) ? "true" : "false")));
      return;
    case project::SlotType::kCategorical: {
      out.push_back(feature(slot_feature_name(slot.name)));
      std::string v = value.is_string() ? std::string(value.get_string()) : json_to_display(value);
      std::string lower;
      for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool known = false;
      for (const auto& allowed : slot.values) {
        std::string a;
        for (char c : allowed) a += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (a == lower) known = true;
      }
      out.push_back(feature(slot_value_feature_name(slot.name, known ? lower : "__other__")));
      return;
    }
    case project::SlotType::kFloat:
      out.push_back(feature(slot_feature_name(slot.name)));
      out.push_back(feature(slot_value_feature_name(slot.name, json_to_display(value))));
      return;
    default:
      // Text and any slots count as set or not; requested_slot also by which slot it names,
      // since rules condition on it.
      out.push_back(feature(slot_feature_name(slot.name)));
      if (slot.name == "requested_slot" && value.is_string())
        out.push_back(feature(slot_value_feature_name(slot.name, value.get_string())));
      return;
  }
}

void add_entity_features(std::vector<Feature>& out, std::string_view entity, std::optional<std::string_view> role,
                         std::optional<std::string_view> group) {
  const std::string type = "entity:" + std::string(entity);
  out.push_back(feature(type));
  for (const auto& v : {role, group})
    if (v) out.push_back(feature(type + "#" + std::string(*v)));
}

State Featurizer::featurize(const Tracker::Derived& d, bool for_memo) const {
  State s;
  auto& f = s.features;
  if (d.has_message) {
    std::string_view intent = user_intent(d.latest_message);
    if (!intent.empty()) {
      f.push_back(feature("intent:" + std::string(intent)));
      const project::Intent* info = domain_->find_intent(intent);
      const auto* ents = d.latest_message.value.is_object()
                             ? json_get(d.latest_message.value.as_object(), "entities")
                             : nullptr;
      if (ents && ents->is_array()) {
        for (const auto& ent : ents->as_array()) {
          if (!ent.is_object()) continue;
          auto name = json_str(ent.as_object(), "entity");
          if (!name || !domain_->has_entity(*name) || !entity_used(info, *name)) continue;
          add_entity_features(f, *name, json_str(ent.as_object(), "role"), json_str(ent.as_object(), "group"));
        }
      }
    }
  }
  if (!d.latest_action.empty()) f.push_back(feature("prev:" + d.latest_action));
  if (!d.active_loop.empty()) {
    f.push_back(feature("loop"));
    f.push_back(feature("loop:" + d.active_loop));
  }
  for (const auto& slot : domain_->slots) {
    auto it = d.slots.find(slot.name);
    if (it == d.slots.end()) continue;
    bool rule_only = slot.name == "requested_slot" && !slot.influence_conversation;
    if (rule_only && for_memo) continue;
    slot_features(slot, it->second, f, rule_only);
  }
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return s;
}

namespace {

// The step shared by the full replay and the cache: a state before each action executed after a
// user message or after a bot action (a story may start with one: its history then differs from
// a story that starts with the user), then the event itself.
void add_event(std::vector<State>& states, Tracker::Derived& d, const Event& e, const Featurizer& f,
               bool for_memo, const project::Domain& domain) {
  const bool after_bot_action = !d.latest_action.empty() && d.latest_action != "action_session_start" &&
                                d.latest_action != "action_listen";
  if (e.type == EventType::kAction && e.name != "action_session_start" && (d.has_message || after_bot_action))
    states.push_back(f.featurize(d, for_memo));
  Tracker::apply_to(d, e, domain);
}

// The states of `events` from index `first` on, replayed from the derived state `d`.
std::vector<State> replay_states(const Tracker& tracker, Tracker::Derived d, size_t first,
                                 const Featurizer& featurizer, bool for_memo) {
  std::vector<State> states;
  const auto& domain = tracker.domain();
  const auto& events = tracker.events();
  for (size_t i = first; i < events.size(); ++i) add_event(states, d, events[i], featurizer, for_memo, domain);
  states.push_back(featurizer.featurize(d, for_memo));
  return states;
}

}  // namespace

std::vector<State> tracker_states(const Tracker& tracker, const Featurizer& featurizer, bool for_memo) {
  return replay_states(tracker, tracker.base_state(), 0, featurizer, for_memo);
}

std::vector<State> tracker_states_from(const Tracker& tracker, size_t first, const Featurizer& featurizer,
                                       bool for_memo) {
  Tracker::Derived d = Tracker::initial_state(tracker.domain());
  d.session_started = true;
  return replay_states(tracker, std::move(d), first, featurizer, for_memo);
}

const std::vector<State>& StatesCache::get(const Tracker& tracker, const Featurizer& featurizer,
                                           bool for_memo) {
  Variant& v = variants_[for_memo ? 1 : 0];
  const auto& events = tracker.events();
  const bool appended_only = v.valid && v.size <= events.size() && tracker.version() >= v.version &&
                             tracker.version() - v.version == events.size() - v.size;
  size_t from = v.size;
  if (appended_only) {
    v.states.pop_back();  // the previous "current" state
  } else {
    v.states.clear();
    v.d = tracker.base_state();
    from = 0;
  }
  const auto& domain = tracker.domain();
  for (size_t i = from; i < events.size(); ++i) add_event(v.states, v.d, events[i], featurizer, for_memo, domain);
  v.states.push_back(featurizer.featurize(v.d, for_memo));
  v.valid = true;
  v.version = tracker.version();
  v.size = events.size();
  return v.states;
}

}  // namespace parley::dialogue
