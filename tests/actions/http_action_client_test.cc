// The outbound TLS of the action client, against a real HTTPS server on loopback: certificates
// verified against the configured CA (chain and name), refused otherwise.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "actions/http_action_client.h"
#include "server/server_process.h"
#include "support/https_server.h"
#include "support/tls_certs.h"

namespace parley {
namespace {

using testing::HttpsServer;
using testing::TempDir;
using testing::TestPki;

HttpsServer::Answer canned(const std::string&, const std::string&) {
  return {200, R"({"events": [], "responses": [{"text": "over tls"}]})"};
}

Result<json::value> call_action(const std::string& url, const std::string& ca_file) {
  boost::asio::io_context ioc;
  actions::HttpActionClientOptions options;
  options.ca_file = ca_file;
  auto client = actions::make_async_http_action_client(ioc.get_executor(), options);
  if (!client.ok()) return client.status();
  std::optional<dialogue::ActionReply> out;
  dialogue::ActionRequest req{"action_lookup", url, json::object{{"next_action", "action_lookup"}},
                              std::chrono::milliseconds(5000)};
  (*client)->call(req, [&](dialogue::ActionReply r) { out.emplace(std::move(r)); });
  ioc.run();
  if (!out) return Status::internal("no result");
  if (!out->is_ok()) return out->error;
  return std::move(out->body);
}

TEST(HttpsActionClient, calls_an_https_action_server_whose_certificate_the_ca_file_vouches_for) {
  TempDir dir;
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
  TempDir dir;
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
  actions::HttpActionClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto client = actions::make_async_http_action_client(ioc.get_executor(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace parley
