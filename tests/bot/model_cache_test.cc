// The model cache: a second load of the same project loads its learners instead of training,
// changing one example trains again, a damaged entry is retrained (never loaded), and training
// is deterministic (the same project gives the same bytes).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bot/bot.h"
#include "bot/model_cache.h"
#include "dialogue/policy.h"
#include "nlu/nlu.h"
#include "project/loader_test_util.h"

namespace parley::bot {
namespace {

using project::testing::base_files;

std::vector<std::filesystem::path> entries(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path());
  return out;
}

TEST(ModelCache, SecondLoadUsesTheCacheAndChangingAnExampleRetrains) {
  parley::testing::TempProject project(base_files());
  parley::testing::TempProject cache({});
  BuildOptions opts{cache.dir() + "/models"};

  BuildResult first = build_bot(project.dir(), "b", opts);
  ASSERT_TRUE(first.bot) << project::testing::all(first.diagnostics);
  EXPECT_FALSE(first.models_from_cache);
  ASSERT_EQ(entries(opts.model_cache).size(), 1u);

  auto parts = read_model_cache(opts.model_cache, "b", model_key(project.dir()));
  ASSERT_TRUE(parts);
  EXPECT_TRUE(parts->count("nlu.intent"));
  EXPECT_TRUE(parts->count("dialogue.learned"));  // Rasa's default policies include TEDPolicy

  BuildResult second = build_bot(project.dir(), "b", opts);
  ASSERT_TRUE(second.bot);
  EXPECT_TRUE(second.models_from_cache);
  for (const char* text : {"hello", "bye", "hi there", "something else"}) {
    auto a = first.bot->nlu->parse(text), b = second.bot->nlu->parse(text);
    EXPECT_EQ(a.intent.name, b.intent.name) << text;
    EXPECT_DOUBLE_EQ(a.intent.confidence, b.intent.confidence) << text;
  }

  // One example more: a new key, trained again, and a second entry beside the first.
  project.write("data/nlu.yml",
                "version: \"3.1\"\nnlu:\n- intent: greet\n  examples: |\n    - hello\n    - hi\n    - hey\n"
                "- intent: goodbye\n  examples: |\n    - bye\n");
  BuildResult third = build_bot(project.dir(), "b", opts);
  ASSERT_TRUE(third.bot);
  EXPECT_FALSE(third.models_from_cache);
  EXPECT_EQ(entries(opts.model_cache).size(), 2u);
  EXPECT_TRUE(build_bot(project.dir(), "b", opts).models_from_cache);
}

TEST(ModelCache, ADamagedEntryIsRetrainedNotLoaded) {
  parley::testing::TempProject project(base_files());
  parley::testing::TempProject cache({});
  BuildOptions opts{cache.dir()};
  ASSERT_TRUE(build_bot(project.dir(), "b", opts).bot);
  auto files = entries(cache.dir());
  ASSERT_EQ(files.size(), 1u);
  // Flip one byte in the middle of the body: the checksum no longer matches.
  std::string bytes;
  {
    std::ifstream in(files[0], std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x5a;
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_FALSE(read_model_cache(cache.dir(), "b", model_key(project.dir())));
  BuildResult again = build_bot(project.dir(), "b", opts);
  ASSERT_TRUE(again.bot);
  EXPECT_FALSE(again.models_from_cache);
  EXPECT_TRUE(build_bot(project.dir(), "b", opts).models_from_cache);  // rewritten whole
  // Garbage of every short length is refused.
  for (size_t n = 0; n < 200; n += 7) {
    std::ofstream(files[0], std::ios::binary | std::ios::trunc) << std::string(n, 'x');
    EXPECT_FALSE(read_model_cache(cache.dir(), "b", model_key(project.dir())));
  }
}

TEST(ModelCache, TrainingIsDeterministicByteForByte) {
  parley::testing::TempProject project(base_files());
  project::LoadResult loaded = project::load_project(project.dir());
  ASSERT_TRUE(loaded.ok());
  auto opts = nlu::train_options(loaded.project.config);
  LearnerCache a, b;
  ASSERT_TRUE(nlu::train(loaded.project.nlu, loaded.project.domain, opts, &a).ok());
  ASSERT_TRUE(nlu::train(loaded.project.nlu, loaded.project.domain, opts, &b).ok());
  ASSERT_FALSE(a.saved.empty());
  EXPECT_EQ(a.trained, 2);  // the intent classifier and the entity CRF
  EXPECT_EQ(a.saved, b.saved);
  std::vector<project::Diagnostic> diags;
  LearnerCache p, q;
  dialogue::PolicySet::compile(loaded.project, diags, &p);
  dialogue::PolicySet::compile(loaded.project, diags, &q);
  ASSERT_EQ(p.trained, 1);
  EXPECT_EQ(p.saved, q.saved);
}

TEST(ModelCache, KeyCoversDataAndConfigButNotEndpoints) {
  parley::testing::TempProject project(base_files());
  std::string k1 = model_key(project.dir());
  project.write("endpoints.yml", "action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n");
  EXPECT_EQ(model_key(project.dir()), k1);
  project.write("config.yml", "language: en\n");
  std::string k2 = model_key(project.dir());
  EXPECT_NE(k2, k1);
  project.write("data/more.yml", "version: \"3.1\"\n");
  EXPECT_NE(model_key(project.dir()), k2);
}

}  // namespace
}  // namespace parley::bot
