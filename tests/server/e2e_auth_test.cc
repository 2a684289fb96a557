// Access control and browser safety on a real `parley serve`: with credentials configured, every
// route of the README tried without a credential, with a wrong one, with a user token for another
// conversation and with the right one; JWTs (HS256, RS256, expired, alg=none); a bot's channel
// credential; WebSocket upgrades; CORS; content types.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "channels/http/auth.h"
#include "core/clock.h"
#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/client.h"
#include "support/jwt_signer.h"

namespace parley::testing {
namespace {

namespace bj = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kAdminToken = "admin-token-0123";
const std::string kJwtSecret = "jwt-secret-4567";

// Two echo bots: echo (server credentials only) and echo2 (may get its own channel token).
struct AuthServer {
  TempDir dir;
  std::unique_ptr<ServerProcess> server;

  AuthServer() {
    write_echo_bot(dir.sub("bots"));
    std::filesystem::copy(dir.sub("bots/echo"), dir.sub("bots/echo2"), std::filesystem::copy_options::recursive);
  }
  bool start(ServerOptions o) {
    o.bots = dir.sub("bots");
    o.data = dir.sub("store");
    server = std::make_unique<ServerProcess>(std::move(o));
    return server->start();
  }
  uint16_t port() const { return server->port(); }
  std::string log() const { return server ? server->log() : std::string(); }
};

std::string full_config(const std::string& events_path) {
  return "auth_token: " + kAdminToken + "\njwt_secret: " + kJwtSecret +
         "\ncors: [https://chat.example]\nbot_auth:\n  echo2: {auth_token: echo2-channel}\n"
         "events:\n  sinks:\n    - {name: log, type: file, path: " + events_path + "}\n";
}

struct Route {
  http::verb method;
  std::string target;  // the conversation, where there is one, is "bob"
  std::string body;
  unsigned ok;          // the status with the right credential
  bool open = false;    // needs no credential
};

// Every route of the README's table, on bot echo and conversation bob.
std::vector<Route> readme_routes() {
  using V = http::verb;
  return {
      {V::post, "/v1/bots/echo/conversations/bob/messages", R"({"id":"m1","text":"hi"})", 200},
      {V::post, "/bots/echo/webhooks/rest/webhook", R"({"sender":"bob","message":"hi"})", 200},
      {V::get, "/v1/bots/echo/conversations/bob", "", 200},
      {V::get, "/bots/echo/conversations/bob/tracker?include_events=ALL", "", 200},
      {V::get, "/v1/bots/echo/conversations/bob/events?after=0&limit=5", "", 200},
      {V::get, "/v1/bots", "", 200},
      {V::post, "/v1/bots/echo/reload", "", 200},
      {V::get, "/metrics", "", 200},
      {V::get, "/v1/events/sinks", "", 200},
      {V::get, "/v1/events/sinks/log/dead-letters", "", 200},
      {V::post, "/v1/events/sinks/log/replay", R"({"dead_letters":true})", 202},
      {V::get, "/healthz", "", 200, true},
      {V::get, "/readyz", "", 200, true},
      {V::get, "/bots/echo/webhooks/rest", "", 200, true},
  };
}

HttpResult call(uint16_t port, const Route& r, const Headers& headers, const std::string& query = "") {
  std::string target = r.target;
  if (!query.empty()) target += (target.find('?') == std::string::npos ? "?" : "&") + query;
  return HttpClient(port).request(r.method, target, r.body, headers);
}

Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

TEST(ServeAuth, every_readme_route_without_wrong_other_user_and_right_credentials) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = full_config(s.dir.sub("events.jsonl"))})) << s.log();
  std::string alice = sign_hs256(kJwtSecret, rasa_claims("alice", "user"));
  for (const auto& r : readme_routes()) {
    SCOPED_TRACE(std::string(http::to_string(r.method)) + " " + r.target);
    auto none = call(s.port(), r, {});
    auto wrong = call(s.port(), r, {}, "token=wrong-token");
    auto other_user = call(s.port(), r, bearer(alice));
    auto right_query = call(s.port(), r, {}, "token=" + kAdminToken);
    auto right_bearer = call(s.port(), r, bearer(kAdminToken));
    if (r.open) {
      EXPECT_EQ(none.status, r.ok) << none.body;
      continue;
    }
    EXPECT_EQ(none.status, 401u) << none.body;
    EXPECT_EQ(none.error_code(), "unauthenticated");
    EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"parley\"");
    EXPECT_EQ(wrong.status, 401u) << wrong.body;
    EXPECT_EQ(wrong.error_code(), "invalid_credential");
    EXPECT_EQ(other_user.status, 403u) << other_user.body;
    EXPECT_EQ(other_user.error_code(), "forbidden");
    EXPECT_EQ(right_query.status, r.ok) << right_query.body;
    EXPECT_EQ(right_bearer.status, r.ok) << right_bearer.body;
  }
}

