// domain.yml: intents, entities, actions, forms, session_config (slots and responses have their
// own readers), merging the files of a domain/ folder, and the slots Rasa adds implicitly.
#include <algorithm>

#include "project/readers.h"

namespace parley::project {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A list item that is a name, or a one-key mapping {name: body}. Returns false (and reports) on
// any other shape.
bool named_item(const yaml::Doc& doc, const YAML::Node& item, const std::string& what, std::string& name,
                YAML::Node& body, Diags& diags) {
  if (auto s = yaml::text(item)) {
    name = *s;
    body = YAML::Node();
    return true;
  }
  auto kvs = yaml::entries(item);
  if (yaml::is_map(item) && kvs.size() == 1) {
    name = kvs[0].key;
    body = kvs[0].value;
    return true;
  }
  diags.error(yaml::loc(doc, item),
              what + " must be a name or a mapping {name: {...}} with one name, not " + yaml::describe(item));
  return false;
}

void read_intents(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'intents' must be a list, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) {
    Intent intent;
    YAML::Node body;
    if (!named_item(doc, item, "an item of 'intents'", intent.name, body, diags)) continue;
    intent.loc = yaml::loc(doc, item);
    if (!yaml::is_null(body) && !yaml::is_map(body)) {
      diags.error(intent.loc, "intent '" + intent.name + "' must map to {use_entities, ignore_entities}, not " +
                                  yaml::describe(body));
      continue;
    }
    for (const auto& e : yaml::entries(body)) {
      if (e.key == "use_entities") {
        if (auto b = yaml::boolean(e.value)) {
          intent.use_all_entities = *b;
        } else if (yaml::is_seq(e.value)) {
          intent.use_all_entities = false;
          yaml::string_list(doc, e.value, "use_entities of intent '" + intent.name + "'", intent.use_entities, diags);
        } else {
          diags.error(yaml::loc(doc, e.key_node), "use_entities of intent '" + intent.name +
                                                      "' must be true, false or a list of entities, not " +
                                                      yaml::describe(e.value));
        }
      } else if (e.key == "ignore_entities") {
        yaml::string_list(doc, e.value, "ignore_entities of intent '" + intent.name + "'", intent.ignore_entities,
                          diags);
      } else if (e.key == "triggers" || e.key == "is_retrieval_intent") {
        diags.warning(yaml::loc(doc, e.key_node), "'" + yaml::excerpt(e.key) + "' of intent '" + intent.name +
                                                      "' is not supported by Parley and is ignored");
      } else {
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in intent '" + intent.name + "'");
      }
    }
    if (out.find_intent(intent.name)) continue;
    for (const auto& ent : intent.use_entities) out.locs.emplace("intent:" + intent.name + "/entity:" + ent, intent.loc);
    for (const auto& ent : intent.ignore_entities)
      out.locs.emplace("intent:" + intent.name + "/entity:" + ent, intent.loc);
    out.locs.emplace("intent:" + intent.name, intent.loc);
    out.intents.push_back(std::move(intent));
  }
}

void read_entities(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'entities' must be a list, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) {
    std::string name;
    YAML::Node body;
    if (!named_item(doc, item, "an item of 'entities'", name, body, diags)) continue;
    if (!yaml::is_null(body) && !yaml::is_map(body)) {
      diags.error(yaml::loc(doc, item),
                  "entity '" + name + "' must map to {roles, groups}, not " + yaml::describe(body));
      continue;
    }
    for (const auto& e : yaml::entries(body)) {
      std::vector<std::string> ignored;
      if (e.key == "roles" || e.key == "groups" || e.key == "influence_conversation") {
        if (e.key != "influence_conversation")
          yaml::string_list(doc, e.value, e.key + " of entity '" + name + "'", ignored, diags);
      } else {
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in entity '" + name + "'");
      }
    }
    if (contains(out.entities, name)) continue;
    out.locs.emplace("entity:" + name, yaml::loc(doc, item));
    out.entities.push_back(name);
  }
}

