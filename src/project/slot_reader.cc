// The `slots:` section of a domain: types, values, initial values and Rasa 3 slot mappings with
// their conditions.
#include <optional>
#include <string>
#include <utility>

#include "project/readers.h"

namespace parley::project {

namespace {

std::optional<SlotType> slot_type(const std::string& s) {
  if (s == "text") return SlotType::kText;
  if (s == "bool") return SlotType::kBool;
  if (s == "categorical") return SlotType::kCategorical;
  if (s == "float") return SlotType::kFloat;
  if (s == "list") return SlotType::kList;
  if (s == "any") return SlotType::kAny;
  // Rasa resolves a type written as the class path of a built-in slot class as that type.
  static const std::pair<const char*, SlotType> kClasses[] = {
      {"TextSlot", SlotType::kText},   {"BooleanSlot", SlotType::kBool}, {"CategoricalSlot", SlotType::kCategorical},
      {"FloatSlot", SlotType::kFloat}, {"ListSlot", SlotType::kList},    {"AnySlot", SlotType::kAny},
  };
  for (const auto& [name, type] : kClasses)
    if (s == std::string("rasa.shared.core.slots.") + name || s == std::string("rasa.core.slots.") + name) return type;
  return std::nullopt;
}

std::optional<MappingType> mapping_type(const std::string& s) {
  if (s == "from_entity") return MappingType::kFromEntity;
  if (s == "from_text") return MappingType::kFromText;
  if (s == "from_intent") return MappingType::kFromIntent;
  if (s == "from_trigger_intent") return MappingType::kFromTriggerIntent;
  if (s == "custom") return MappingType::kCustom;
  return std::nullopt;
}

bool read_conditions(const yaml::Doc& doc, const YAML::Node& node, const std::string& what,
                     std::vector<MappingCondition>& out, Diags& diags) {
  if (yaml::is_null(node)) return true;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "conditions of " + what + " must be a list, not " + yaml::describe(node));
    return false;
  }
  bool ok = true;
  for (const auto& item : node) {
    if (!yaml::is_map(item)) {
      diags.error(yaml::loc(doc, item), "a condition of " + what +
                                            " must be a mapping {active_loop, requested_slot}, not " +
                                            yaml::describe(item));
      ok = false;
      continue;
    }
    MappingCondition c;
    for (const auto& e : yaml::entries(item)) {
      if (e.key == "active_loop") {
        if (yaml::is_null(e.value)) {
          c.active_loop = "";
        } else if (auto s = yaml::text(e.value)) {
          c.active_loop = *s;
        } else {
          diags.error(yaml::loc(doc, e.key_node), "active_loop in a condition of " + what +
                                                      " must be a form name or null, not " + yaml::describe(e.value));
          ok = false;
        }
      } else if (e.key == "requested_slot") {
        if (auto s = yaml::text(e.value)) {
          c.requested_slot = *s;
        } else if (!yaml::is_null(e.value)) {
          diags.error(yaml::loc(doc, e.key_node), "requested_slot in a condition of " + what +
                                                      " must be a slot name, not " + yaml::describe(e.value));
          ok = false;
        }
      } else {
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in a condition of " + what);
      }
    }
    out.push_back(std::move(c));
  }
  return ok;
}