TEST(ServeAuth, a_user_jwt_reaches_its_own_conversation_only_and_admin_jwts_everything) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = "jwt_secret: " + kJwtSecret + "\n"})) << s.log();
  HttpClient c(s.port());
  auto bob = bearer(sign_hs256(kJwtSecret, rasa_claims("bob", "user")));
  EXPECT_EQ(c.request(http::verb::post, "/v1/bots/echo/conversations/bob/messages", R"({"text":"hi"})", bob).status, 200u);
  auto rasa = c.request(http::verb::post, "/bots/echo/webhooks/rest/webhook", R"({"sender":"bob","message":"hi"})", bob);
  EXPECT_EQ(rasa.status, 200u) << rasa.body;
  EXPECT_EQ(c.request(http::verb::get, "/bots/echo/conversations/bob/tracker", "", bob).status, 200u);
  auto view = c.request(http::verb::get, "/v1/bots/echo/conversations/bob", "", bob);
  EXPECT_EQ(view.status, 200u);
  EXPECT_EQ(view.json().at("slots").at("last_text"), "hi");
  // Someone else's conversation, by path or by the Rasa body's sender.
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots/echo/conversations/alice", "", bob).status, 403u);
  auto posing = c.request(http::verb::post, "/bots/echo/webhooks/rest/webhook", R"({"sender":"alice","message":"hi"})", bob);
  EXPECT_EQ(posing.status, 403u) << posing.body;
  EXPECT_EQ(c.request(http::verb::post, "/v1/bots/echo/reload", "", bob).status, 403u);
  // An admin JWT; a JWT of another role is genuine but allows nothing.
  auto admin = bearer(sign_hs256(kJwtSecret, rasa_claims("ops", "admin")));
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots/echo/conversations/alice", "", admin).status, 200u);
  EXPECT_EQ(c.request(http::verb::get, "/v1/events/sinks", "", admin).status, 200u);
  auto guest = bearer(sign_hs256(kJwtSecret, rasa_claims("bob", "guest")));
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots/echo/conversations/bob", "", guest).status, 403u);
}

TEST(ServeAuth, expired_forged_and_alg_none_tokens_are_refused) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = "jwt_secret: " + kJwtSecret + "\n"})) << s.log();
  HttpClient c(s.port());
  const std::string target = "/v1/bots/echo/conversations/bob";
  auto expired = c.request(http::verb::get, target, "", bearer(sign_hs256(kJwtSecret, rasa_claims("bob", "admin", unix_time() - 3600))));
  EXPECT_EQ(expired.status, 401u);
  EXPECT_NE(expired.body.find("the token expired"), std::string::npos) << expired.body;
  EXPECT_EQ(expired.header("www-authenticate"), "Bearer realm=\"parley\", error=\"invalid_token\"");
  auto later = c.request(http::verb::get, target, "", bearer(sign_hs256(kJwtSecret, rasa_claims("bob", "admin", unix_time() + 3600))));
  EXPECT_EQ(later.status, 200u);
  std::string none = jwt_signing_input("none", rasa_claims("bob", "admin")) + ".";
  EXPECT_EQ(c.request(http::verb::get, target, "", bearer(none)).status, 401u);
  EXPECT_EQ(c.request(http::verb::get, target, "", bearer(sign_hs256("guessed", rasa_claims("bob", "admin")))).status, 401u);
  EXPECT_EQ(c.request(http::verb::get, target, "", {{"Authorization", "Basic Ym9iOnB3"}}).status, 401u);
}

