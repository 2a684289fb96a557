// The Rasa 2.x -> 3.x domain rewrite behind `parley migrate`, rule for rule as Rasa 3's
// `rasa data migrate` does it, so that a team moving to Parley gets the domain Rasa would give
// them. Works on the YAML trees (not on Domain) so that everything it does not rewrite is
// written back as it was read.
#include "project/migrate.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/json.h"
#include "project/readers.h"

namespace parley::project {

bool DomainMigration::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

namespace {

// The version Rasa 3.1 and later write (LATEST_TRAINING_DATA_FORMAT_VERSION).
constexpr const char* kMigratedVersion = "3.1";

YAML::Node string_scalar(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("!");
  return n;
}

// Equal as Rasa compares two mappings read from YAML (Python dicts): same keys, same values.
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  auto ja = yaml::to_json(a), jb = yaml::to_json(b);
  return ja && jb && *ja == *jb;
}

std::string short_value(const YAML::Node& v) {
  if (auto s = yaml::text(v)) return *s;
  if (yaml::is_seq(v)) {
    std::string out;
    for (const auto& item : v) out += (out.empty() ? "" : ", ") + short_value(item);
    return "[" + out + "]";
  }
  return yaml::describe(v);
}

// "from_entity (entity: city, role: from)", for the lines that say what changed.
std::string describe_mapping(const YAML::Node& m) {
  auto type = yaml::get(m, "type");
  std::string out = type && yaml::text(*type) ? *yaml::text(*type) : "(no type)";
  std::string details;
  for (const auto& e : yaml::entries(m)) {
    if (e.key == "type" || e.key == "conditions") continue;
    details += (details.empty() ? "" : ", ") + e.key + ": " + yaml::excerpt(short_value(e.value));
  }
  return details.empty() ? out : out + " (" + details + ")";
}

// A mapping's keys in order without `conditions`.
YAML::Node without_conditions(const YAML::Node& m) {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : m)
    if (yaml::text(kv.first) != "conditions") out.force_insert(kv.first, kv.second);
  return out;
}

// `m` with `condition` appended to its conditions, which move to the end as in Rasa's output.
YAML::Node with_condition(const YAML::Node& m, const YAML::Node& condition, bool keep_old) {
  YAML::Node out = without_conditions(m);
  YAML::Node conditions(YAML::NodeType::Sequence);
  if (keep_old)
    if (auto old = yaml::get(m, "conditions"); old && yaml::is_seq(*old))
      for (const auto& c : *old) conditions.push_back(c);
  conditions.push_back(condition);
  out["conditions"] = conditions;
  return out;
}

struct SlotDecl {
  std::string name;
  YAML::Node key;   // the name as written, its quoting kept for the conditions that name it
  YAML::Node body;  // as read
  std::vector<YAML::Node> mappings;  // as they will be written
  bool mappings_changed = false;
};

class Migrator {
 public:
  Migrator(std::vector<yaml::Doc> docs, DomainMigration& out) : docs_(std::move(docs)), out_(out), diags_(out.diagnostics) {}

  void run() {
    for (const auto& doc : docs_) collect(doc);
    if (diags_.error_count()) return;
    std::vector<std::optional<YAML::Node>> new_forms(docs_.size());
    for (size_t i = 0; i < docs_.size(); ++i)
      if (auto forms = section(docs_[i], "forms")) new_forms[i] = migrate_forms(docs_[i], *forms);
    if (diags_.error_count()) return;
    std::map<std::string, YAML::Node> new_slots;
    for (auto& slot : slots_) new_slots.emplace(slot.name, migrate_slot(slot));
    for (size_t i = 0; i < docs_.size(); ++i) write(docs_[i], new_forms[i], new_slots);
  }

 private:
  std::optional<YAML::Node> section(const yaml::Doc& doc, std::string_view key) {
    auto v = yaml::get(doc.root, key);
    if (!v || yaml::is_null(*v)) return std::nullopt;
    return v;
  }

