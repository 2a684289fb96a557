// TLS at the edge of a real server process: HTTPS and WSS with a certificate the client verifies,
// nothing older than TLS 1.2, the certificate swapped on SIGHUP while open connections go on,
// unusable files refused at start, and custom actions called over https with the CA file.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/tls_client.h"
#include "support/eventually.h"
#include "support/https_server.h"
#include "support/tls_certs.h"

namespace parley::testing {
namespace {

class ServeTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    // The server reads copies, so that a test can replace them under it.
    std::filesystem::copy_file(pki_.server_cert(), cert_);
    std::filesystem::copy_file(pki_.server_key(), key_);
    write_echo_bot(dir_.sub("bots"));
  }

  ServerOptions options(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--ssl-certificate", cert_, "--ssl-keyfile", key_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string ca = pki_.ca_cert();
    return {.bots = dir_.sub("bots"),
            .data = dir_.sub("store"),
            .extra_args = args,
            .ready = [ca](uint16_t port) { return TlsClient(port, ca, 0, 1000ms).request(http::verb::get, "/readyz").status == 200; }};
  }

  TempDir dir_;
  TestPki pki_{dir_.sub("pki")};
  std::string cert_ = dir_.sub("cert.pem");
  std::string key_ = dir_.sub("key.pem");
};

TEST_F(ServeTls, messages_and_websocket_go_over_tls_and_plain_http_gets_no_answer) {
  ServerProcess server(options());
  ASSERT_TRUE(server.start()) << server.log();
  TlsClient c(server.port(), pki_.ca_cert());
  auto r = c.post_json("/v1/bots/echo/conversations/tls/messages", {{"id", "m1"}, {"text", "over tls"}});
  ASSERT_EQ(r.status, 200u) << r.body << r.error;
  EXPECT_EQ(r.json().at("messages").at(0).at("text").as_string(), "Got over tls.");
  EXPECT_EQ(c.peer_common_name(), "server");
  // Keep-alive: a second request on the same TLS connection.
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots/echo/conversations/tls").status, 200u);

  TlsClient ws(server.port(), pki_.ca_cert());
  std::string answer = ws.ws_roundtrip("/v1/bots/echo/ws", R"({"conversation":"wss","id":"w1","text":"secure"})");
  EXPECT_NE(answer.find("Got secure."), std::string::npos) << answer;

  // Plain HTTP on the TLS port: no HTTP answer, the connection is closed.
  HttpClient plain(server.port(), 3000ms);
  auto p = plain.get("/healthz");
  EXPECT_EQ(p.status, 0u) << p.body;
  // A client that does not trust the CA refuses the server.
  TlsClient untrusting(server.port(), pki_.other_ca_cert());
  EXPECT_NE(untrusting.connect().find("certificate verify failed"), std::string::npos);
  EXPECT_TRUE(server.running());
}

TEST_F(ServeTls, only_tls_1_2_and_1_3_are_spoken) {
  ServerProcess server(options());
  ASSERT_TRUE(server.start()) << server.log();
  TlsClient tls11(server.port(), pki_.ca_cert(), TLS1_1_VERSION);
  EXPECT_NE(tls11.connect(), "") << "a TLS 1.1 handshake was accepted";
  TlsClient tls12(server.port(), pki_.ca_cert(), TLS1_2_VERSION);
  EXPECT_EQ(tls12.connect(), "");
  EXPECT_EQ(tls12.protocol(), "TLSv1.2");
  TlsClient any(server.port(), pki_.ca_cert());
  EXPECT_EQ(any.connect(), "");
  EXPECT_EQ(any.protocol(), "TLSv1.3");
}

