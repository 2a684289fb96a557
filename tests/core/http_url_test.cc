// http(s) URLs as the outbound clients (action client, HTTP sink) read them: scheme, host, port, target.
#include <gtest/gtest.h>

#include "core/http_url.h"

namespace parley {
namespace {

TEST(HttpUrl, http_and_https_urls_parse_with_their_default_ports_and_bad_ones_say_why) {
  auto a = parse_http_url("https://actions.example/webhook?x=1", "action endpoint");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "actions.example");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->target, "/webhook?x=1");
  EXPECT_EQ(a->host_header(), "actions.example");
  auto b = parse_http_url("http://[::1]:5055", "action endpoint");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, "5055");
  EXPECT_EQ(b->target, "/");
  EXPECT_EQ(b->host_header(), "[::1]:5055");
  for (const char* bad : {"ftp://x/", "http://", "http://x:99999/", "http://user:pw@x/", "webhook", "http://x/#f"}) {
    auto r = parse_http_url(bad, "action endpoint");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
    }
  }
}

}  // namespace
}  // namespace parley
