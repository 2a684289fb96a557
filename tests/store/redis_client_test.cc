// The Redis client's pieces that a cluster depends on: key slots as Redis computes them (checked
// against a cluster-enabled redis-server), and URL parsing with its errors.
#include "store/redis/client.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace parley::store::redis {
namespace {

TEST(RedisClient, key_slots_match_what_redis_cluster_computes) {
  parley::testing::RedisServer node({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"});
  ASSERT_TRUE(node.ready());
  for (std::string key : {"somekey", "foo{hash_tag}", "{user1000}.following", "parley:{p7.71}:m:5:pizzame",
                          "{}empty-tag", "no}tag{", "parley:{parley}:outbox", "x"}) {
    std::string out = parley::testing::RedisCluster::cli(node.port(), "cluster keyslot '" + key + "'");
    EXPECT_EQ(std::to_string(key_slot(key)) + "\n", out) << key;
  }
}

TEST(RedisClient, parses_node_and_cluster_urls_and_names_what_is_wrong) {
  auto one = parse_url("redis://:secret@10.0.0.5:6380/2");
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->cluster);
  ASSERT_EQ(one->nodes.size(), 1u);
  EXPECT_EQ(one->nodes[0].host, "10.0.0.5");
  EXPECT_EQ(one->nodes[0].port, 6380);
  EXPECT_EQ(one->nodes[0].password, "secret");
  EXPECT_EQ(one->nodes[0].db, 2);
  auto cluster = parse_url("redis+cluster://127.0.0.1:7000,127.0.0.1:7001");
  ASSERT_TRUE(cluster.ok());
  EXPECT_TRUE(cluster->cluster);
  ASSERT_EQ(cluster->nodes.size(), 2u);
  EXPECT_EQ(cluster->nodes[1].port, 7001);
  EXPECT_FALSE(parse_url("http://x:1").ok());
  EXPECT_FALSE(parse_url("redis://x:99999").ok());
  EXPECT_FALSE(parse_url("redis://a:1,b:2").ok());           // several hosts need redis+cluster://
  EXPECT_FALSE(parse_url("redis+cluster://a:1/3").ok());     // a cluster has no databases
}

}  // namespace
}  // namespace parley::store::redis
