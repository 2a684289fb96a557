// Reloading a bot as an operator (or an attacker with write access to one folder) meets it: a
// symbolic link out of the bot is refused naming the file and quoting nothing of it; a bot over
// max_project_bytes is refused before parsing; one reload runs at a time (the next gets 503 with
// Retry-After); memory taken by a big reload is given back once the small version is reloaded;
// /v1/bots shows no absolute folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "support/client.h"
#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/temp_project.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

// An NLU file of `lines` different examples of the echo bot's intent.
void write_big_nlu(const std::string& path, size_t lines) {
  std::mt19937 rng(7);
  std::ofstream out(path);
  out << "version: \"3.1\"\nnlu:\n- intent: say\n  examples: |\n";
  for (size_t i = 0; i < lines; ++i) {
    out << "    -";
    for (int w = 0; w < 6; ++w) {
      out << ' ';
      for (int c = 3 + rng() % 6; c > 0; --c) out << static_cast<char>('a' + rng() % 26);
    }
    out << '\n';
  }
}

std::string reply_text(HttpClient& c, const std::string& text) {
  auto r = c.post_json("/v1/bots/echo/conversations/ops/messages", {{"text", text}});
  return r.status == 200 ? std::string(r.json().at("messages").at(0).at("text").as_string()) : r.body;
}

TEST(ServeReloadHygiene, a_symlink_out_of_the_bot_is_refused_naming_the_file_and_quoting_none_of_it) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  TempProject outside(std::map<std::string, std::string>{
      {"shadow", "nlu:\n- intent: say\n  examples: |\n    root:SECRET-HASH:19000:0:99999:7:::\n"}});
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  fs::create_symlink(outside.dir() + "/shadow", dir.sub("bots/echo/data/shadow.yml"));
  auto r = c.post("/v1/bots/echo/reload", "");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(r.error_code(), "invalid_bot") << r.body;
  EXPECT_NE(r.body.find("data/shadow.yml"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("symbolic link"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(outside.dir()), std::string::npos) << r.body;
  EXPECT_EQ(server.log().find("SECRET"), std::string::npos);
  EXPECT_EQ(reply_text(c, "still here"), "Got still here.");  // the running version keeps serving
}

TEST(ServeReloadHygiene, the_bots_list_names_folders_relative_to_the_bots_folder) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  auto r = HttpClient(server.port()).get("/v1/bots");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("bots").at(0).at("dir").as_string(), "echo") << r.body;
  EXPECT_EQ(r.body.find(dir.path()), std::string::npos) << r.body;
}

TEST(ServeReloadHygiene, a_bot_over_max_project_bytes_is_refused_before_parsing) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"),
                        .env = {{"PARLEY_MAX_PROJECT_BYTES", "64KiB"}}});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  write_big_nlu(dir.sub("bots/echo/data/big.yml"), 4000);  // about 200 KB
  auto r = c.post("/v1/bots/echo/reload", "");
  EXPECT_EQ(r.status, 422u) << r.body;
  EXPECT_NE(r.body.find("max_project_bytes"), std::string::npos) << r.body;
  EXPECT_EQ(reply_text(c, "kept"), "Got kept.");
}

TEST(ServeReloadHygiene, one_reload_at_a_time_and_the_memory_of_a_big_one_is_given_back) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  // No learned entity extractor: the big version costs parsing and the intent model only.
  std::ofstream(dir.sub("bots/echo/config.yml"))
      << "recipe: default.v1\nlanguage: en\npipeline:\n  - name: WhitespaceTokenizer\n"
         "  - name: FallbackClassifier\n    threshold: 0.3\npolicies:\n  - name: RulePolicy\n";
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store"), .env = {{"PARLEY_MODEL_CACHE", "off"}}});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  ASSERT_EQ(c.post("/v1/bots/echo/reload", "").status, 200u);  // the reload thread's own memory
  const uint64_t baseline = rss_kib(server.pid());

  write_big_nlu(dir.sub("bots/echo/data/big.yml"), 100000);  // about 5 MB, well under the cap
  auto big = std::async(std::launch::async, [&] {
    return HttpClient(server.port(), std::chrono::seconds(120)).post("/v1/bots/echo/reload", "");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto second = c.post("/v1/bots/echo/reload", "");
  EXPECT_EQ(second.status, 503u) << second.body;
  EXPECT_EQ(second.error_code(), "reload_busy") << second.body;
  EXPECT_FALSE(second.header("retry-after").empty());
  ASSERT_EQ(big.get().status, 200u);
  const uint64_t with_big = rss_kib(server.pid());

  fs::remove(dir.sub("bots/echo/data/big.yml"));
  ASSERT_EQ(c.post("/v1/bots/echo/reload", "").status, 200u);
  const uint64_t after = rss_kib(server.pid());
  const auto grown = static_cast<int64_t>(with_big) - static_cast<int64_t>(baseline);
  const auto kept = static_cast<int64_t>(after) - static_cast<int64_t>(baseline);
  ASSERT_GT(grown, 20000) << "the big version should take memory";
  // Most of what the big version took is given back (before malloc_trim glibc kept about 90 %).
  EXPECT_LT(kept, grown / 3)
      << "baseline " << baseline << " KiB, with the big version " << with_big << " KiB, after " << after << " KiB";
  EXPECT_EQ(reply_text(c, "small again"), "Got small again.");
}

}  // namespace
}  // namespace parley::testing
