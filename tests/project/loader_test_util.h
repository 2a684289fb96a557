// Helpers for the loader tests: a small valid project to start from, and finding diagnostics.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "project/loader.h"
#include "support/temp_project.h"

namespace parley::project::testing {

// A valid project: two intents with examples, one response each, one story and one rule.
inline std::map<std::string, std::string> base_files() {
  return {
      {"domain.yml",
       "version: \"3.1\"\n"
       "intents:\n"
       "  - greet\n"
       "  - goodbye\n"
       "responses:\n"
       "  utter_greet:\n"
       "  - text: hi\n"
       "  utter_goodbye:\n"
       "  - text: bye\n"},
      {"data/nlu.yml",
       "version: \"3.1\"\n"
       "nlu:\n"
       "- intent: greet\n"
       "  examples: |\n"
       "    - hello\n"
       "    - hi\n"
       "- intent: goodbye\n"
       "  examples: |\n"
       "    - bye\n"},
      {"data/stories.yml",
       "version: \"3.1\"\n"
       "stories:\n"
       "- story: greet\n"
       "  steps:\n"
       "  - intent: greet\n"
       "  - action: utter_greet\n"
       "rules:\n"
       "- rule: bye\n"
       "  steps:\n"
       "  - intent: goodbye\n"
       "  - action: utter_goodbye\n"},
  };
}

// base_files() with some files replaced or added.
inline std::map<std::string, std::string> with(std::map<std::string, std::string> changes) {
  auto files = base_files();
  for (auto& [path, text] : changes) files[path] = std::move(text);
  return files;
}

inline std::string all(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += d.to_string() + "\n";
  return out;
}

// The diagnostics of `severity` whose text (file:line: severity: message) contains `needle`.
inline std::vector<Diagnostic> matching(const std::vector<Diagnostic>& diags, Diagnostic::Severity severity,
                                        const std::string& needle) {
  std::vector<Diagnostic> out;
  for (const auto& d : diags)
    if (d.severity == severity && d.to_string().find(needle) != std::string::npos) out.push_back(d);
  return out;
}

inline size_t error_count(const std::vector<Diagnostic>& diags) {
  size_t n = 0;
  for (const auto& d : diags) n += d.severity == Diagnostic::Severity::kError;
  return n;
}

// Expects exactly one error at file:line whose message contains every one of `parts`.
inline void expect_error_at(const std::vector<Diagnostic>& diags, const std::string& file, int line,
                            const std::vector<std::string>& parts) {
  std::vector<Diagnostic> found;
  for (const auto& d : diags) {
    if (d.severity != Diagnostic::Severity::kError || d.loc.file != file || d.loc.line != line) continue;
    bool every = true;
    for (const auto& p : parts) every = every && d.message.find(p) != std::string::npos;
    if (every) found.push_back(d);
  }
  EXPECT_EQ(found.size(), 1u) << "wanted an error at " << file << ":" << line << " mentioning " << parts.front()
                              << "; got:\n"
                              << all(diags);
}

inline void expect_warning_at(const std::vector<Diagnostic>& diags, const std::string& file, int line,
                              const std::vector<std::string>& parts) {
  size_t found = 0;
  for (const auto& d : diags) {
    if (d.severity != Diagnostic::Severity::kWarning || d.loc.file != file || d.loc.line != line) continue;
    bool every = true;
    for (const auto& p : parts) every = every && d.message.find(p) != std::string::npos;
    found += every;
  }
  EXPECT_EQ(found, 1u) << "wanted a warning at " << file << ":" << line << " mentioning " << parts.front()
                       << "; got:\n"
                       << all(diags);
}

// Loads `files` as a project.
inline LoadResult load(const std::map<std::string, std::string>& files) {
  parley::testing::TempProject project(files);
  return load_project(project.dir());
}

}  // namespace parley::project::testing
