// Rewriting a Rasa 2.x domain in Rasa 3.x form, by the rules of Rasa 3's `rasa data migrate`
// (rasa/core/migrate.py), for `parley migrate`. Only the domain changes: Rasa 3 and Parley read
// 2.0 data files (nlu, stories, rules) as they are.
#pragma once

#include <string>
#include <vector>

#include "project/project.h"

namespace parley::project {

// One domain file: its path relative to the project folder (as diagnostics show it) and its text.
struct DomainFileText {
  std::string name;
  std::string text;
};

struct DomainMigration {
  // Every domain file given, in the same order, rewritten (a file with nothing to change is
  // still written anew: comments and anchors are lost in every one).
  std::vector<DomainFileText> files;
  // What changed, one line each, naming the slot or form: forms' mappings first, then each
  // slot, then the version.
  std::vector<std::string> changes;
  // Errors (nothing may be written then) and warnings, naming file and line.
  std::vector<Diagnostic> diagnostics;
  // Whether the domain was in Rasa 2.x form: something besides a 3.x version number changed.
  bool needed = false;
  bool ok() const;
};

// Migrates the domain made of `files` (one domain.yml, or the files of a domain/ folder, which
// Rasa reads as one domain):
// - a form's slot mappings (under `required_slots`, or directly under the form in the oldest
//   2.x syntax) move to the slot's `mappings`, each with the condition `active_loop: <form>`
//   and, unless it is from_entity or from_trigger_intent, `requested_slot: <slot>`; a mapping
//   the slot already has (conditions aside) gets the condition added instead; the form keeps
//   `required_slots` as the list of its slots' names, and `ignored_intents`;
// - a slot named as an entity gets `from_entity` of that entity unless `auto_fill` was false;
//   `auto_fill` is dropped; a slot left with no mappings gets `type: custom`;
// - type `unfeaturized` becomes `any`;
// - `version` becomes "3.1".
// Everything else (responses, intents, actions, session_config, ...) is written back as read.
DomainMigration migrate_domain(const std::vector<DomainFileText>& files);

// Migrates the domain of the project in `dir`, its files found as the loader finds them.
DomainMigration migrate_project_domain(const std::string& dir);

}  // namespace parley::project
