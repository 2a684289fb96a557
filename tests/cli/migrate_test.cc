// `parley migrate BOTDIR --out NEWDIR` as a user meets it: the copy, the lines that say what
// changed, and the refusals.
#include "cli/migrate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "project/loader.h"
#include "support/temp_project.h"

namespace parley::cli {
namespace {

namespace fs = std::filesystem;
using MigrateFiles = std::map<std::string, std::string>;

MigrateFiles rasa2_project_files() {
  return {
      {"domain.yml", "version: \"2.0\"\nintents:\n  - greet\nentities:\n  - name\nslots:\n  name:\n    type: text\n"
                     "forms:\n  name_form:\n    required_slots:\n      name:\n        - type: from_text\n"
                     "responses:\n  utter_greet:\n    - text: hi\n  utter_ask_name:\n    - text: name?\n"},
      {"data/nlu.yml", "version: \"2.0\"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n"},
      {"data/rules.yml", "version: \"2.0\"\nrules:\n- rule: greet\n  steps:\n  - intent: greet\n"
                         "  - action: utter_greet\n"},
      {"config.yml", "language: en\n"},
      {"credentials.yml", "rest:\n"},
      {"actions/actions.py", "# the action server\n"},
      {"models/20210101-000000.tar.gz", "not a real model"},
  };
}

std::string file_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(MigrateCommand, copies_the_project_and_rewrites_only_the_domain) {
  testing::TempProject bot(rasa2_project_files());
  testing::TempDir out_parent("parley-migrated");
  const std::string out_dir = out_parent.sub("new");
  std::ostringstream out, err;
  ASSERT_EQ(run_migrate(bot.dir(), out_dir, out, err), 0) << err.str();
  for (const char* f : {"data/nlu.yml", "data/rules.yml", "config.yml", "credentials.yml", "actions/actions.py"})
    EXPECT_EQ(file_text(fs::path(out_dir) / f), file_text(fs::path(bot.dir()) / f)) << f;
  EXPECT_FALSE(fs::exists(fs::path(out_dir) / "models"));
  EXPECT_NE(out.str().find("slot 'name': mapping from_text from form 'name_form' moved, with condition active_loop: "
                           "name_form, requested_slot: name\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("not copied: models/"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("comments in domain.yml are not kept"), std::string::npos) << out.str();
  auto loaded = project::load_project(out_dir);
  std::string diags;
  for (const auto& d : loaded.diagnostics) diags += d.to_string() + "\n";
  EXPECT_TRUE(loaded.ok()) << diags << file_text(fs::path(out_dir) / "domain.yml");
  // The original is untouched.
  EXPECT_EQ(file_text(fs::path(bot.dir()) / "domain.yml"), rasa2_project_files()["domain.yml"]);
}

TEST(MigrateCommand, refuses_a_folder_that_is_not_empty_with_exit_code_2) {
  testing::TempProject bot(rasa2_project_files());
  testing::TempProject taken(MigrateFiles{{"notes.txt", "mine"}});
  std::ostringstream out, err;
  EXPECT_EQ(run_migrate(bot.dir(), taken.dir(), out, err), 2);
  EXPECT_NE(err.str().find("is not empty"), std::string::npos) << err.str();
  EXPECT_EQ(file_text(fs::path(taken.dir()) / "notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(fs::path(taken.dir()) / "domain.yml"));
}

TEST(MigrateCommand, writes_into_an_empty_folder) {
  testing::TempProject bot(rasa2_project_files());
  testing::TempDir empty("parley-migrated");
  std::ostringstream out, err;
  EXPECT_EQ(run_migrate(bot.dir(), empty.path(), out, err), 0) << err.str();
  EXPECT_TRUE(fs::exists(fs::path(empty.path()) / "domain.yml"));
}

TEST(MigrateCommand, a_3x_project_has_nothing_to_migrate_and_nothing_is_written) {
  testing::TempProject bot(MigrateFiles{{"domain.yml", "version: \"3.1\"\nintents: [greet]\nresponses:\n  utter_greet:\n"
                                           "    - text: hi\n"}});
  testing::TempDir out_parent("parley-migrated");
  std::ostringstream out, err;
  EXPECT_EQ(run_migrate(bot.dir(), out_parent.sub("new"), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("already in Rasa 3.x form"), std::string::npos) << out.str();
  EXPECT_FALSE(fs::exists(out_parent.sub("new")));
}

TEST(MigrateCommand, a_domain_that_cannot_be_migrated_leaves_nothing_behind) {
  testing::TempProject bot(MigrateFiles{{"domain.yml", "version: \"2.0\"\nforms:\n  f:\n    required_slots:\n      ghost:\n"
                                           "        - type: from_text\n"}});
  testing::TempDir out_parent("parley-migrated");
  std::ostringstream out, err;
  EXPECT_EQ(run_migrate(bot.dir(), out_parent.sub("new"), out, err), 1);
  EXPECT_NE(err.str().find("domain.yml:5: error:"), std::string::npos) << err.str();
  EXPECT_FALSE(fs::exists(out_parent.sub("new")));
}

TEST(MigrateCommand, no_such_project_is_refused_with_exit_code_2) {
  testing::TempDir out_parent("parley-migrated");
  std::ostringstream out, err;
  EXPECT_EQ(run_migrate(out_parent.sub("absent"), out_parent.sub("new"), out, err), 2);
  EXPECT_NE(err.str().find("is not a project folder"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace parley::cli
