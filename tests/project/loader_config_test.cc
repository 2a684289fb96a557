// config.yml and endpoints.yml: the settings Parley uses, warnings for the components it does not.
#include <gtest/gtest.h>

#include <cstdlib>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

TEST(LoaderConfig, reads_fallback_and_policy_settings) {
  LoadResult r = load(with({{"config.yml", R"(recipe: default.v1
assistant_id: test-bot
language: de
pipeline:
  - name: WhitespaceTokenizer
  - name: FallbackClassifier
    threshold: 0.55
    ambiguity_threshold: 0.05
policies:
  - name: MemoizationPolicy
    max_history: 3
  - name: RulePolicy
    core_fallback_threshold: 0.4
    core_fallback_action_name: action_my_fallback
    enable_fallback_prediction: false
    restrict_rules: false
    check_for_contradictions: false
  - name: TEDPolicy
    epochs: 10
  - name: UnexpecTEDIntentPolicy
)"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Config& c = r.project.config;
  EXPECT_EQ(c.language, "de");
  EXPECT_TRUE(c.nlu_fallback_enabled);
  EXPECT_DOUBLE_EQ(c.nlu_fallback_threshold, 0.55);
  EXPECT_DOUBLE_EQ(c.ambiguity_threshold, 0.05);
  EXPECT_TRUE(c.memoization_enabled);
  EXPECT_EQ(c.memoization_max_history, 3);
  EXPECT_TRUE(c.rules_enabled);
  EXPECT_DOUBLE_EQ(c.core_fallback_threshold, 0.4);
  EXPECT_EQ(c.core_fallback_action, "action_my_fallback");
  EXPECT_FALSE(c.enable_fallback_prediction);
  EXPECT_FALSE(c.restrict_rules);
  EXPECT_FALSE(c.check_for_contradictions);
  testing::expect_warning_at(r.diagnostics, "config.yml", 5, {"'WhitespaceTokenizer' is not used by Parley", "fastText"});
  EXPECT_TRUE(c.learned_policy_enabled);
  EXPECT_EQ(c.learned_policy_epochs, 10);
  EXPECT_FALSE(c.entity_learner_enabled);  // no DIETClassifier or CRFEntityExtractor listed
  EXPECT_FALSE(c.regex_features_enabled);
  testing::expect_warning_at(r.diagnostics, "config.yml", 20, {"'UnexpecTEDIntentPolicy' is not used by Parley"});
}

TEST(LoaderConfig, policies_left_out_are_disabled_and_no_fallback_classifier_means_no_nlu_fallback) {
  LoadResult r = load(with({{"config.yml", "pipeline:\n  - name: DIETClassifier\npolicies:\n"
                                           "  - name: AugmentedMemoizationPolicy\n    max_history: 2\n"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const Config& c = r.project.config;
  EXPECT_FALSE(c.nlu_fallback_enabled);
  EXPECT_FALSE(c.rules_enabled);
  EXPECT_TRUE(c.memoization_enabled);
  EXPECT_EQ(c.memoization_max_history, 2);
  EXPECT_TRUE(c.memoization_augmented);
  EXPECT_TRUE(testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "AugmentedMemoization").empty())
      << all(r.diagnostics);
  EXPECT_TRUE(c.entity_learner_enabled);
  EXPECT_FALSE(c.learned_policy_enabled);
}

TEST(LoaderConfig, learned_components_read_their_settings) {
  LoadResult r = load(with({{"config.yml", "pipeline:\n  - name: CRFEntityExtractor\n    max_iterations: 40\n"
                                           "    L1_c: 0.5\n    L2_c: 0.01\n    BILOU_flag: false\n"
                                           "    features: []\n  - name: DIETClassifier\n    entity_recognition: false\n"
                                           "policies:\n  - name: TEDPolicy\n    max_history: 3\n    random_seed: 5\n"
                                           "    epochs: hundred\n"}}));
  const Config& c = r.project.config;
  EXPECT_TRUE(c.entity_learner_enabled);
  EXPECT_EQ(c.entity_learner_component, "CRFEntityExtractor");
  EXPECT_EQ(c.crf_max_iterations, 40);
  EXPECT_DOUBLE_EQ(c.crf_l1, 0.5);
  EXPECT_DOUBLE_EQ(c.crf_l2, 0.01);
  EXPECT_FALSE(c.entity_bilou);
  EXPECT_EQ(c.learned_policy_max_history, 3);
  EXPECT_EQ(c.learned_policy_seed, 5u);
  testing::expect_warning_at(r.diagnostics, "config.yml", 7, {"setting 'features' of CRFEntityExtractor is not used"});
  testing::expect_error_at(r.diagnostics, "config.yml", 14, {"epochs of TEDPolicy must be a whole number"});
}

TEST(LoaderConfig, bad_settings_are_errors_with_the_line) {
  LoadResult r = load(with({{"config.yml", "pipeline:\n  - name: FallbackClassifier\n    threshold: high\n"
                                           "policies:\n  - name: MemoizationPolicy\n    max_history: -2\n"
                                           "  - RulePolicy\n"}}));
  EXPECT_FALSE(r.ok());
  testing::expect_error_at(r.diagnostics, "config.yml", 3, {"threshold of FallbackClassifier must be a number",
                                                            "'high'"});
  testing::expect_error_at(r.diagnostics, "config.yml", 6, {"max_history of MemoizationPolicy"});
  testing::expect_error_at(r.diagnostics, "config.yml", 7, {"must be a mapping with a 'name'"});
}

TEST(LoaderConfig, config_yaml_extension_and_unknown_keys) {
  LoadResult r = load(with({{"config.yaml", "language: fr\nimporters: []\n"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_EQ(r.project.config.language, "fr");
  testing::expect_warning_at(r.diagnostics, "config.yaml", 2, {"config key 'importers' is not used"});
}

TEST(LoaderConfig, endpoints_action_url_with_environment_variables) {
  ::setenv("PARLEY_LOADER_TEST_PORT", "5056", 1);
  LoadResult r = load(with({{"endpoints.yml", "action_endpoint:\n  url: \"http://localhost:${PARLEY_LOADER_TEST_PORT}/webhook\"\n"
                                              "tracker_store:\n  type: redis\n"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_EQ(r.project.endpoints.action_endpoint_url, "http://localhost:5056/webhook");
  testing::expect_warning_at(r.diagnostics, "endpoints.yml", 3, {"'tracker_store' is not used by Parley"});
}

TEST(LoaderConfig, endpoints_without_url_is_an_error) {
  LoadResult r = load(with({{"endpoints.yml", "action_endpoint:\n  token: x\n"}}));
  testing::expect_error_at(r.diagnostics, "endpoints.yml", 1, {"action_endpoint must be a mapping with a 'url'"});
}

}  // namespace
}  // namespace parley::project
