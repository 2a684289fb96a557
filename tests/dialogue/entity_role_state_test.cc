// As in Rasa's featurised states, an entity's role and group count: two stories that differ only by
// the role of the same entity lead to different actions (before, memoization found them ambiguous).
#include <gtest/gtest.h>

#include "dialogue/convo.h"
#include "dialogue/story_eval.h"
#include "project/loader.h"
#include "support/temp_project.h"

namespace parley::dialogue {
namespace {

const char* kRoleDomain = R"(version: "3.1"
intents: [inform]
entities:
- city:
    roles: [departure, destination]
responses:
  utter_from:
  - text: "Leaving from there."
  utter_to:
  - text: "Going there."
)";

const char* kRoleStories = R"(version: "3.1"
stories:
- story: from
  steps:
  - intent: inform
    entities:
    - entity: city
      value: Rome
      role: departure
  - action: utter_from
- story: to
  steps:
  - intent: inform
    entities:
    - entity: city
      value: Rome
      role: destination
  - action: utter_to
)";

TEST(EntityRoleStates, stories_that_differ_by_an_entity_role_are_told_apart) {
  std::map<std::string, std::string> files = {
      {"domain.yml", kRoleDomain},
      {"data/stories.yml", kRoleStories},
      {"data/nlu.yml", "nlu:\n- intent: inform\n  examples: |\n    - from [Rome]{\"entity\": \"city\", \"role\": \"departure\"}\n"
                       "    - to [Paris]{\"entity\": \"city\", \"role\": \"destination\"}\n"},
      {"config.yml", "policies:\n- name: MemoizationPolicy\n"},
      {"tests/test_stories.yml", kRoleStories},
  };
  testing::TempProject p(files);
  auto built = bot::build_bot(p.dir(), "roles");
  ASSERT_TRUE(built.bot);
  std::vector<project::Diagnostic> diags;
  auto tests = project::load_test_stories(p.dir(), diags);
  ASSERT_EQ(tests.stories.size(), 2u);
  for (const auto& story : tests.stories) {
    StoryResult r = evaluate_story(*built.bot, story);
    std::string t;
    for (const auto& line : r.transcript) t += line + "\n";
    EXPECT_TRUE(r.passed) << story.name << "\n" << t;
  }
}

}  // namespace
}  // namespace parley::dialogue