TEST(ServeAuth, rs256_with_a_public_key_file) {
  RsaKey key;
  AuthServer s;
  std::ofstream(s.dir.sub("jwt.pem")) << key.public_pem();
  ASSERT_TRUE(s.start({.extra_args = {"--jwt-method", "RS256", "--jwt-public-key", s.dir.sub("jwt.pem")}})) << s.log();
  HttpClient c(s.port());
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots", "", bearer(key.sign_rs256(rasa_claims("ops", "admin")))).status, 200u);
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots", "", bearer(key.sign_rs256(rasa_claims("bob", "user")))).status, 403u);
  RsaKey other;
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots", "", bearer(other.sign_rs256(rasa_claims("ops", "admin")))).status, 401u);
  // The public key's text as an HMAC secret (algorithm confusion) is no credential.
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots", "", bearer(sign_hs256(key.public_pem(), rasa_claims("ops", "admin")))).status, 401u);
}

TEST(ServeAuth, a_bots_channel_token_opens_its_message_routes_only) {
  AuthServer s;
  ASSERT_TRUE(s.start({.env = {{"PARLEY_BOT_ECHO2_AUTH_TOKEN", "echo2-channel"}}})) << s.log();
  HttpClient c(s.port());
  auto channel = bearer("echo2-channel");
  EXPECT_EQ(c.request(http::verb::post, "/v1/bots/echo2/conversations/x/messages", R"({"text":"hi"})", channel).status, 200u);
  EXPECT_EQ(c.post("/v1/bots/echo2/conversations/x/messages", R"({"text":"hi"})").status, 401u);
  EXPECT_EQ(c.request(http::verb::get, "/v1/bots/echo2/conversations/x", "", channel).status, 403u);
  // echo has no credential of its own and the server none: its message routes stay open, but
  // every view needs an admin credential, which nobody has; the log says so.
  EXPECT_EQ(c.post("/v1/bots/echo/conversations/x/messages", R"({"text":"hi"})").status, 200u);
  EXPECT_EQ(c.get("/v1/bots/echo/conversations/x").status, 401u);
  EXPECT_NE(s.server->log().find("only bot credentials are configured"), std::string::npos);
  EXPECT_EQ(s.server->log().find("listens beyond loopback"), std::string::npos);
}

TEST(ServeAuth, open_message_access_keeps_the_channels_open_as_rasa_and_guards_the_rest) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = "auth_token: " + kAdminToken + "\nmessage_access: open\n"
                                      "bot_auth:\n  echo2: {auth_token: echo2-channel}\n"})) << s.log();
  HttpClient c(s.port());
  EXPECT_EQ(c.post("/bots/echo/webhooks/rest/webhook", R"({"sender":"bob","message":"hi"})").status, 200u);
  EXPECT_EQ(c.post("/bots/echo2/webhooks/rest/webhook", R"({"sender":"bob","message":"hi"})").status, 401u);
  EXPECT_EQ(c.get("/bots/echo/conversations/bob/tracker").status, 401u);
  EXPECT_EQ(c.get("/bots/echo/conversations/bob/tracker?token=" + kAdminToken).status, 200u);
}

Headers upgrade_headers(const std::string& origin = "") {
  Headers h{{"Connection", "Upgrade"},
            {"Upgrade", "websocket"},
            {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
            {"Sec-WebSocket-Version", "13"}};
  if (!origin.empty()) h.emplace_back("Origin", origin);
  return h;
}

TEST(ServeAuth, websocket_upgrades_check_the_credential_and_the_origin_before_101) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = full_config(s.dir.sub("events.jsonl"))})) << s.log();
  auto refused = HttpClient(s.port()).request(http::verb::get, "/v1/bots/echo/ws", "", upgrade_headers());
  EXPECT_EQ(refused.status, 401u) << refused.body;
  EXPECT_EQ(refused.error_code(), "unauthenticated");
  auto evil = HttpClient(s.port()).request(http::verb::get, "/v1/bots/echo/ws?token=" + kAdminToken, "",
                                          upgrade_headers("http://evil.example"));
  EXPECT_EQ(evil.status, 403u) << evil.body;
  EXPECT_EQ(evil.error_code(), "origin_not_allowed");

  WsClient admin(s.port());
  ASSERT_EQ(admin.connect("/v1/bots/echo/ws?token=" + kAdminToken, {{"Origin", "https://chat.example"}}), "");
  auto reply = admin.exchange(R"({"conversation":"anyone","text":"hi"})");
  ASSERT_TRUE(reply) << admin.error();
  EXPECT_EQ(bj::parse(*reply).at("conversation"), "anyone");

  // A user's token in the Authorization header: its own conversation only, checked per message.
  WsClient bob(s.port());
  ASSERT_EQ(bob.connect("/v1/bots/echo/ws", bearer(sign_hs256(kJwtSecret, rasa_claims("bob", "user")))), "");
  auto own = bob.exchange(R"({"conversation":"bob","text":"hi"})");
  ASSERT_TRUE(own);
  EXPECT_EQ(bj::parse(*own).at("turn"), 1);
  auto other = bob.exchange(R"({"conversation":"alice","text":"hi"})");
  ASSERT_TRUE(other);
  EXPECT_EQ(bj::parse(*other).at("error").at("code"), "forbidden") << *other;
}

