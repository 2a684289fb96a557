// The server process: starts on a free port, reports ready, drains and exits 0 on SIGTERM.
#include <gtest/gtest.h>

#include "server/server_process.h"

namespace parley::testing {
namespace {

TEST(ServeLifecycle, starts_ready_and_exits_zero_on_sigterm) {
  TempDir dir;
  ServerProcess server({.data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient client(server.port());
  EXPECT_EQ(client.get("/healthz").status, 200u);
  auto bots = client.get("/v1/bots");
  EXPECT_EQ(bots.status, 200u);
  EXPECT_NE(bots.body.find("pizza"), std::string::npos) << bots.body;
  EXPECT_EQ(server.terminate(), 0) << server.log();
}

}  // namespace
}  // namespace parley::testing
