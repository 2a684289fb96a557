// Redis failing under replicas, as a client meets it: out of memory (maxmemory with noeviction)
// or unreachable, a turn gets 503 with Retry-After and an error naming neither Redis's host nor
// its own words; /readyz says the store is degraded; writes resume when Redis has room again.
#include <gtest/gtest.h>

#include "support/client.h"
#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/eventually.h"
#include "support/redis_server.h"

namespace parley::testing {
namespace {

void expect_unavailable_naming_nothing_internal(const HttpResult& r, const RedisServer& redis) {
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty()) << r.body;
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(std::to_string(redis.port())), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("maxmemory"), std::string::npos) << r.body;
}

TEST(ServeRedisFaults, redis_out_of_memory_or_gone_gives_503_without_its_details) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  ASSERT_TRUE(redis.ready());
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_STORE", "redis"},
                                {"PARLEY_REDIS_URL", redis.url()},
                                {"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  const std::string padding(1500, 'p');
  HttpResult refused;
  int acked = 0;
  for (int i = 0; i < 20000 && refused.status == 0; ++i) {
    auto r = c.post_json("/v1/bots/echo/conversations/c" + std::to_string(i % 8) + "/messages",
                         {{"id", "m" + std::to_string(i)}, {"text", padding + std::to_string(i)}});
    if (r.status == 200) ++acked;
    else refused = r;
  }
  EXPECT_GT(acked, 0);
  expect_unavailable_naming_nothing_internal(refused, redis);
  EXPECT_NE(refused.body.find("out of memory"), std::string::npos) << refused.body;
  // Readiness probes Redis with a small write of its own, which may fit again for a moment (Redis's
  // used memory moves with its client buffers): ask while the store is still refusing writes.
  auto ready = c.get("/readyz");
  for (int i = 0; i < 50 && ready.status != 503; ++i) {
    c.post_json("/v1/bots/echo/conversations/c0/messages", {{"id", "more" + std::to_string(i)}, {"text", padding}});
    ready = c.get("/readyz");
  }
  EXPECT_EQ(ready.status, 503u) << ready.body;
  EXPECT_EQ(ready.error_code(), "store_degraded") << ready.body;

  RedisCluster::cli(redis.port(), "config set maxmemory 0");
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, std::chrono::seconds(10)));
  EXPECT_EQ(c.post_json("/v1/bots/echo/conversations/c0/messages", {{"id", "room"}, {"text", "hi"}}).status, 200u);

  redis.kill();
  auto gone = c.post_json("/v1/bots/echo/conversations/c0/messages", {{"id", "gone"}, {"text", "hi"}});
  expect_unavailable_naming_nothing_internal(gone, redis);
  EXPECT_TRUE(server.running()) << server.log();
}

}  // namespace
}  // namespace parley::testing
