// The outbound TLS of the action client and the HTTP sink, against a real HTTPS server on
// loopback: certificates verified against the configured CA (chain and name), refused otherwise.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "channels/http_action_client.h"
#include "core/http_url.h"
#include "events/sink.h"
#include "server/server_process.h"
#include "support/https_server.h"
#include "support/tls_certs.h"

namespace parley {
namespace {

using testing::HttpsServer;
using testing::ScratchDir;
using testing::TestPki;

HttpsServer::Answer canned(const std::string&, const std::string&) {
  return {200, R"({"events": [], "responses": [{"text": "over tls"}]})"};
}

Result<json::value> call_action(const std::string& url, const std::string& ca_file) {
  boost::asio::io_context ioc;
  channels::HttpActionClientOptions options;
  options.ca_file = ca_file;
  auto client = channels::make_async_http_action_client(ioc.get_executor(), options);
  if (!client.ok()) return client.status();
  std::optional<Result<json::value>> out;
  dialogue::ActionRequest req{"action_lookup", url, json::object{{"next_action", "action_lookup"}},
                              std::chrono::milliseconds(5000)};
  (*client)->call(req, [&](Result<json::value> r) { out.emplace(std::move(r)); });
  ioc.run();
  if (!out) return Status::internal("no result");
  return std::move(*out);
}

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
    if (!r.ok()) EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

TEST(HttpsActionClient, calls_an_https_action_server_whose_certificate_the_ca_file_vouches_for) {
  ScratchDir dir;
  TestPki pki(dir.sub("pki"));
  ASSERT_TRUE(pki.ok()) << pki.error();
  HttpsServer actions(pki.server_cert(), pki.server_key(), canned);
  auto r = call_action("https://127.0.0.1:" + std::to_string(actions.port()) + "/webhook", pki.ca_cert());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("responses").at(0).at("text").as_string(), "over tls");
  ASSERT_EQ(actions.bodies().size(), 1u);
  EXPECT_NE(actions.bodies()[0].find("action_lookup"), std::string::npos);
}

TEST(HttpsActionClient, refuses_a_certificate_from_another_ca_or_for_another_name) {
  ScratchDir dir;
  TestPki pki(dir.sub("pki"));
  ASSERT_TRUE(pki.ok()) << pki.error();
  ASSERT_TRUE(pki.make_server("elsewhere", "DNS:elsewhere.example")) << pki.error();
  {
    HttpsServer actions(pki.server_cert(), pki.server_key(), canned);
    auto r = call_action("https://127.0.0.1:" + std::to_string(actions.port()) + "/webhook", pki.other_ca_cert());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
    EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos) << r.status().message();
    EXPECT_TRUE(actions.bodies().empty());
  }
  {
    HttpsServer actions(dir.sub("pki") + "/elsewhere.pem", dir.sub("pki") + "/elsewhere.key", canned);
    auto r = call_action("https://127.0.0.1:" + std::to_string(actions.port()) + "/webhook", pki.ca_cert());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
    EXPECT_TRUE(actions.bodies().empty());
  }
  // A plain-HTTP client of an HTTPS server does not get an answer it would trust either.
  HttpsServer actions(pki.server_cert(), pki.server_key(), canned);
  auto r = call_action("http://127.0.0.1:" + std::to_string(actions.port()) + "/webhook", pki.ca_cert());
  EXPECT_FALSE(r.ok());
}

TEST(HttpsActionClient, an_unreadable_ca_file_is_an_error_when_the_client_is_made) {
  boost::asio::io_context ioc;
  channels::HttpActionClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto client = channels::make_async_http_action_client(ioc.get_executor(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(HttpsSink, delivers_batches_over_tls_on_kept_alive_connections_and_refuses_an_untrusted_receiver) {
  ScratchDir dir;
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