TEST_F(ServeTls, sighup_swaps_the_certificate_and_open_connections_go_on) {
  ServerProcess server(options());
  ASSERT_TRUE(server.start()) << server.log();
  TlsClient open(server.port(), pki_.ca_cert());
  ASSERT_EQ(open.post_json("/v1/bots/echo/conversations/hup/messages", {{"id", "1"}, {"text", "before"}}).status, 200u);
  EXPECT_EQ(open.peer_common_name(), "server");

  ASSERT_TRUE(pki_.make_server("renewed", "IP:127.0.0.1,DNS:localhost")) << pki_.error();
  std::filesystem::copy_file(dir_.sub("pki") + "/renewed.pem", cert_, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir_.sub("pki") + "/renewed.key", key_, std::filesystem::copy_options::overwrite_existing);
  server.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return server.log().find("TLS certificate reloaded") != std::string::npos; }))
      << server.log();
  TlsClient fresh(server.port(), pki_.ca_cert());
  ASSERT_EQ(fresh.connect(), "");
  EXPECT_EQ(fresh.peer_common_name(), "renewed");
  // The connection opened before the swap was not dropped.
  auto r = open.post_json("/v1/bots/echo/conversations/hup/messages", {{"id", "2"}, {"text", "after"}});
  EXPECT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(open.peer_common_name(), "server");

  // A broken file on the next SIGHUP: logged, and the renewed certificate stays in use.
  std::ofstream(key_, std::ios::trunc) << "not a key\n";
  server.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return server.log().find("TLS certificate was not reloaded") != std::string::npos; }))
      << server.log();
  TlsClient after(server.port(), pki_.ca_cert());
  ASSERT_EQ(after.connect(), "");
  EXPECT_EQ(after.peer_common_name(), "renewed");
}

TEST_F(ServeTls, unusable_certificate_files_stop_the_start_with_an_error_naming_the_file) {
  {
    ServerProcess server({.bots = dir_.sub("bots"), .data = dir_.sub("store1"),
                          .extra_args = {"--ssl-certificate", dir_.sub("missing.pem"), "--ssl-keyfile", key_}});
    EXPECT_FALSE(server.start());
    EXPECT_NE(server.log().find("missing.pem"), std::string::npos) << server.log();
  }
  {
    ASSERT_TRUE(pki_.make_server("stranger", "DNS:localhost")) << pki_.error();
    ServerProcess server({.bots = dir_.sub("bots"), .data = dir_.sub("store2"),
                          .extra_args = {"--ssl-certificate", cert_, "--ssl-keyfile", dir_.sub("pki") + "/stranger.key"}});
    EXPECT_FALSE(server.start());
    EXPECT_NE(server.log().find("does not match"), std::string::npos) << server.log();
  }
  {
    ServerProcess server({.bots = dir_.sub("bots"), .data = dir_.sub("store3"), .extra_args = {"--ssl-certificate", cert_}});
    EXPECT_FALSE(server.start());
    EXPECT_NE(server.log().find("tls_key_file"), std::string::npos) << server.log();
  }
}

TEST_F(ServeTls, custom_actions_are_called_over_https_with_the_ca_file_and_refused_without_it) {
  HttpsServer actions(pki_.server_cert(), pki_.server_key(), [](const std::string&, const std::string&) {
    return HttpsServer::Answer{200, R"({"events": [], "responses": [{"text": "looked up over tls"}]})"};
  });
  TempDir bots;
  write_echo_bot(bots.sub("b"), {.intents = "  - lookup\n",
                                 .actions = "  - action_lookup\n",
                                 .nlu = "- intent: lookup\n  examples: |\n    - look it up\n    - lookup please\n",
                                 .rules = "- rule: lookup\n  steps:\n  - intent: lookup\n  - action: action_lookup\n"});
  std::ofstream(bots.sub("b") + "/echo/endpoints.yml")
      << "action_endpoint:\n  url: https://127.0.0.1:" << actions.port() << "/webhook\n";

  auto reply_of = [&](const std::vector<std::string>& args, const std::string& store) {
    ServerProcess server({.bots = bots.sub("b"), .data = dir_.sub(store), .extra_args = args});
    EXPECT_TRUE(server.start()) << server.log();
    auto r = HttpClient(server.port()).post_json("/v1/bots/echo/conversations/a/messages", {{"text", "look it up"}});
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.body;
  };
  EXPECT_NE(reply_of({"--ssl-ca-file", pki_.ca_cert()}, "s1").find("looked up over tls"), std::string::npos);
  EXPECT_EQ(actions.bodies().size(), 1u);
  // The system's CAs do not know the test CA: the call fails, the conversation gets Parley's answer for a failed action.
  std::string refused = reply_of({}, "s2");
  EXPECT_EQ(refused.find("looked up over tls"), std::string::npos) << refused;
  EXPECT_EQ(actions.bodies().size(), 1u);
}

}  // namespace
}  // namespace parley::testing
