// The real Rasa init bot (shared/rasa/initbot) loads cleanly, with everything counted.
#include "project/loader.h"

#include <gtest/gtest.h>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::error_count;
using testing::matching;

const std::string kInitbot = PARLEY_SOURCE_DIR "/../shared/rasa/initbot";

TEST(LoaderInitbot, loads_without_errors_with_expected_counts) {
  LoadResult r = load_project(kInitbot);
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Project& p = r.project;
  EXPECT_EQ(p.name, "initbot");
  EXPECT_EQ(p.domain.intents.size(), 7u);
  EXPECT_EQ(p.domain.responses.size(), 6u);
  // Only the slot Rasa 3 adds to every domain.
  ASSERT_EQ(p.domain.slots.size(), 1u);
  EXPECT_EQ(p.domain.slots[0].name, "session_started_metadata");
  EXPECT_TRUE(p.domain.forms.empty());
  EXPECT_EQ(p.stories.size(), 3u);
  EXPECT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.nlu.examples.size(), 68u);
  EXPECT_EQ(p.stories[0].name, "happy path");
  EXPECT_EQ(p.stories[0].steps.size(), 4u);
  EXPECT_EQ(p.rules[0].name, "Say goodbye anytime the user says goodbye");
  EXPECT_EQ(p.domain.session_config.session_expiration_minutes, 60);
  EXPECT_TRUE(p.domain.session_config.carry_over_slots);
  const auto& cheer = p.domain.responses.at("utter_cheer_up");
  ASSERT_EQ(cheer.size(), 1u);
  EXPECT_EQ(cheer[0].text, "Here is something to cheer you up:");
  EXPECT_EQ(cheer[0].image, "https://i.imgur.com/nGF1K8f.jpg");
}

TEST(LoaderInitbot, config_reads_fallback_threshold_and_keeps_default_policies) {
  LoadResult r = load_project(kInitbot);
  const Config& c = r.project.config;
  EXPECT_EQ(c.language, "en");
  EXPECT_TRUE(c.nlu_fallback_enabled);
  EXPECT_DOUBLE_EQ(c.nlu_fallback_threshold, 0.3);
  EXPECT_TRUE(c.memoization_enabled);
  EXPECT_TRUE(c.rules_enabled);
  EXPECT_EQ(c.memoization_max_history, 5);
  EXPECT_TRUE(c.entity_learner_enabled);
  EXPECT_EQ(c.entity_learner_component, "DIETClassifier");
  EXPECT_TRUE(c.regex_features_enabled);
  EXPECT_TRUE(c.learned_policy_enabled);
  EXPECT_EQ(c.learned_policy_max_history, 5);
  EXPECT_EQ(c.learned_policy_epochs, 100);
  EXPECT_TRUE(r.project.endpoints.action_endpoint_url.empty());
}

TEST(LoaderInitbot, warns_about_components_parley_does_not_use) {
  LoadResult r = load_project(kInitbot);
  using S = Diagnostic::Severity;
  // DIETClassifier, RegexFeaturizer and TEDPolicy map onto Parley's learners; the rest is warned.
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "DIETClassifier").empty()) << all(r.diagnostics);
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "RegexFeaturizer").empty()) << all(r.diagnostics);
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "TEDPolicy").empty()) << all(r.diagnostics);
  EXPECT_EQ(matching(r.diagnostics, S::kWarning, "'CountVectorsFeaturizer'").size(), 2u);
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "EntitySynonymMapper").empty()) << all(r.diagnostics);
  EXPECT_EQ(matching(r.diagnostics, S::kWarning, "fastText").size(), 4u);
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "FallbackClassifier").empty());
  EXPECT_TRUE(matching(r.diagnostics, S::kWarning, "MemoizationPolicy").empty());
  EXPECT_EQ(error_count(r.diagnostics), 0u);
}

TEST(LoaderInitbot, example_lines_point_into_the_file) {
  LoadResult r = load_project(kInitbot);
  const auto& ex = r.project.nlu.examples;
  ASSERT_GE(ex.size(), 14u);
  EXPECT_EQ(ex[0].text, "hey");
  EXPECT_EQ(ex[0].intent, "greet");
  EXPECT_EQ(ex[0].loc.to_string(), "data/nlu.yml:6");
  EXPECT_EQ(ex[13].text, "cu");
  EXPECT_EQ(ex[13].loc.to_string(), "data/nlu.yml:22");
}

TEST(LoaderInitbot, test_stories_load_with_user_text) {
  std::vector<Diagnostic> diags;
  auto stories = load_test_stories(kInitbot, diags).stories;
  EXPECT_EQ(error_count(diags), 0u) << all(diags);
  ASSERT_EQ(stories.size(), 7u);
  const Story& s = stories[0];
  EXPECT_EQ(s.name, "happy path 1");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].kind, Step::Kind::kUser);
  ASSERT_TRUE(s.steps[0].user.text.has_value());
  EXPECT_EQ(*s.steps[0].user.text, "hello there!");
  EXPECT_EQ(s.steps[0].user.intent, "greet");
  EXPECT_EQ(s.steps[1].kind, Step::Kind::kAction);
  EXPECT_EQ(s.steps[1].name, "utter_greet");
  EXPECT_EQ(s.steps[0].loc.to_string(), "tests/test_stories.yml:6");
}

}  // namespace
}  // namespace parley::project
