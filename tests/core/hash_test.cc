// FNV-1a (core/hash.h) and the values of the hashes built on it, pinned on fixed inputs: the
// dialogue features and the CRF's attribute keys are in every trained model, so a change here
// would silently make every cached model mean something else.
#include "core/hash.h"

#include <gtest/gtest.h>

#include <vector>

#include "dialogue/states.h"
#include "nlu/crf_features.h"
#include "nlu/tokens.h"

namespace parley {
namespace {

TEST(Fnv1a, keeps_parleys_offset_basis) {
  EXPECT_EQ(fnv1a(""), 0x14650fb0739d0383ull);
  EXPECT_EQ(fnv1a("a"), 0x44bd8ad473cd9906ull);
  EXPECT_EQ(fnv1a("foobar"), 0x88fad7c0a8ff07f2ull);
}

TEST(Fnv1a, continues_from_a_given_hash) {
  EXPECT_EQ(fnv1a("bar", fnv1a("foo")), fnv1a("foobar"));
  EXPECT_EQ(fnv1a_byte(fnv1a("fooba"), 'r'), fnv1a("foobar"));
  EXPECT_EQ(fnv1a("\xff\x80"), fnv1a_byte(fnv1a_byte(kFnvOffset, 0xff), 0x80));  // bytes, not chars
}

TEST(HashValues, dialogue_features_keep_their_values) {
  EXPECT_EQ(dialogue::feature("intent:greet"), 0x379799188b8da3deull);
  EXPECT_EQ(dialogue::feature("slot:name=ann"), 0xc6ff806f5e68bfc2ull);
  EXPECT_EQ(dialogue::feature("prev:utter_greet"), 0x194531f21bf4528aull);
}

nlu::CrfFeaturizer featurizer_with_cities(std::vector<std::string> cities) {
  project::NluData data;
  data.lookups.push_back({.name = "city", .elements = std::move(cities), .loc = {}});
  auto f = nlu::CrfFeaturizer::build(data, project::Domain{}, nlu::CrfFeatureOptions{});
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f).value();
}

TEST(HashValues, crf_attribute_keys_keep_their_values) {
  const nlu::CrfFeaturizer f = featurizer_with_cities({"paris"});
  std::vector<uint64_t> keys;
  std::vector<uint32_t> ends;
  f.featurize("Paris", nlu::tokenize("Paris"), "travel", keys, ends);
  const std::vector<uint64_t> expected = {
      0x9a65b500c545e36aull,  // bias
      0x220200b58d6f4434ull,  // lower "paris"
      0x9a5ee900c5401d18ull,  // title case
      0x2c3445b10bfc1c3aull,  // prefix2 "pa"
      0x1475b5894b86803bull,  // prefix5 "paris"
      0x75e9b7e35f18e97full,  // suffix2 "is"
      0x85dc88ad9c844bf8ull,  // suffix3 "ris"
      0x023cd69fbe5911acull,  // suffix5 "paris"
      0x0cac22ca0f10a940ull,  // shape "Xx"
      0x9a91d300c56b514full,  // first token
      0x9a8e6d00c5686e26ull,  // last token
      0x2348dc58d4d7c751ull,  // intent "travel"
      0xbc0e3f495e1dbadeull,  // in lookup "city", a one-word match
  };
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(ends, std::vector<uint32_t>{13});
}

TEST(HashValues, crf_phrase_keys_keep_their_values) {
  const nlu::CrfFeaturizer f = featurizer_with_cities({"new york"});
  std::vector<uint64_t> keys;
  std::vector<uint32_t> ends;
  f.featurize("in New York", nlu::tokenize("in New York"), "", keys, ends);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(keys[ends[1] - 1], 0xbc0e52495e1ddb27ull);  // "new", first word of the phrase
  EXPECT_EQ(keys[ends[2] - 1], 0xbc0e48495e1dca29ull);  // "york", last word of the phrase
}

TEST(HashValues, the_redis_partition_hash_of_bot_nul_conversation_keeps_its_value) {
  // store/redis/redis_store.cc: fnv1a(conversation, fnv1a_byte(fnv1a(bot), 0)) picks the partition
  // (and so the key) of every stored conversation.
  EXPECT_EQ(fnv1a("c1", fnv1a_byte(fnv1a("pizza"), 0)), 6702769848694977273ull);
  EXPECT_EQ(fnv1a(std::string_view("pizza\0c1", 8)), 6702769848694977273ull);
}

}  // namespace
}  // namespace parley
