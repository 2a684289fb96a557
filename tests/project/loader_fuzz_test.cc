// Garbage in, errors out: binary bytes, wrong shapes, deep nesting, alias bombs and mutated
// copies of a valid project produce diagnostics, never a crash or a hang.
#include <gtest/gtest.h>

#include <random>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

TEST(LoaderFuzz, binary_bytes_are_errors) {
  std::string junk;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>(rng() % 256);
  LoadResult r = load(with({{"domain.yml", junk}, {"data/nlu.yml", junk}, {"config.yml", junk}}));
  EXPECT_FALSE(r.ok());
  for (const auto& d : r.diagnostics) EXPECT_FALSE(d.loc.file.empty()) << d.to_string();
}

TEST(LoaderFuzz, a_list_where_a_mapping_is_expected) {
  LoadResult r = load(with({{"domain.yml", "- intents\n- greet\n"},
                            {"data/nlu.yml", "- nlu\n"},
                            {"config.yml", "[1, 2]\n"},
                            {"endpoints.yml", "- url\n"}}));
  EXPECT_FALSE(r.ok());
  testing::expect_error_at(r.diagnostics, "domain.yml", 1, {"a domain file must be a mapping", "not a list"});
  testing::expect_error_at(r.diagnostics, "data/nlu.yml", 1, {"a data file must be a mapping"});
  testing::expect_error_at(r.diagnostics, "config.yml", 1, {"config.yml must be a mapping"});
  testing::expect_error_at(r.diagnostics, "endpoints.yml", 1, {"endpoints.yml must be a mapping"});
}

TEST(LoaderFuzz, scalars_where_sections_are_expected) {
  LoadResult r = load(with({{"domain.yml", "intents: 5\nentities: {a: 1}\nslots: [a]\nresponses: hi\nforms: []\n"
                                           "actions: x\nsession_config: 3\n"},
                            {"data/nlu.yml", "nlu: {intent: greet}\nstories: hello\nrules: 3\n"}}));
  EXPECT_FALSE(r.ok());
  for (int line = 1; line <= 7; ++line)
    EXPECT_EQ(testing::matching(r.diagnostics, Diagnostic::Severity::kError, "domain.yml:" + std::to_string(line) + ":")
                  .size(),
              1u)
        << "line " << line << "\n"
        << all(r.diagnostics);
  for (int line = 1; line <= 3; ++line)
    EXPECT_EQ(testing::matching(r.diagnostics, Diagnostic::Severity::kError, "data/nlu.yml:" + std::to_string(line) + ":")
                  .size(),
              1u)
        << "line " << line << "\n"
        << all(r.diagnostics);
}

TEST(LoaderFuzz, deeply_nested_junk) {
  std::string deep_flow(50000, '[');
  std::string deep_block;
  for (int i = 0; i < 3000; ++i) deep_block += std::string(i, ' ') + "- \n";
  std::string deep_value = "intents: [greet, goodbye]\nslots:\n  s:\n    type: any\n    initial_value: " +
                           std::string(500, '[') + std::string(500, ']') + "\n";
  LoadResult r = load(with({{"domain.yml", deep_value}, {"data/nlu.yml", deep_flow}, {"data/stories.yml", deep_block}}));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(testing::matching(r.diagnostics, Diagnostic::Severity::kError, "data/nlu.yml").empty())
      << all(r.diagnostics);
  EXPECT_FALSE(testing::matching(r.diagnostics, Diagnostic::Severity::kError, "domain.yml:5").empty())
      << all(r.diagnostics);
}

TEST(LoaderFuzz, alias_bomb_and_cyclic_alias) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c, ++prev)
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  std::string domain = bomb + "intents: [greet, goodbye]\nresponses:\n  utter_greet:\n  - custom: *k\n"
                              "  utter_goodbye:\n  - custom: &c [*c]\n";
  LoadResult r = load(with({{"domain.yml", domain}}));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(testing::matching(r.diagnostics, Diagnostic::Severity::kError, "too large").empty())
      << all(r.diagnostics);
}

TEST(LoaderFuzz, empty_files_and_folders_in_place_of_files) {
  parley::testing::TempProject project(with({{"domain.yml", ""}, {"data/nlu.yml", ""}, {"config.yml", ""},
                                             {"data/stories.yml", "# only a comment\n"}}));
  std::filesystem::create_directories(project.dir() + "/data/folder.yml");
  LoadResult r = load_project(project.dir());
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_TRUE(r.project.domain.intents.empty());
}

TEST(LoaderFuzz, mutated_projects_never_crash) {
  const auto base = testing::base_files();
  std::mt19937 rng(2024);
  const char kBytes[] = "[]{}():-|>&*!'\"#\n\t ?,%@`\\x0";
  for (int round = 0; round < 60; ++round) {
    auto files = base;
    for (auto& [path, text] : files) {
      std::string t = text;
      switch (rng() % 4) {
        case 0:  // truncate
          t.resize(rng() % (t.size() + 1));
          break;
        case 1:  // flip bytes to YAML punctuation
          for (int i = 0; i < 4 && !t.empty(); ++i) t[rng() % t.size()] = kBytes[rng() % (sizeof(kBytes) - 1)];
          break;
        case 2:  // drop a line
          if (auto nl = t.find('\n', rng() % (t.size() + 1)); nl != std::string::npos) {
            auto next = t.find('\n', nl + 1);
            t.erase(nl, next == std::string::npos ? std::string::npos : next - nl);
          }
          break;
        default:  // duplicate a slice
          if (!t.empty()) {
            size_t at = rng() % t.size();
            t.insert(at, t.substr(at, rng() % 40));
          }
      }
      text = std::move(t);
    }
    LoadResult r = load(files);
    for (const auto& d : r.diagnostics) ASSERT_FALSE(d.message.empty());
    std::vector<Diagnostic> diags;
    parley::testing::TempProject project(files);
    load_test_stories(project.dir(), diags);
  }
}

TEST(LoaderFuzz, annotation_parser_never_crashes_on_random_lines) {
  std::mt19937 rng(99);
  const char kAlphabet[] = "[](){}:\"\\,ab e1";
  for (int i = 0; i < 5000; ++i) {
    std::string line;
    int n = static_cast<int>(rng() % 30);
    for (int j = 0; j < n; ++j) line += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    std::string text, error;
    std::vector<EntityAnnotation> entities;
    bool ok = parse_annotated_text(line, text, entities, error);
    if (ok) {
      for (const auto& e : entities) {
        ASSERT_LE(e.end, text.size()) << line;
        ASSERT_EQ(text.substr(e.start, e.end - e.start), e.text) << line;
      }
    } else {
      ASSERT_FALSE(error.empty()) << line;
    }
  }
}

}  // namespace
}  // namespace parley::project
