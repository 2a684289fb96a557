// Reads a Rasa 3.x project folder (domain*.yml or domain/, data/**/*.yml, config.yml, endpoints.yml)
// into a project::Project and checks that everything it references exists. Never throws and never
// crashes on bad input: every problem becomes a Diagnostic naming the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "project/project.h"

namespace parley::project {

struct LoadOptions {
  // All files of a project together; a larger project is refused before any file is parsed
  // (parsing takes many times the files' size in memory).
  uint64_t max_project_bytes = 64ull << 20;
};

struct LoadResult {
  Project project;
  std::vector<Diagnostic> diagnostics;  // errors and warnings, in the order found
  bool ok() const;                      // no error diagnostics
};

// Parses and validates the project in `dir`.
// Checks: the files (regular files inside the folder, sizes; see LoadOptions); YAML syntax;
// shapes of every section; unknown intents, entities, actions, slots, forms and responses referenced from stories, rules, forms, mappings and response conditions;
// malformed entity annotations; config components that Parley does not use (warnings).
LoadResult load_project(const std::string& dir, const LoadOptions& options = {});
// Only the first step of load_project: the files' checks, without parsing any. Errors, or none.
std::vector<Diagnostic> check_project_files(const std::string& dir, const LoadOptions& options = {});

// A test story that cannot run (a malformed step, an action or intent the domain lacks): it is
// reported as failed with its errors, and the other stories still run.
struct MalformedStory {
  std::string name;
  SourceLoc loc;
  std::string errors;  // "file:line: message", one per line
};

struct TestStories {
  std::vector<Story> stories;
  std::vector<MalformedStory> malformed;
};

// Reads the test stories in `dir`/tests/*.yml (user steps with text, intent and annotated
// entities; action, active_loop, slot_was_set steps). Problems of one story make it malformed;
// problems of a file as a whole are appended to `diagnostics`.
TestStories load_test_stories(const std::string& dir, std::vector<Diagnostic>& diagnostics);

// Reads the NLU examples of one Rasa NLU file (YAML with an `nlu:` section, as `rasa test nlu
// --nlu FILE` takes), for evaluation. Problems are appended to `diagnostics`.
NluData load_nlu_file(const std::string& file, std::vector<Diagnostic>& diagnostics);

// Parses one NLU example line with inline annotations: `[text](entity)`,
// `[text](entity:value)`, `[text]{"entity": "e", "value": "v", "role": .., "group": ..}`.
// On a malformed annotation returns false and sets `error`. A '[' that starts no annotation (a
// bare `[text]`, `[]`, no ']') stays plain text, as in Rasa; each such piece is appended to `plain`.
bool parse_annotated_text(std::string_view line, std::string& text, std::vector<EntityAnnotation>& entities,
                          std::string& error, std::vector<std::string>* plain = nullptr);

}  // namespace parley::project