  // Entities (by name, with or without roles) and slots of one file.
  void collect(const yaml::Doc& doc) {
    if (yaml::is_null(doc.root)) return;
    if (!yaml::is_map(doc.root)) {
      diags_.error(yaml::loc(doc, doc.root), "a domain file must be a mapping of sections (intents, slots, "
                                             "responses, ...), not " + yaml::describe(doc.root));
      return;
    }
    if (auto entities = section(doc, "entities"); entities && yaml::is_seq(*entities)) {
      for (const auto& item : *entities) {
        if (auto s = yaml::text(item)) entity_names_.push_back(*s);
        else if (yaml::is_map(item) && item.size() == 1) entity_names_.push_back(yaml::entries(item)[0].key);
      }
    }
    auto slots = section(doc, "slots");
    if (!slots) return;
    if (!yaml::is_map(*slots)) {
      diags_.error(yaml::loc(doc, *slots), "'slots' must be a mapping of slot names, not " + yaml::describe(*slots));
      return;
    }
    for (const auto& e : yaml::entries(*slots)) {
      if (slot_index_.count(e.key) || !yaml::is_map(e.value)) continue;  // the loader reports both
      SlotDecl slot{e.key, e.key_node, e.value, {}, false};
      if (auto m = yaml::get(e.value, "mappings"); m && !yaml::is_null(*m)) {
        if (!yaml::is_seq(*m)) {
          diags_.error(yaml::loc(doc, *m), "mappings of slot '" + e.key + "' must be a list, not " + yaml::describe(*m));
          continue;
        }
        for (const auto& item : *m) slot.mappings.push_back(item);
      }
      slot_index_.emplace(e.key, slots_.size());
      slots_.push_back(std::move(slot));
    }
  }