TEST(ServeAuth, cors_preflight_headers_and_cross_site_requests) {
  AuthServer s;
  ASSERT_TRUE(s.start({.config_yaml = "cors: https://chat.example\n"})) << s.log();
  HttpClient c(s.port());
  const std::string target = "/v1/bots/echo/conversations/bob/messages";
  auto pre = c.request(http::verb::options, target, "",
                       {{"Origin", "https://chat.example"}, {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(pre.status, 204u) << pre.body;
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://chat.example");
  EXPECT_EQ(pre.header("access-control-allow-methods"), "POST, OPTIONS");
  EXPECT_EQ(pre.header("access-control-allow-headers"), "Authorization, Content-Type");
  EXPECT_EQ(pre.header("access-control-max-age"), "600");
  auto evil_pre = c.request(http::verb::options, target, "", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil_pre.status, 403u);
  EXPECT_EQ(evil_pre.header("access-control-allow-origin"), "");

  auto allowed = c.request(http::verb::post, target, R"({"text":"hi"})", {{"Origin", "https://chat.example"}});
  EXPECT_EQ(allowed.status, 200u);
  EXPECT_EQ(allowed.header("access-control-allow-origin"), "https://chat.example");
  EXPECT_EQ(allowed.header("vary"), "Origin");
  // A page elsewhere cannot post into a conversation, nor read the answer of a view.
  auto evil = c.request(http::verb::post, target, R"({"text":"hi"})", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil.status, 403u);
  EXPECT_EQ(evil.error_code(), "origin_not_allowed");
  auto evil_read = c.request(http::verb::get, "/v1/bots/echo/conversations/bob", "", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil_read.header("access-control-allow-origin"), "");
  EXPECT_EQ(c.get("/v1/bots/echo/conversations/bob").json().at("turns"), 1) << "only the allowed page's message arrived";
}

TEST(ServeAuth, json_routes_refuse_form_and_text_bodies_with_415) {
  AuthServer s;
  ASSERT_TRUE(s.start({})) << s.log();
  HttpClient c(s.port());
  const std::string target = "/v1/bots/echo/conversations/bob/messages";
  for (const char* type : {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"}) {
    auto r = c.request(http::verb::post, target, R"({"text":"hi"})", {{"Content-Type", type}});
    EXPECT_EQ(r.status, 415u) << type;
    EXPECT_EQ(r.error_code(), "unsupported_media_type");
  }
  auto rasa = c.request(http::verb::post, "/bots/echo/webhooks/rest/webhook", R"({"sender":"bob","message":"hi"})",
                        {{"Content-Type", "text/plain"}});
  EXPECT_EQ(rasa.status, 415u);
  EXPECT_EQ(c.request(http::verb::post, target, R"({"text":"hi"})", {{"Content-Type", "application/json; charset=utf-8"}}).status, 200u);
  EXPECT_EQ(c.get("/v1/bots/echo/conversations/bob").json().at("turns"), 1);
}

TEST(ServeAuth, the_events_cli_sends_its_token) {
  AuthServer s;
  ASSERT_TRUE(s.start({.env = {{"PARLEY_AUTH_TOKEN", kAdminToken}}})) << s.log();
  std::string cli = std::string(PARLEY_BINARY) + " events sinks --server 127.0.0.1:" + std::to_string(s.port());
  EXPECT_NE(std::system((cli + " >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(std::system((cli + " --token " + kAdminToken + " >/dev/null").c_str()), 0);
  EXPECT_EQ(std::system(("PARLEY_AUTH_TOKEN=" + kAdminToken + " " + cli + " >/dev/null").c_str()), 0);
}

}  // namespace
}  // namespace parley::testing