// One item of `mappings:`. Returns false on an error (already reported).
bool read_mapping(const yaml::Doc& doc, const YAML::Node& item, const std::string& slot, SlotMapping& m,
                  Diags& diags) {
  const std::string what = "a mapping of slot '" + slot + "'";
  m.loc = yaml::loc(doc, item);
  if (!yaml::is_map(item)) {
    diags.error(m.loc, what + " must be a mapping with a 'type', not " + yaml::describe(item));
    return false;
  }
  auto type = yaml::get(item, "type");
  if (!type || yaml::is_null(*type)) {
    diags.error(m.loc, what + " has no 'type' (from_entity, from_text, from_intent, from_trigger_intent or "
                              "custom)");
    return false;
  }
  auto type_name = yaml::text(*type);
  auto t = type_name ? mapping_type(*type_name) : std::nullopt;
  if (!t) {
    diags.error(yaml::loc(doc, *type), what + " has unknown type " + yaml::describe(*type) +
                                           "; expected from_entity, from_text, from_intent, from_trigger_intent "
                                           "or custom");
    return false;
  }
  m.type = *t;
  bool ok = true;
  bool has_value = false;
  for (const auto& e : yaml::entries(item)) {
    SourceLoc at = yaml::loc(doc, e.key_node);
    if (e.key == "type") continue;
    if (e.key == "entity" || e.key == "role" || e.key == "group") {
      auto s = yaml::text(e.value);
      if (!s) {
        if (yaml::is_null(e.value) && e.key != "entity") continue;
        diags.error(at, e.key + " in " + what + " must be a name, not " + yaml::describe(e.value));
        ok = false;
        continue;
      }
      if (e.key == "entity") m.entity = *s;
      if (e.key == "role") m.role = *s;
      if (e.key == "group") m.group = *s;
    } else if (e.key == "intent") {
      if (!yaml::is_null(e.value)) ok &= yaml::string_or_list(doc, e.value, "intent in " + what, m.intents, diags);
    } else if (e.key == "not_intent") {
      if (!yaml::is_null(e.value))
        ok &= yaml::string_or_list(doc, e.value, "not_intent in " + what, m.not_intents, diags);
    } else if (e.key == "value") {
      auto v = yaml::to_json(e.value);
      if (!v) {
        diags.error(at, "value in " + what + " is nested too deeply or too large");
        ok = false;
        continue;
      }
      m.value = std::move(*v);
      has_value = true;
    } else if (e.key == "conditions") {
      ok &= read_conditions(doc, e.value, what, m.conditions, diags);
    } else if (e.key == "action" || e.key == "influence_conversation") {
      // `action` names the custom action that fills a custom mapping; Parley runs it as any action.
    } else {
      diags.warning(at, "unknown key '" + yaml::excerpt(e.key) + "' in " + what);
    }
  }
  if (m.type == MappingType::kFromEntity && m.entity.empty()) {
    diags.error(m.loc, what + " of type from_entity has no 'entity'");
    ok = false;
  }
  if ((m.type == MappingType::kFromIntent || m.type == MappingType::kFromTriggerIntent) && !has_value) {
    diags.error(m.loc, what + " of type " + *type_name + " has no 'value'");
    ok = false;
  }
  return ok;
}

// Which of min_value and max_value a slot declares.
struct Bounds {
  bool min = false;
  bool max = false;
};

// A key that applies to one slot type: `values` (categorical), `min_value` and `max_value`
// (float); another type ignores it with a warning. Returns false on an error (already reported).
bool read_typed_key(const yaml::Doc& doc, const yaml::Entry& e, const std::string& what, Slot& slot, Bounds& bounds,
                    Diags& diags) {
  SourceLoc at = yaml::loc(doc, e.key_node);
  if (e.key == "values") {
    if (slot.type != SlotType::kCategorical) {
      diags.warning(at, "'values' applies to categorical slots only; " + what + " ignores it");
      return true;
    }
    return yaml::string_list(doc, e.value, "values of " + what, slot.values, diags);
  }
  auto n = yaml::number(e.value);
  if (!n) {
    diags.error(at, e.key + " of " + what + " must be a number, not " + yaml::describe(e.value));
    return false;
  }
  if (slot.type != SlotType::kFloat) {
    diags.warning(at, "'" + yaml::excerpt(e.key) + "' applies to float slots only; " + what + " ignores it");
    return true;
  }
  (e.key == "min_value" ? slot.min_value : slot.max_value) = *n;
  (e.key == "min_value" ? bounds.min : bounds.max) = true;
  return true;
}

