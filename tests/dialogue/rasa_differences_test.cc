// Behaviour that once differed from Rasa 3 (issue 12), each reproduced as the issue did: on a copy
// of shared/rasa/initbot (the `rasa init` project) with one change, whose own test stories must
// still all pass under `parley test`'s default judging (as `rasa test` judges them).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "bot/bot.h"
#include "dialogue/story_eval.h"
#include "project/loader.h"
#include "support/temp_dir.h"

namespace parley::dialogue {
namespace {

const std::string kInitbotDir = PARLEY_SOURCE_DIR "/../shared/rasa/initbot";

struct Outcome {
  bool loaded = false;
  std::string diagnostics;  // load errors and warnings, one per line
  size_t stories = 0, passed = 0;
  std::string failures;     // the transcripts of failed stories
};

// Copies the init bot, appends each text to its file (relative path), builds it and judges its
// test stories.
Outcome initbot_with(const std::map<std::string, std::string>& appended) {
  Outcome out;
  testing::TempDir dir("parley-initbot");
  std::filesystem::copy(kInitbotDir, dir.path(), std::filesystem::copy_options::recursive);
  for (const auto& [file, text] : appended) std::ofstream(dir.sub(file), std::ios::app) << text;
  auto built = bot::build_bot(dir.path(), "initbot");
  for (const auto& d : built.diagnostics) out.diagnostics += d.to_string() + "\n";
  if (!built.bot) return out;
  out.loaded = true;
  std::vector<project::Diagnostic> diags;
  auto tests = project::load_test_stories(dir.path(), diags);
  for (const auto& m : tests.malformed) out.failures += m.name + ": " + m.errors + "\n";
  out.stories = tests.stories.size() + tests.malformed.size();
  for (const auto& story : tests.stories) {
    StoryResult r = evaluate_story(*built.bot, story);
    if (r.passed) {
      ++out.passed;
      continue;
    }
    out.failures += "story '" + story.name + "':\n";
    for (const auto& line : r.transcript) out.failures += "  " + line + "\n";
  }
  return out;
}

bool have_initbot() { return std::filesystem::exists(kInitbotDir + "/domain.yml"); }

#define EXPECT_ALL_STORIES_PASS(o)                              \
  do {                                                          \
    ASSERT_TRUE((o).loaded) << (o).diagnostics;                 \
    EXPECT_EQ((o).stories, 7u);                                 \
    EXPECT_EQ((o).passed, (o).stories) << (o).failures;         \
  } while (0)

TEST(RasaDifferences, the_unchanged_init_bot_passes_its_seven_stories) {
  if (!have_initbot()) GTEST_SKIP() << "shared/rasa/initbot is not next to the source tree";
  Outcome o = initbot_with({});
  EXPECT_ALL_STORIES_PASS(o);
}

// Item 3: a rule's leading action is a precondition only; Rasa drops the states before it.
TEST(RasaDifferences, a_rule_that_starts_with_an_action_never_predicts_that_action) {
  if (!have_initbot()) GTEST_SKIP() << "shared/rasa/initbot is not next to the source tree";
  Outcome o = initbot_with({{"data/rules.yml", R"(
- rule: Affirm after asking whether it helped
  steps:
  - action: utter_did_that_help
  - intent: affirm
  - action: utter_happy
)"}});
  EXPECT_ALL_STORIES_PASS(o);
}

// Item 5: a bare `[text]` in an NLU example is plain text in Rasa, not a malformed annotation.
TEST(RasaDifferences, a_bare_bracketed_word_in_an_example_is_plain_text) {
  if (!have_initbot()) GTEST_SKIP() << "shared/rasa/initbot is not next to the source tree";
  Outcome o = initbot_with({{"data/nlu.yml", "    - am I talking to a [bot]?\n"}});
  EXPECT_ALL_STORIES_PASS(o);
  EXPECT_NE(o.diagnostics.find("'[bot]'"), std::string::npos) << o.diagnostics;
}

// Item 6: slot types written as the class paths of Rasa's slot classes.
TEST(RasaDifferences, slot_types_written_as_class_paths_resolve_as_in_rasa) {
  if (!have_initbot()) GTEST_SKIP() << "shared/rasa/initbot is not next to the source tree";
  Outcome o = initbot_with({{"domain.yml", R"(
slots:
  note:
    type: rasa.shared.core.slots.TextSlot
    influence_conversation: false
    mappings:
    - type: from_text
      intent: mood_unhappy
  mood_known:
    type: rasa.shared.core.slots.BooleanSlot
    influence_conversation:
    mappings:
    - type: custom
  seen:
    type: rasa.shared.core.slots.ListSlot
    mappings:
    - type: custom
  extra:
    type: rasa.shared.core.slots.AnySlot
    mappings:
    - type: custom
)"}});
  EXPECT_ALL_STORIES_PASS(o);
  EXPECT_EQ(o.diagnostics.find("error: "), std::string::npos) << o.diagnostics;
}

}  // namespace
}  // namespace parley::dialogue
