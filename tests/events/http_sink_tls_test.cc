// The outbound TLS of the HTTP sink, against a real HTTPS server on loopback: batches delivered to
// a receiver the configured CA vouches for, refused by one it does not.
#include <gtest/gtest.h>

#include "events/sink.h"
#include "server/server_process.h"
#include "support/https_server.h"
#include "support/tls_certs.h"

namespace parley {
namespace {

using testing::HttpsServer;
using testing::TempDir;
using testing::TestPki;

TEST(HttpsSink, delivers_batches_over_tls_on_kept_alive_connections_and_refuses_an_untrusted_receiver) {
  TempDir dir;
  TestPki pki(dir.sub("pki"));
  ASSERT_TRUE(pki.ok()) << pki.error();
  HttpsServer receiver(pki.server_cert(), pki.server_key(),
                       [](const std::string&, const std::string&) { return HttpsServer::Answer{200, "{}"}; });
  events::OutEvent e;
  e.id = "e1";
  e.record = R"({"id":"e1","type":"user"})";
  events::Batch batch{&e};

  events::SinkConfig good;
  good.name = "audit";
  good.type = "http";
  good.url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/events";
  good.ca_file = pki.ca_cert();
  auto sink = events::make_http_sink(good);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  for (int i = 0; i < 3; ++i) {
    Status s = (*sink)->deliver(batch, std::chrono::milliseconds(5000));
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
  ASSERT_EQ(receiver.bodies().size(), 3u);
  EXPECT_EQ(receiver.bodies()[0], "[" + e.record + "]");

  events::SinkConfig untrusted = good;
  untrusted.ca_file = pki.other_ca_cert();
  auto bad = events::make_http_sink(untrusted);
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  Status s = (*bad)->deliver(batch, std::chrono::milliseconds(5000));
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("certificate verify failed"), std::string::npos) << s.message();
  EXPECT_EQ(receiver.bodies().size(), 3u);
}

}  // namespace
}  // namespace parley
