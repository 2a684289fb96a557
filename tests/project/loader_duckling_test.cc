// DucklingEntityExtractor in config.yml: its settings, and the warning that names every
// dimension Parley cannot extract without a Duckling server.
#include <gtest/gtest.h>

#include <cstdlib>

#include "project/loader_test_util.h"

namespace parley::project {
namespace {

using testing::all;
using testing::load;
using testing::with;

TEST(LoaderDuckling, reads_url_dimensions_locale_timezone_and_timeout) {
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  LoadResult r = load(with({{"config.yml", R"(language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: DucklingEntityExtractor
    url: http://localhost:8000
    dimensions: ["time", "number"]
    locale: en_GB
    timezone: Europe/Berlin
    timeout: 1.5
)"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const DucklingConfig& d = r.project.config.duckling;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.url, "http://localhost:8000");
  EXPECT_TRUE(d.dimensions_set);
  EXPECT_EQ(d.dimensions, (std::vector<std::string>{"time", "number"}));
  EXPECT_EQ(d.locale, "en_GB");
  EXPECT_EQ(d.timezone, "Europe/Berlin");
  EXPECT_DOUBLE_EQ(d.timeout_seconds, 1.5);
  EXPECT_TRUE(testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "DucklingEntityExtractor has").empty())
      << all(r.diagnostics);
}

TEST(LoaderDuckling, defaults_are_rasas_and_the_environment_url_wins) {
  ::setenv("RASA_DUCKLING_HTTP_URL", "http://127.0.0.1:9123", 1);
  LoadResult r = load(with({{"config.yml", "pipeline:\n  - name: DucklingEntityExtractor\n    url: http://elsewhere:8000\n"}}));
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  const DucklingConfig& d = r.project.config.duckling;
  EXPECT_EQ(d.url, "http://127.0.0.1:9123");
  EXPECT_FALSE(d.dimensions_set);
  EXPECT_DOUBLE_EQ(d.timeout_seconds, 3);
  EXPECT_TRUE(d.locale.empty());
}

TEST(LoaderDuckling, without_a_url_the_warning_names_every_dimension_not_covered) {
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  LoadResult r = load(with({{"config.yml", "pipeline:\n  - name: WhitespaceTokenizer\n  - name: DucklingEntityExtractor\n"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  EXPECT_TRUE(r.project.config.duckling.enabled);
  testing::expect_warning_at(r.diagnostics, "config.yml", 3,
                             {"no url", "credit-card-number", "distance", "duration", "quantity", "temperature",
                              "time", "volume"});
  auto w = testing::matching(r.diagnostics, Diagnostic::Severity::kWarning, "no url");
  ASSERT_EQ(w.size(), 1u);
  // The covered ones are named as covered, not among the missing.
  EXPECT_NE(w[0].message.find("email, url, phone-number, number, ordinal and amount-of-money itself"), std::string::npos);
  EXPECT_EQ(w[0].message.find("but not amount"), std::string::npos);
}

TEST(LoaderDuckling, with_dimensions_the_warning_names_only_the_configured_ones_not_covered) {
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  LoadResult r = load(with({{"config.yml", R"(pipeline:
  - name: DucklingEntityExtractor
    dimensions: [number, time, email, duration, colour]
)"}}));
  ASSERT_TRUE(r.ok()) << all(r.diagnostics);
  testing::expect_warning_at(r.diagnostics, "config.yml", 2, {"but not time, duration, colour"});
  testing::expect_warning_at(r.diagnostics, "config.yml", 3, {"dimension 'colour'", "not one of Duckling's"});
  // Covered dimensions only: no warning at all.
  LoadResult covered = load(with({{"config.yml", "pipeline:\n  - name: DucklingEntityExtractor\n    dimensions: [number, email]\n"}}));
  EXPECT_TRUE(testing::matching(covered.diagnostics, Diagnostic::Severity::kWarning, "DucklingEntityExtractor has").empty())
      << all(covered.diagnostics);
}

TEST(LoaderDuckling, a_bad_url_is_an_error_and_settings_are_checked) {
  ::unsetenv("RASA_DUCKLING_HTTP_URL");
  LoadResult r = load(with({{"config.yml", R"(pipeline:
  - name: DucklingEntityExtractor
    url: ftp://duckling
    timeout: soon
    retries: 3
)"}}));
  EXPECT_FALSE(r.ok());
  testing::expect_error_at(r.diagnostics, "config.yml", 2, {"ftp://duckling", "http://localhost:8000"});
  testing::expect_error_at(r.diagnostics, "config.yml", 4, {"timeout of DucklingEntityExtractor"});
  testing::expect_warning_at(r.diagnostics, "config.yml", 5, {"setting 'retries' of DucklingEntityExtractor is not used"});
}

}  // namespace
}  // namespace parley::project