void read_actions(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "'actions' must be a list, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) {
    std::string name;
    YAML::Node body;
    if (!named_item(doc, item, "an item of 'actions'", name, body, diags)) continue;
    if (contains(out.actions, name)) continue;
    out.locs.emplace("action:" + name, yaml::loc(doc, item));
    out.actions.push_back(name);
  }
}

void read_forms(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_map(node)) {
    diags.error(yaml::loc(doc, node), "'forms' must be a mapping of form names, not " + yaml::describe(node));
    return;
  }
  for (const auto& entry : yaml::entries(node)) {
    Form form;
    form.name = entry.key;
    form.loc = yaml::loc(doc, entry.key_node);
    if (!yaml::is_null(entry.value) && !yaml::is_map(entry.value)) {
      diags.error(form.loc, "form '" + form.name + "' must map to {required_slots, ignored_intents}, not " +
                                yaml::describe(entry.value));
      continue;
    }
    bool ok = true;
    for (const auto& e : yaml::entries(entry.value)) {
      if (e.key == "required_slots") {
        if (yaml::is_map(e.value)) {
          diags.error(yaml::loc(doc, e.key_node),
                      "required_slots of form '" + form.name +
                          "' is a mapping (Rasa 2 form syntax); Rasa 3 lists slot names here and puts the "
                          "mappings under each slot's 'mappings': run `" + std::string(kMigrateCommand) +
                          "` to rewrite the domain in Rasa 3 form");
          ok = false;
          continue;
        }
        ok &= yaml::string_list(doc, e.value, "required_slots of form '" + form.name + "'", form.required_slots,
                                diags);
        if (yaml::is_seq(e.value))
          for (const auto& item : e.value)
            if (auto s = yaml::text(item))
              out.locs.emplace("form:" + form.name + "/required_slot:" + *s, yaml::loc(doc, item));
      } else if (e.key == "ignored_intents") {
        if (yaml::is_null(e.value)) continue;
        ok &= yaml::string_or_list(doc, e.value, "ignored_intents of form '" + form.name + "'",
                                   form.ignored_intents, diags);
        if (yaml::is_seq(e.value)) {
          for (const auto& item : e.value)
            if (auto s = yaml::text(item))
              out.locs.emplace("form:" + form.name + "/ignored_intent:" + *s, yaml::loc(doc, item));
        } else if (auto s = yaml::text(e.value)) {
          out.locs.emplace("form:" + form.name + "/ignored_intent:" + *s, yaml::loc(doc, e.value));
        }
      } else {
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in form '" + form.name + "'");
      }
    }
    if (!ok) continue;
    if (out.find_form(form.name)) {
      diags.warning(form.loc, "form '" + form.name + "' is declared twice; the first declaration is kept");
      continue;
    }
    out.locs.emplace("form:" + form.name, form.loc);
    out.forms.push_back(std::move(form));
  }
}

void read_session_config(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_map(node)) {
    diags.error(yaml::loc(doc, node), "'session_config' must be a mapping, not " + yaml::describe(node));
    return;
  }
  for (const auto& e : yaml::entries(node)) {
    if (e.key == "session_expiration_time") {
      auto n = yaml::number(e.value);
      if (!n || *n < 0) {
        diags.error(yaml::loc(doc, e.key_node),
                    "session_expiration_time must be a number of minutes (0 or more), not " + yaml::describe(e.value));
        continue;
      }
      out.session_config.session_expiration_minutes = *n;
    } else if (e.key == "carry_over_slots_to_new_session") {
      auto b = yaml::boolean(e.value);
      if (!b) {
        diags.error(yaml::loc(doc, e.key_node),
                    "carry_over_slots_to_new_session must be true or false, not " + yaml::describe(e.value));
        continue;
      }
      out.session_config.carry_over_slots = *b;
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in session_config");
    }
  }
  out.locs["session_config"] = yaml::loc(doc, node);
}

}  // namespace

