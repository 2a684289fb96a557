// Look-ups over the domain and the lists of Rasa's built-in names.
#include "project/project.h"

#include <algorithm>
#include <array>

namespace parley::project {

namespace {
template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  for (const auto& item : items)
    if (item.name == name) return &item;
  return nullptr;
}
}  // namespace

const Intent* Domain::find_intent(std::string_view name) const { return find_named(intents, name); }
const Slot* Domain::find_slot(std::string_view name) const { return find_named(slots, name); }
const Form* Domain::find_form(std::string_view name) const { return find_named(forms, name); }

bool Domain::has_action(std::string_view name) const {
  return std::find(actions.begin(), actions.end(), name) != actions.end();
}

bool Domain::is_retrieval_action(std::string_view name) const {
  if (!name.starts_with("utter_")) return false;
  const std::string prefix = std::string(name) + "/";
  auto it = responses.lower_bound(prefix);
  return it != responses.end() && it->first.starts_with(prefix);
}

bool Domain::has_entity(std::string_view name) const {
  return std::find(entities.begin(), entities.end(), name) != entities.end();
}

bool is_default_action(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "action_listen", "action_restart", "action_session_start", "action_default_fallback",
      "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
      "action_default_ask_rephrase", "action_two_stage_fallback", "action_back",
      "action_extract_slots", "action_unlikely_intent"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

const std::vector<std::string>& duckling_dimensions() {
  static const std::vector<std::string> kDims = {
      "amount-of-money", "credit-card-number", "distance", "duration", "email",       "number", "ordinal",
      "phone-number",    "quantity",           "temperature", "time",   "url",         "volume"};
  return kDims;
}

bool duckling_builtin_dimension(std::string_view dim) {
  return dim == "email" || dim == "url" || dim == "phone-number" || dim == "number" || dim == "ordinal" ||
         dim == "amount-of-money";
}

std::string_view base_intent(std::string_view name) {
  size_t slash = name.find('/');
  return slash == std::string_view::npos || slash == 0 ? name : name.substr(0, slash);
}

bool is_default_intent(std::string_view name) {
  return name == "restart" || name == "session_start" || name == "back" || name == "nlu_fallback";
}

}  // namespace parley::project
