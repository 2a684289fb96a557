// What a project's files may be and what diagnostics may quote of them: only regular files
// inside the project folder are read (a symbolic link leading outside is refused, naming the
// file, quoting nothing), a project over the size cap is refused before any file is parsed, and
// messages stay short and printable whatever a file holds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/utf8.h"
#include "project/loader.h"
#include "project/loader_test_util.h"
#include "project/yaml_util.h"
#include "support/temp_project.h"

namespace parley::project {
namespace {

namespace fs = std::filesystem;
using testing::all;
using testing::expect_error_at;
using testing::with;
using S = Diagnostic::Severity;

// A file outside every project, with a line a warning would quote if it were read.
class Secret {
 public:
  Secret() : dir_(std::map<std::string, std::string>{}) {
    dir_.write("secret.yml", "nlu:\n- intent: greet\n  examples: |\n    root:SECRET-HASH:19000:0:99999:7:::\n");
  }
  std::string path() const { return dir_.dir() + "/secret.yml"; }
  std::string dir() const { return dir_.dir(); }

 private:
  parley::testing::TempProject dir_;
};

bool mentions(const std::vector<Diagnostic>& diags, const std::string& needle) {
  return all(diags).find(needle) != std::string::npos;
}

TEST(LoaderHygiene, a_symlink_to_a_file_outside_the_project_is_refused_and_nothing_of_it_is_quoted) {
  Secret secret;
  parley::testing::TempProject project(testing::base_files());
  fs::create_symlink(secret.path(), project.dir() + "/data/shadow.yml");
  LoadResult r = load_project(project.dir());
  EXPECT_FALSE(r.ok());
  expect_error_at(r.diagnostics, "data/shadow.yml", 0, {"symbolic link", "outside the project"});
  EXPECT_FALSE(mentions(r.diagnostics, "SECRET")) << all(r.diagnostics);
  EXPECT_FALSE(mentions(r.diagnostics, secret.dir())) << all(r.diagnostics);
}

TEST(LoaderHygiene, a_symlinked_folder_leading_outside_the_project_is_refused) {
  Secret secret;
  parley::testing::TempProject project(testing::base_files());
  fs::create_directory_symlink(secret.dir(), project.dir() + "/domain");
  LoadResult r = load_project(project.dir());
  EXPECT_FALSE(r.ok());
  expect_error_at(r.diagnostics, "domain/secret.yml", 0, {"outside the project"});
  EXPECT_FALSE(mentions(r.diagnostics, "SECRET")) << all(r.diagnostics);
}

TEST(LoaderHygiene, a_symlink_to_another_file_of_the_project_is_read) {
  auto files = testing::base_files();
  files["shared/more_nlu.yml"] = "nlu:\n- intent: greet\n  examples: |\n    - good morning\n";
  parley::testing::TempProject project(files);
  fs::create_symlink("../shared/more_nlu.yml", project.dir() + "/data/more.yml");
  LoadResult r = load_project(project.dir());
  EXPECT_TRUE(r.ok()) << all(r.diagnostics);
  bool found = false;
  for (const auto& ex : r.project.nlu.examples) found = found || ex.text == "good morning";
  EXPECT_TRUE(found);
}

TEST(LoaderHygiene, a_project_over_the_size_cap_is_refused_before_any_file_is_parsed) {
  // The big file is not even YAML: a parse would report a syntax error.
  parley::testing::TempProject project(with({{"data/big.yml", "nlu: [\n" + std::string(5000, 'x') + "\n"}}));
  LoadOptions options;
  options.max_project_bytes = 4096;
  LoadResult r = load_project(project.dir(), options);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(testing::error_count(r.diagnostics), 1u) << all(r.diagnostics);
  EXPECT_TRUE(mentions(r.diagnostics, "max_project_bytes")) << all(r.diagnostics);
  EXPECT_FALSE(mentions(r.diagnostics, "YAML syntax")) << all(r.diagnostics);
  EXPECT_TRUE(check_project_files(project.dir(), options).size() == 1u);
  EXPECT_TRUE(load_project(project.dir()).diagnostics.size() > 0);  // the default cap lets it be parsed
}

TEST(LoaderHygiene, messages_quote_a_short_printable_excerpt_of_what_a_file_holds) {
  std::string line = "no dash \x07" + std::string(3000, 'l');
  parley::testing::TempProject project(with({{"data/odd.yml", "\"" + std::string("bad\\x01\\e[31mkey") +
                                                                  std::string(300, 'k') + "\": 1\n"
                                                                  "nlu:\n- intent: greet\n  examples: |\n    " +
                                                                  line + "\n"}}));
  LoadResult r = load_project(project.dir());
  ASSERT_FALSE(r.diagnostics.empty());
  for (const auto& d : r.diagnostics) {
    EXPECT_LE(d.message.size(), 403u) << d.message;
    for (unsigned char c : d.message) EXPECT_GE(c, 0x20) << d.message;
  }
  EXPECT_TRUE(mentions(r.diagnostics, "\\x01")) << all(r.diagnostics);
  EXPECT_TRUE(mentions(r.diagnostics, "\\x07")) << all(r.diagnostics);
  for (const auto& d : r.diagnostics) EXPECT_EQ(d.message.find(std::string(100, 'l')), std::string::npos);
}

// Found by fuzz/loader_fuzz: overlong forms, surrogates, lead bytes past U+10FFFF and C1 controls
// went into messages as they were (invalid UTF-8 in /v1/bots, a terminal escape in validate).
TEST(LoaderHygiene, messages_escape_bytes_that_are_not_well_formed_utf8) {
  EXPECT_EQ(yaml::excerpt("a\xc0\xaf" "b"), "a\\xc0\\xafb");                      // overlong '/'
  EXPECT_EQ(yaml::excerpt("\xed\xa0\x80"), "\\xed\\xa0\\x80");               // a surrogate
  EXPECT_EQ(yaml::excerpt("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");   // past U+10FFFF
  EXPECT_EQ(yaml::excerpt("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");               // overlong, 3 bytes
  EXPECT_EQ(yaml::excerpt("csi \xc2\x9b" "31m"), "csi \\xc2\\x9b31m");             // C1 control
  EXPECT_EQ(yaml::excerpt("caf\xc3\xa9 \xf0\x9f\x8d\x95 \xc2\xa0"), "caf\xc3\xa9 \xf0\x9f\x8d\x95 \xc2\xa0");

  parley::testing::TempProject project(with({{"data/odd.yml", "k\xc0\xaf" "ey\xed\xa0\x80\xc2\x9b: 1\n"}}));
  LoadResult r = load_project(project.dir());
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_TRUE(mentions(r.diagnostics, "k\\xc0\\xafey\\xed\\xa0\\x80\\xc2\\x9b")) << all(r.diagnostics);
  for (const auto& d : r.diagnostics) EXPECT_TRUE(parley::is_valid_utf8(d.message)) << d.message;
}

TEST(LoaderHygiene, yaml_nested_too_deeply_says_what_and_where) {
  std::string deep = "version: \"3.1\"\nnlu:\n  - " + std::string(3000, '[') + std::string(3000, ']') + "\n";
  parley::testing::TempProject project(with({{"data/deep.yml", deep}}));
  LoadResult r = load_project(project.dir());
  EXPECT_FALSE(r.ok());
  auto found = testing::matching(r.diagnostics, S::kError, "nesting deeper than");
  ASSERT_EQ(found.size(), 1u) << all(r.diagnostics);
  EXPECT_EQ(found[0].loc.file, "data/deep.yml");
  EXPECT_EQ(found[0].loc.line, 3);
  EXPECT_FALSE(mentions(r.diagnostics, "bad file")) << all(r.diagnostics);
}

}  // namespace
}  // namespace parley::project