void read_domain(const yaml::Doc& doc, Domain& out, Diags& diags) {
  if (yaml::is_null(doc.root)) {
    diags.warning({doc.file, 0}, "the domain file is empty");
    return;
  }
  if (!yaml::is_map(doc.root)) {
    diags.error(yaml::loc(doc, doc.root), "a domain file must be a mapping of sections (intents, slots, "
                                          "responses, ...), not " + yaml::describe(doc.root));
    return;
  }
  for (const auto& e : yaml::entries(doc.root)) {
    if (e.key == "version") continue;
    if (e.key == "intents") {
      read_intents(doc, e.value, out, diags);
    } else if (e.key == "entities") {
      read_entities(doc, e.value, out, diags);
    } else if (e.key == "slots") {
      read_slots(doc, e.value, out, diags);
    } else if (e.key == "responses") {
      read_responses(doc, e.value, out, diags);
    } else if (e.key == "forms") {
      read_forms(doc, e.value, out, diags);
    } else if (e.key == "actions") {
      read_actions(doc, e.value, out, diags);
    } else if (e.key == "session_config") {
      read_session_config(doc, e.value, out, diags);
    } else if (e.key == "config" || e.key == "e2e_actions") {
      diags.warning(yaml::loc(doc, e.key_node), "domain section '" + yaml::excerpt(e.key) + "' is not used by Parley");
    } else {
      diags.warning(yaml::loc(doc, e.key_node), "unknown domain section '" + yaml::excerpt(e.key) + "'");
    }
  }
}

void merge_domain(Domain& into, Domain&& other, Diags& diags) {
  auto first_at = [&](const std::string& key) {
    auto it = into.locs.find(key);
    return it == into.locs.end() ? std::string() : " (first at " + it->second.to_string() + ")";
  };
  for (auto& intent : other.intents)
    if (!into.find_intent(intent.name)) into.intents.push_back(std::move(intent));
  for (auto& entity : other.entities)
    if (!contains(into.entities, entity)) into.entities.push_back(std::move(entity));
  for (auto& action : other.actions)
    if (!contains(into.actions, action)) into.actions.push_back(std::move(action));
  for (auto& slot : other.slots) {
    if (into.find_slot(slot.name)) {
      diags.warning(slot.loc, "slot '" + slot.name + "' is declared again" + first_at("slot:" + slot.name) +
                                  "; the first declaration is kept");
      continue;
    }
    into.slots.push_back(std::move(slot));
  }
  for (auto& form : other.forms) {
    if (into.find_form(form.name)) {
      diags.warning(form.loc, "form '" + form.name + "' is declared again" + first_at("form:" + form.name) +
                                  "; the first declaration is kept");
      continue;
    }
    into.forms.push_back(std::move(form));
  }
  for (auto& [name, variations] : other.responses) {
    if (into.has_response(name)) {
      auto it = other.locs.find("response:" + name);
      SourceLoc where = it != other.locs.end() ? it->second : SourceLoc{};
      diags.warning(where, "response '" + name + "' is declared again" + first_at("response:" + name) +
                               "; the first declaration is kept");
      continue;
    }
    into.responses.emplace(name, std::move(variations));
  }
  if (other.locs.count("session_config")) into.session_config = other.session_config;
  for (auto& [key, where] : other.locs) into.locs.emplace(key, where);
}

void complete_domain(Domain& domain) {
  // Rasa 3 adds this slot to every domain; action_session_start sets it from the metadata of the
  // message that started the session.
  if (!domain.find_slot("session_started_metadata")) {
    Slot slot;
    slot.name = "session_started_metadata";
    slot.type = SlotType::kAny;
    slot.influence_conversation = false;
    slot.mappings.push_back(SlotMapping{});
    domain.slots.push_back(std::move(slot));
  }
  if (!domain.forms.empty() && !domain.find_slot("requested_slot")) {
    Slot slot;
    slot.name = "requested_slot";
    slot.type = SlotType::kText;
    slot.influence_conversation = false;
    domain.slots.push_back(std::move(slot));
  }
}

}  // namespace parley::project
