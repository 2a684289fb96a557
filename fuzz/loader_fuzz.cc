// Fuzzes the project loader (project/loader.h): the input replaces one file of a small valid project
// (the first byte picks which: domain, NLU, stories, config, endpoints, test stories), and the
// whole project is loaded from a temporary folder. Bad input must become diagnostics.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "fuzz_check.h"
#include "project/loader.h"

namespace fs = std::filesystem;
using namespace parley::project;

namespace {

struct File {
  const char* path;
  const char* base;  // the valid content, put back after each input
};

const File kFiles[] = {
    {"domain.yml",
     "version: \"3.1\"\n"
     "intents:\n  - greet\n  - inform\n"
     "entities:\n  - city\n"
     "slots:\n  city:\n    type: text\n    mappings:\n    - type: from_entity\n      entity: city\n"
     "responses:\n  utter_greet:\n  - text: hi {city}\n  utter_ask_city:\n  - text: where?\n"
     "forms:\n  trip_form:\n    required_slots:\n    - city\n"},
    {"data/nlu.yml",
     "version: \"3.1\"\n"
     "nlu:\n- intent: greet\n  examples: |\n    - hello\n    - hi\n"
     "- intent: inform\n  examples: |\n    - to [Paris](city)\n    - [Rome]{\"entity\": \"city\"}\n"
     "- synonym: Paris\n  examples: |\n    - paris\n"
     "- regex: zip\n  examples: |\n    - \\d{5}\n"},
    {"data/stories.yml",
     "version: \"3.1\"\n"
     "stories:\n- story: greet\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
     "rules:\n- rule: trip\n  steps:\n  - intent: inform\n  - action: trip_form\n  - active_loop: trip_form\n"},
    {"config.yml", "language: en\npipeline:\n- name: WhitespaceTokenizer\npolicies:\n- name: RulePolicy\n"},
    {"endpoints.yml", "action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n"},
    {"tests/test_stories.yml",
     "stories:\n- story: t\n  steps:\n  - user: |\n      hello\n    intent: greet\n  - action: utter_greet\n"},
};
constexpr size_t kFileCount = sizeof(kFiles) / sizeof(kFiles[0]);

void write(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  FUZZ_CHECK(out.good());
}

// What Diags promises of every diagnostic (project/yaml_util.h): short, no control characters, UTF-8.
void check_printable(const Diagnostic& d) {
  FUZZ_CHECK(!d.loc.file.empty());
  FUZZ_CHECK(d.message.size() <= 403);
  for (unsigned char c : d.message) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  FUZZ_CHECK(parley::is_valid_utf8(d.message));
  for (size_t i = 0; i + 1 < d.message.size(); ++i)  // nor C1 controls (U+0080..U+009F)
    FUZZ_CHECK(!(static_cast<unsigned char>(d.message[i]) == 0xc2 && static_cast<unsigned char>(d.message[i + 1]) <= 0x9f));
}

const fs::path& project_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("parley-fuzz-loader-" + std::to_string(getpid()));
    fs::create_directories(d / "data");
    fs::create_directories(d / "tests");
    for (const auto& f : kFiles) write(d / f.path, f.base);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(project_dir(), ec);
    });
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const File& file = kFiles[data[0] % kFileCount];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const fs::path& dir = project_dir();
  write(dir / file.path, text);

  LoadResult r = load_project(dir.string());
  for (const auto& d : r.diagnostics) check_printable(d);
  std::vector<Diagnostic> diags;
  if (std::string_view(file.path).starts_with("data/")) load_nlu_file((dir / file.path).string(), diags);
  if (std::string_view(file.path).starts_with("tests/")) load_test_stories(dir.string(), diags);
  for (const auto& d : diags) check_printable(d);

  write(dir / file.path, file.base);
  return 0;
}