// The body of one slot; returns false on an error (already reported).
bool read_slot(const yaml::Doc& doc, const YAML::Node& body, Slot& slot, Diags& diags) {
  const std::string what = "slot '" + slot.name + "'";
  if (!yaml::is_map(body)) {
    diags.error(slot.loc, what + " must be a mapping with a 'type', not " + yaml::describe(body));
    return false;
  }
  auto type = yaml::get(body, "type");
  if (!type || yaml::is_null(*type)) {
    diags.error(slot.loc, what + " has no 'type' (text, bool, categorical, float, list or any)");
    return false;
  }
  auto type_name = yaml::text(*type);
  auto t = type_name ? slot_type(*type_name) : std::nullopt;
  if (!t && type_name && type_name->find('.') != std::string::npos) {
    // A custom slot class (Python code of the project): Parley cannot run it. Its values still
    // count, as a text slot's do: featurised as set or not set.
    diags.warning(yaml::loc(doc, *type), what + " has the custom slot class '" + yaml::excerpt(*type_name) +
                                             "', whose Python code Parley cannot run; it is read as a text slot");
    t = SlotType::kText;
  }
  if (!t) {
    std::string hint = type_name && *type_name == "unfeaturized"
                           ? " (Rasa 3 calls it 'any'; run `" + std::string(kMigrateCommand) +
                                 "` to rewrite a Rasa 2 domain in Rasa 3 form)"
                           : "";
    diags.error(yaml::loc(doc, *type), what + " has unknown type " + yaml::describe(*type) +
                                           "; expected text, bool, categorical, float, list or any" + hint);
    return false;
  }
  slot.type = *t;
  bool ok = true;
  Bounds bounds;
  for (const auto& e : yaml::entries(body)) {
    SourceLoc at = yaml::loc(doc, e.key_node);
    if (e.key == "type") continue;
    if (e.key == "influence_conversation") {
      if (yaml::is_null(e.value)) {  // Rasa reads an empty value as false
        slot.influence_conversation = false;
        continue;
      }
      auto b = yaml::boolean(e.value);
      if (!b) {
        diags.error(at, "influence_conversation of " + what + " must be true or false, not " +
                            yaml::describe(e.value));
        ok = false;
        continue;
      }
      slot.influence_conversation = *b;
      if (*b && slot.type == SlotType::kAny)
        diags.warning(at, what + " is of type 'any', which never influences the conversation");
    } else if (e.key == "initial_value") {
      auto v = yaml::to_json(e.value);
      if (!v) {
        diags.error(at, "initial_value of " + what + " is nested too deeply or too large");
        ok = false;
        continue;
      }
      slot.initial_value = std::move(*v);
    } else if (e.key == "values" || e.key == "min_value" || e.key == "max_value") {
      ok &= read_typed_key(doc, e, what, slot, bounds, diags);
    } else if (e.key == "mappings") {
      if (yaml::is_null(e.value)) continue;
      if (!yaml::is_seq(e.value)) {
        diags.error(at, "mappings of " + what + " must be a list, not " + yaml::describe(e.value));
        ok = false;
        continue;
      }
      for (const auto& item : e.value) {
        SlotMapping m;
        if (read_mapping(doc, item, slot.name, m, diags)) {
          slot.mappings.push_back(std::move(m));
        } else {
          ok = false;
        }
      }
    } else if (e.key == "auto_fill" || e.key == "store_entities_as_slots") {
      diags.warning(at, "'" + yaml::excerpt(e.key) + "' of " + what +
                            " is Rasa 2 syntax; Rasa 3 fills slots through 'mappings': run `" +
                            std::string(kMigrateCommand) + "` to rewrite the domain in Rasa 3 form");
    } else {
      diags.warning(at, "unknown key '" + yaml::excerpt(e.key) + "' in " + what);
    }
  }
  if (slot.type == SlotType::kAny) slot.influence_conversation = false;
  if (slot.type == SlotType::kFloat && (bounds.min || bounds.max) && slot.min_value > slot.max_value) {
    diags.error(slot.loc, what + " has min_value greater than max_value");
    ok = false;
  }
  return ok;
}

}  // namespace

void read_slots(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_map(node)) {
    diags.error(yaml::loc(doc, node), "'slots' must be a mapping of slot names, not " + yaml::describe(node));
    return;
  }
  for (const auto& entry : yaml::entries(node)) {
    Slot slot;
    slot.name = entry.key;
    slot.loc = yaml::loc(doc, entry.key_node);
    if (!read_slot(doc, entry.value, slot, diags)) continue;
    if (out.find_slot(slot.name)) {
      diags.warning(slot.loc, "slot '" + slot.name + "' is declared twice; the first declaration is kept");
      continue;
    }
    out.locs.emplace("slot:" + slot.name, slot.loc);
    out.slots.push_back(std::move(slot));
  }
}

}  // namespace parley::project