  YAML::Node migrate_forms(const yaml::Doc& doc, const YAML::Node& forms) {
    if (!yaml::is_map(forms)) {
      diags_.error(yaml::loc(doc, forms), "'forms' must be a mapping of form names, not " + yaml::describe(forms));
      return forms;
    }
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& e : yaml::entries(forms)) out.force_insert(e.key_node, migrate_form(doc, e));
    return out;
  }

  // One form: Rasa 3 form as is; Rasa 2 `required_slots: {slot: [mappings]}`, or the slots
  // directly under the form (the oldest 2.x syntax), moved onto the slots.
  YAML::Node migrate_form(const yaml::Doc& doc, const yaml::Entry& form) {
    const std::string what = "form '" + form.key + "'";
    if (yaml::is_null(form.value)) return form.value;
    if (!yaml::is_map(form.value)) {
      diags_.error(yaml::loc(doc, form.key_node), what + " must map to {required_slots, ignored_intents}, not " +
                                                      yaml::describe(form.value));
      return form.value;
    }
    std::optional<YAML::Node> ignored_intents;
    std::vector<yaml::Entry> slot_entries;
    std::vector<std::string> dropped;
    auto required = yaml::get(form.value, "required_slots");
    if (required && (yaml::is_seq(*required) || yaml::is_null(*required))) return form.value;  // 3.x already
    for (const auto& e : yaml::entries(form.value)) {
      if (e.key == "ignored_intents") {
        ignored_intents.emplace(e.value);
      } else if (e.key == "required_slots") {
        if (!yaml::is_map(e.value)) {
          diags_.error(yaml::loc(doc, e.key_node), "required_slots of " + what +
                                                       " must map slot names to their mappings (Rasa 2) or list "
                                                       "slot names (Rasa 3), not " + yaml::describe(e.value));
          return form.value;
        }
        for (auto& s : yaml::entries(e.value)) slot_entries.push_back(std::move(s));
      } else if (!required) {
        slot_entries.push_back(e);
      } else {
        dropped.push_back(e.key);
      }
    }
    YAML::Node names(YAML::NodeType::Sequence);
    std::string listed;
    for (const auto& s : slot_entries) {
      move_mappings(doc, form, s);
      names.push_back(s.key_node);
      listed += (listed.empty() ? "" : ", ") + s.key;
    }
    YAML::Node out(YAML::NodeType::Map);
    out["required_slots"] = names;
    // Rasa keeps ignored_intents only when it names some.
    if (ignored_intents && !yaml::is_null(*ignored_intents) &&
        !(yaml::is_seq(*ignored_intents) && ignored_intents->size() == 0))
      out["ignored_intents"] = *ignored_intents;
    change(what + ": required_slots is now the list of its slots' names (" + listed + ")");
    for (const auto& key : dropped)
      change(what + ": key '" + yaml::excerpt(key) + "' dropped (a Rasa 3 form has only required_slots and "
                                                     "ignored_intents)");
    return out;
  }

  // The mappings a form gives `slot`, onto the slot, with the form's condition.
  void move_mappings(const yaml::Doc& doc, const yaml::Entry& form, const yaml::Entry& slot_entry) {
    auto at = slot_index_.find(slot_entry.key);
    if (at == slot_index_.end()) {
      diags_.error(yaml::loc(doc, slot_entry.key_node),
                   "form '" + form.key + "' fills slot '" + slot_entry.key +
                       "', which no 'slots:' section of the domain declares; declare it with its type and run "
                       "parley migrate again");
      return;
    }
    SlotDecl& slot = slots_[at->second];
    std::vector<YAML::Node> remaining;
    if (!yaml::is_null(slot_entry.value)) {
      if (!yaml::is_seq(slot_entry.value)) {
        diags_.error(yaml::loc(doc, slot_entry.key_node), "the mappings of slot '" + slot.name + "' in form '" +
                                                              form.key + "' must be a list, not " +
                                                              yaml::describe(slot_entry.value));
        return;
      }
      for (const auto& m : slot_entry.value) {
        if (!yaml::is_map(m)) {
          diags_.error(yaml::loc(doc, m), "a mapping of slot '" + slot.name + "' in form '" + form.key +
                                              "' must be a mapping with a 'type', not " + yaml::describe(m));
          return;
        }
        remaining.push_back(m);
      }
    }
    const std::string prefix = "slot '" + slot.name + "': mapping ";
    std::vector<bool> used(remaining.size(), false);
    for (auto& existing : slot.mappings) {
      if (!yaml::is_map(existing)) continue;
      YAML::Node bare = without_conditions(existing);
      size_t same = 0;
      while (same < remaining.size() && (used[same] || !same_value(bare, remaining[same]))) ++same;
      if (same == remaining.size()) continue;
      used[same] = true;
      auto [condition, said] = condition_for(form, slot, remaining[same]);
      existing.reset(with_condition(existing, condition, true));
      slot.mappings_changed = true;
      change(prefix + describe_mapping(bare) + " of form '" + form.key + "' was already on the slot; condition " +
             said + " added to it");
    }
    for (size_t i = 0; i < remaining.size(); ++i) {
      if (used[i]) continue;
      const YAML::Node& m = remaining[i];
      auto [condition, said] = condition_for(form, slot, m);
      slot.mappings.push_back(with_condition(m, condition, false));
      slot.mappings_changed = true;
      change(prefix + describe_mapping(m) + " from form '" + form.key + "' moved, with condition " + said);
    }
  }

  // Rasa's condition: the form must be active, and for a mapping that reads the whole message
  // (from_text, from_intent, custom) the slot must be the one the form asks for.
  std::pair<YAML::Node, std::string> condition_for(const yaml::Entry& form, const SlotDecl& slot,
                                                   const YAML::Node& mapping) {
    YAML::Node c(YAML::NodeType::Map);
    c["active_loop"] = form.key_node;
    std::string said = "active_loop: " + form.key;
    auto type = yaml::get(mapping, "type");
    auto type_name = type ? yaml::text(*type) : std::nullopt;
    if (type_name != "from_entity" && type_name != "from_trigger_intent") {
      c["requested_slot"] = slot.key;
      said += ", requested_slot: " + slot.name;
    }
    return {c, said};
  }

  // auto_fill, then a custom mapping for a slot with none, then the type's new name; the body
  // is rebuilt only when one of them changes it.
  YAML::Node migrate_slot(SlotDecl& slot) {
    const std::string prefix = "slot '" + slot.name + "': ";
    auto auto_fill = yaml::get(slot.body, "auto_fill");
    // Rasa tests `auto_fill is True`: a value that is not a YAML boolean counts as false.
    bool fills = !auto_fill || yaml::boolean(*auto_fill).value_or(false);
    bool is_entity = std::find(entity_names_.begin(), entity_names_.end(), slot.name) != entity_names_.end();
    if (is_entity && fills) {
      YAML::Node m(YAML::NodeType::Map);
      m["type"] = "from_entity";
      m["entity"] = slot.key;
      bool present = std::any_of(slot.mappings.begin(), slot.mappings.end(),
                                 [&](const YAML::Node& x) { return same_value(x, m); });
      if (!present) {
        slot.mappings.push_back(m);
        slot.mappings_changed = true;
        change(prefix + "mapping from_entity (entity: " + slot.name +
               ") added, as auto_fill filled the slot from the entity of the same name");
      }
    }
    if (auto_fill) {
      std::string value = yaml::text(*auto_fill).value_or(yaml::describe(*auto_fill));
      change(prefix + "auto_fill: " + yaml::excerpt(value) + " dropped (Rasa 3 fills a slot through its mappings only)");
    }
    if (slot.mappings.empty()) {
      YAML::Node m(YAML::NodeType::Map);
      m["type"] = "custom";
      slot.mappings.push_back(m);
      slot.mappings_changed = true;
      change(prefix + "mapping custom added, as the slot had no mappings: only your custom actions set it; "
                      "check that this is what you want");
    }
    auto type = yaml::get(slot.body, "type");
    bool unfeaturized = type && yaml::text(*type) == "unfeaturized";
    if (unfeaturized) change(prefix + "type unfeaturized is now any (Rasa 3's name for it)");
    if (!auto_fill && !slot.mappings_changed && !unfeaturized) return slot.body;

    YAML::Node mappings(YAML::NodeType::Sequence);
    for (const auto& m : slot.mappings) mappings.push_back(m);
    YAML::Node out(YAML::NodeType::Map);
    bool wrote_mappings = false;
    for (const auto& kv : slot.body) {
      auto key = yaml::text(kv.first);
      if (key == "auto_fill") continue;
      if (key == "type" && unfeaturized) {
        out.force_insert(kv.first, YAML::Node("any"));
      } else if (key == "mappings") {
        out.force_insert(kv.first, slot.mappings_changed ? mappings : kv.second);
        wrote_mappings = true;
      } else {
        out.force_insert(kv.first, kv.second);
      }
    }
    if (!wrote_mappings) out["mappings"] = mappings;
    return out;
  }

  // The file with its slots and forms replaced, in the file's order of sections. Built anew:
  // assigning to a yaml-cpp node that refers to the file's tree would change the tree itself.
  YAML::Node assemble(const yaml::Doc& doc, const std::optional<YAML::Node>& forms,
                      const std::map<std::string, YAML::Node>& new_slots) {
    YAML::Node root(YAML::NodeType::Map);
    for (const auto& e : yaml::entries(doc.root)) {
      if (e.key == "slots" && yaml::is_map(e.value)) {
        YAML::Node slots(YAML::NodeType::Map);
        for (const auto& s : yaml::entries(e.value)) {
          auto it = new_slots.find(s.key);
          // A slot declared twice keeps its second body as read (the loader keeps the first).
          bool first = it != new_slots.end() && slots_[slot_index_.at(s.key)].body.is(s.value);
          slots.force_insert(s.key_node, first ? it->second : s.value);
        }
        root.force_insert(e.key_node, slots);
      } else if (e.key == "forms" && forms) {
        root.force_insert(e.key_node, *forms);
      } else if (e.key == "version") {
        std::string old = yaml::text(e.value).value_or("");
        if (old != kMigratedVersion) {
          out_.changes.push_back(doc.file + ": version " + yaml::excerpt(old) + " is now \"" + kMigratedVersion + "\"");
          // An older version alone makes a domain a 2.x domain; 3.0 to 3.1 is no migration.
          if (old.empty() || old[0] < '3') needs_version_ = true;
        }
        root.force_insert(e.key_node, string_scalar(kMigratedVersion));
      } else {
        root.force_insert(e.key_node, e.value);
      }
    }
    return root;
  }

  void write(const yaml::Doc& doc, const std::optional<YAML::Node>& forms,
             const std::map<std::string, YAML::Node>& new_slots) {
    YAML::Node root = yaml::is_map(doc.root) ? assemble(doc, forms, new_slots) : doc.root;
    std::string text = yaml::is_null(root) ? std::string() : yaml::write(root);
    // The written text must read back as the tree it was written from.
    std::vector<Diagnostic> ignored;
    Diags reread_diags(ignored);
    auto back = yaml::parse_text(text, doc.file, reread_diags);
    auto want = yaml::to_json(root);
    if (!back || !want || yaml::to_json(back->root) != want) {
      diags_.error({doc.file, 0}, "parley migrate cannot write this file so that it reads back the same (this is a "
                                  "bug in Parley; please report it with the file)");
      return;
    }
    out_.files.push_back({doc.file, std::move(text)});
  }

  // A change of a slot or a form.
  void change(std::string line) {
    structural_ = true;
    out_.changes.push_back(std::move(line));
  }

 public:
  bool needed() const { return structural_ || needs_version_; }

 private:
  std::vector<yaml::Doc> docs_;
  DomainMigration& out_;
  Diags diags_;
  std::vector<std::string> entity_names_;
  std::vector<SlotDecl> slots_;
  std::map<std::string, size_t> slot_index_;
  bool structural_ = false;
  bool needs_version_ = false;
};

