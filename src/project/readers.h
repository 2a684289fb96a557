// The loader's parts, one per kind of file, and the cross-reference checks. Internal to project/:
// loader.cc calls these in order (domain, data, config, endpoints, then checks).
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "project/loader.h"
#include "project/project.h"
#include "project/project_files.h"
#include "project/yaml_util.h"

namespace parley::project {

// ---- finding and checking the files (project_files.cc) ----

// yaml_files and first_existing: project/project_files.h.

// A file of a project as the readers get it: where it really is (links resolved), how
// diagnostics name it (relative to the project folder) and its size.
struct ProjectFile {
  std::filesystem::path path;
  std::string shown;
  uint64_t bytes = 0;
};
struct ProjectFiles {
  std::vector<ProjectFile> domain;  // domain.yml (or .yaml), then domain/**
  std::vector<ProjectFile> data;    // data/**
  std::optional<ProjectFile> config, endpoints;
  uint64_t bytes = 0;               // all of them together
};
// The project's files, each checked before anything is parsed: a regular file inside the
// project folder (a symbolic link leading outside it is an error), at most yaml::kMaxFileBytes,
// and all together at most options.max_project_bytes. Errors name the file relative to the
// project (`name` for the project as a whole) and quote nothing of it; nullopt after any.
std::optional<ProjectFiles> find_project_files(const std::filesystem::path& dir, const std::string& name,
                                               const LoadOptions& options, Diags& diags);
// The checked files of `dir`/tests (test stories); the refused ones are errors in `diags`.
std::vector<ProjectFile> find_test_files(const std::filesystem::path& dir, Diags& diags);

// ---- domain (domain_reader.cc, slot_reader.cc, response_reader.cc) ----

// What the errors on Rasa 2 syntax tell the user to run (cli/migrate.cc).
inline constexpr std::string_view kMigrateCommand = "parley migrate BOTDIR --out NEWDIR";

// Reads one domain file into `out` (a fresh Domain).
void read_domain(const yaml::Doc& doc, Domain& out, Diags& diags);
// Merges a domain read from another file into `into`, as Rasa merges domain folders: lists
// concatenated without duplicates, mappings merged (the first declaration wins, with a warning).
void merge_domain(Domain& into, Domain&& other, Diags& diags);
// Adds what Rasa adds implicitly: `requested_slot` when any form is declared.
void complete_domain(Domain& domain);

void read_slots(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags);
void read_responses(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags);

// ---- data/ (data_reader.cc, nlu_reader.cc, story_reader.cc) ----

// `s` without leading and trailing white space.
std::string trim(std::string_view s);

// Reads one data file's `nlu`, `stories` and `rules`, and its `responses` (Rasa keeps the
// responses of retrieval intents there) into `domain` when given.
void read_data(const yaml::Doc& doc, NluData& nlu, std::vector<Story>& stories, std::vector<Story>& rules,
               Diags& diags, Domain* domain = nullptr);
void read_nlu(const yaml::Doc& doc, const YAML::Node& node, NluData& nlu, Diags& diags);
// Normalises annotated entity values through the synonyms (as EntitySynonymMapper does when it
// is trained on the same data).
void apply_synonyms(NluData& nlu);

// Reads a `stories:` or `rules:` list. `test` reads test stories (user text with annotations).
void read_stories(const yaml::Doc& doc, const YAML::Node& node, bool is_rule, bool test,
                  std::vector<Story>& out, Diags& diags);

// ---- config.yml, endpoints.yml (config_reader.cc) ----

void read_config(const yaml::Doc& doc, Config& out, Diags& diags);
// Rasa's defaults when there is no config.yml (its default pipeline has a FallbackClassifier).
Config default_config();
void read_endpoints(const yaml::Doc& doc, Endpoints& out, Diags& diags);

// ---- checks (validate.cc, validate_regexes.cc, validate_stories.cc) ----

// An intent of the domain, a default intent, or a retrieval intent (faq/ask_name) of one.
bool intent_known(const Domain& d, const std::string& name);

// Forms, slot mappings, response conditions and intents' entity lists against the domain.
void validate_domain(const Domain& domain, Diags& diags);
// NLU data against the domain (warnings): intents and entities not in the domain, domain intents
// without examples.
void validate_nlu(const Domain& domain, const NluData& nlu, Diags& diags);
// Each regex pattern compiles (an error for one that names a domain entity, which extracts it; a
// warning for a feature-only one, which is left out) and does not hit its match limit on texts
// made to trip patterns that backtrack exponentially (a warning).
void validate_regexes(const Domain& domain, const NluData& nlu, Diags& diags);
// Intents, entities, actions, slots and forms used by stories, rules or test stories; checkpoints.
void validate_stories(const Domain& domain, const std::vector<Story>& stories, bool test, Diags& diags);
void validate_checkpoints(const std::vector<Story>& stories, Diags& diags);
// Float slots hold doubles: values written as integers (`price: 3`) in stories, rule conditions,
// initial values and response conditions become doubles, so they compare equal to slot values.
void normalise_slot_values(const Domain& domain, std::vector<Story>& stories);
void normalise_slot_values(Domain& domain);

}  // namespace parley::project
