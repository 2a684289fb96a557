// The serve settings file: the store's long form and its errors.
#include "cli/serve_options.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace parley::cli {
namespace {

using parley::testing::TempDir;

TEST(ServeConfig, the_store_long_form_sets_type_and_url) {
  ServeOptions o;
  TempDir dir;
  auto path = dir.write("store.yml", "store:\n  type: redis\n  url: redis+cluster://127.0.0.1:7000,127.0.0.1:7001\n");
  ASSERT_TRUE(load_serve_config_file(path, o).is_ok());
  EXPECT_EQ(o.store, "redis");
  EXPECT_EQ(o.redis_url, "redis+cluster://127.0.0.1:7000,127.0.0.1:7001");
}

TEST(ServeConfig, boolean_settings_take_yaml_spellings_and_refuse_others) {
  ServeOptions o;
  ASSERT_TRUE(set_serve_option(o, "require_message_id", "yes").is_ok());
  EXPECT_TRUE(o.require_message_id);
  EXPECT_EQ(get_serve_option(o, "require_message_id"), "true");
  ASSERT_TRUE(set_serve_option(o, "require_message_id", "False").is_ok());
  EXPECT_FALSE(o.require_message_id);
  Status bad = set_serve_option(o, "require_message_id", "maybe");
  EXPECT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("is not true or false"), std::string::npos) << bad.message();
}

TEST(ServeConfig, the_store_long_form_refuses_unknown_keys_and_types_with_the_line) {
  ServeOptions o;
  TempDir dir;
  auto path = dir.write("store-bad.yml", "store:\n  type: redis\n  urll: redis://x:1\n");
  Status s = load_serve_config_file(path, o);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find(":3: unknown store setting 'urll'"), std::string::npos) << s.message();
  path = dir.write("store-type.yml", "store: {type: mongodb}\n");
  s = load_serve_config_file(path, o);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("mongodb"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace parley::cli
