// Cross-reference checks of the domain and the NLU data: forms, slot mappings and response
// conditions must name things the domain declares; NLU data and domain should agree (warnings).
#include <map>
#include <set>

#include "project/readers.h"

namespace parley::project {

bool intent_known(const Domain& d, const std::string& name) {
  if (d.find_intent(name) || is_default_intent(name)) return true;
  return is_retrieval_intent(name) && d.find_intent(base_intent(name));  // faq/ask_name belongs to faq
}

namespace {

SourceLoc loc_or(const Domain& d, const std::string& key, const SourceLoc& fallback) {
  auto it = d.locs.find(key);
  return it == d.locs.end() ? fallback : it->second;
}

void validate_forms(const Domain& d, Diags& diags) {
  for (const auto& form : d.forms) {
    const std::string what = "form '" + form.name + "'";
    for (const auto& slot : form.required_slots) {
      SourceLoc at = loc_or(d, "form:" + form.name + "/required_slot:" + slot, form.loc);
      if (!d.find_slot(slot)) {
        diags.error(at, what + " requires slot '" + slot + "' which is not in the domain");
        continue;
      }
      if (!d.has_response("utter_ask_" + slot) && !d.has_response("utter_ask_" + form.name + "_" + slot) &&
          !d.has_action("action_ask_" + slot) && !d.has_action("action_ask_" + form.name + "_" + slot))
        diags.warning(at, what + " has no question for slot '" + slot + "': add a response 'utter_ask_" + slot +
                              "' (or an action 'action_ask_" + slot + "')");
    }
    for (const auto& intent : form.ignored_intents)
      if (!intent_known(d, intent))
        diags.error(loc_or(d, "form:" + form.name + "/ignored_intent:" + intent, form.loc),
                    what + " ignores intent '" + intent + "' which is not in the domain");
  }
}

void validate_mappings(const Domain& d, Diags& diags) {
  for (const auto& slot : d.slots) {
    const std::string what = "slot '" + slot.name + "'";
    for (const auto& m : slot.mappings) {
      if (m.type == MappingType::kFromEntity && !d.has_entity(m.entity))
        diags.error(m.loc, what + " is mapped from entity '" + m.entity + "' which is not in the domain");
      // Rasa loads such a mapping (it warns for from_intent); it never matches, so a warning here.
      for (const auto* list : {&m.intents, &m.not_intents})
        for (const auto& intent : *list)
          if (!intent_known(d, intent))
            diags.warning(m.loc, what + " has a mapping with " + (list == &m.intents ? "intent" : "not_intent") +
                                     " '" + intent + "' which is not in the domain; it never matches");
      for (const auto& c : m.conditions) {
        if (c.active_loop && !c.active_loop->empty() && !d.find_form(*c.active_loop))
          diags.error(m.loc, what + " has a mapping condition with active_loop '" + *c.active_loop +
                                 "' which is not a form in the domain");
        if (c.requested_slot && !d.find_slot(*c.requested_slot))
          diags.error(m.loc, what + " has a mapping condition with requested_slot '" + *c.requested_slot +
                                 "' which is not a slot in the domain");
      }
    }
  }
}

void validate_responses(const Domain& d, Diags& diags) {
  for (const auto& [name, variations] : d.responses)
    for (const auto& v : variations)
      for (const auto& c : v.conditions)
        if (!d.find_slot(c.slot))
          diags.error(v.loc, "response '" + name + "' has a condition on slot '" + c.slot +
                                 "' which is not in the domain");
}

void validate_intent_entities(const Domain& d, Diags& diags) {
  for (const auto& intent : d.intents)
    for (const auto* list : {&intent.use_entities, &intent.ignore_entities})
      for (const auto& e : *list)
        if (!d.has_entity(e))
          diags.warning(intent.loc, "intent '" + intent.name + "' lists entity '" + e + "' under " +
                                        (list == &intent.use_entities ? "use_entities" : "ignore_entities") +
                                        ", which is not in the domain");
}

void to_double_if_float(const Domain& d, const std::string& slot, json::value& v) {
  const Slot* s = d.find_slot(slot);
  if (s && s->type == SlotType::kFloat && v.is_int64()) v = static_cast<double>(v.get_int64());
  if (s && s->type == SlotType::kFloat && v.is_uint64()) v = static_cast<double>(v.get_uint64());
}

}  // namespace

void validate_domain(const Domain& domain, Diags& diags) {
  validate_forms(domain, diags);
  validate_mappings(domain, diags);
  validate_responses(domain, diags);
  validate_intent_entities(domain, diags);
}

void validate_nlu(const Domain& domain, const NluData& nlu, Diags& diags) {
  std::set<std::string> with_examples, warned_intents, warned_entities;
  for (const auto& ex : nlu.examples) {
    with_examples.insert(ex.intent);
    if (is_retrieval_intent(ex.intent)) {
      // A retrieval intent: its base is the domain's intent, and its answer a response of its own.
      const std::string base(base_intent(ex.intent));
      with_examples.insert(base);
      if (!domain.has_response("utter_" + ex.intent) && warned_intents.insert(ex.intent).second)
        diags.warning(ex.loc, "retrieval intent '" + ex.intent + "' has no response 'utter_" + ex.intent +
                                  "': utter_" + base + " cannot answer it");
    }
    if (!intent_known(domain, ex.intent) && warned_intents.insert(ex.intent).second)
      diags.warning(ex.loc, "intent '" + ex.intent + "' has NLU examples but is not in the domain");
    for (const auto& a : ex.entities)
      if (!domain.has_entity(a.entity) && warned_entities.insert(a.entity).second)
        diags.warning(ex.loc, "entity '" + a.entity + "' is annotated in an example of intent '" + ex.intent +
                                  "' but is not in the domain");
  }
  for (const auto& intent : domain.intents)
    if (!with_examples.count(intent.name) && !is_default_intent(intent.name))
      diags.warning(intent.loc, "intent '" + intent.name + "' has no NLU examples");
}

void normalise_slot_values(const Domain& domain, std::vector<Story>& stories) {
  auto fix = [&](std::vector<Step>& steps) {
    for (auto& step : steps)
      for (auto& sv : step.slots)
        if (!sv.any_value) to_double_if_float(domain, sv.name, sv.value);
  };
  for (auto& story : stories) {
    fix(story.steps);
    fix(story.condition);
  }
}

void normalise_slot_values(Domain& domain) {
  for (auto& slot : domain.slots) {
    if (slot.type != SlotType::kFloat) continue;
    if (slot.initial_value.is_int64()) slot.initial_value = static_cast<double>(slot.initial_value.get_int64());
  }
  for (auto& [name, variations] : domain.responses)
    for (auto& v : variations)
      for (auto& c : v.conditions) to_double_if_float(domain, c.slot, c.value);
}

}  // namespace parley::project