void migrate_docs(std::vector<yaml::Doc> docs, DomainMigration& out) {
  if (!out.ok()) return;
  if (docs.empty()) {
    Diags(out.diagnostics).error({"domain.yml", 0}, "no domain: expected domain.yml, domain.yaml or a domain/ "
                                                    "folder in the project");
    return;
  }
  Migrator m(std::move(docs), out);
  try {
    m.run();
  } catch (const std::exception& e) {  // yaml-cpp, or memory
    Diags(out.diagnostics).error({out.files.empty() ? "domain.yml" : out.files.back().name, 0},
                                 std::string("cannot migrate the domain: ") + e.what());
  }
  out.needed = m.needed();
  if (!out.ok()) out.files.clear();
}

}  // namespace

DomainMigration migrate_domain(const std::vector<DomainFileText>& files) {
  DomainMigration out;
  Diags diags(out.diagnostics);
  std::vector<yaml::Doc> docs;
  for (const auto& f : files)
    if (auto doc = yaml::parse_text(f.text, f.name, diags)) docs.push_back(std::move(*doc));
  migrate_docs(std::move(docs), out);
  return out;
}

DomainMigration migrate_project_domain(const std::string& dir_text) {
  DomainMigration out;
  Diags diags(out.diagnostics);
  const std::filesystem::path dir(dir_text.empty() ? "." : dir_text);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    diags.error({dir_text, 0}, "the project folder does not exist or is not a folder");
    return out;
  }
  std::vector<yaml::Doc> docs;
  try {
    auto files = find_project_files(dir, dir.lexically_normal().filename().string(), LoadOptions{}, diags);
    if (!files) return out;
    for (const auto& f : files->domain)
      if (auto doc = yaml::load_file(f.path, f.shown, diags)) docs.push_back(std::move(*doc));
  } catch (const std::exception& e) {
    diags.error({dir_text, 0}, std::string("cannot read the project's domain: ") + e.what());
    return out;
  }
  migrate_docs(std::move(docs), out);
  return out;
}

}  // namespace parley::project
