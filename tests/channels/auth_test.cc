// The Authorizer's grants (auth.h's table), the browser checks (browser.h) and where credentials
// are read from (auth_config.h), without a server.
#include "channels/http/auth.h"

#include <gtest/gtest.h>

#include "channels/http/auth_config.h"
#include "channels/http/browser.h"
#include "support/jwt_signer.h"

namespace parley::testing {
namespace {

using channels::Access;
using channels::AuthConfig;
using channels::Authorizer;
constexpr int64_t kNow = 1'800'000'000;

boost::json::object bj_with_exp(boost::json::object claims, double exp) {
  claims["exp"] = exp;
  return claims;
}

std::shared_ptr<const Authorizer> make(const AuthConfig& c) {
  auto a = Authorizer::create(c);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return *a;
}

// The status check() gives a request with `target` and `bearer` on `access`/`bot`/`conv`: 0 = allowed.
unsigned status(const Authorizer& a, const std::string& target, const std::string& bearer, Access access,
                const std::string& bot, const std::string* conv) {
  channels::Request req{channels::http::verb::get, target, 11};
  if (!bearer.empty()) req.set(channels::http::field::authorization, "Bearer " + bearer);
  auto t = channels::parse_target(target);
  auto who = a.identify(req, *t, bot, kNow);
  auto e = a.check(who, access, bot, conv, kNow);
  return e ? e->status : 0;
}

TEST(Auth, nothing_configured_leaves_every_route_open) {
  auto a = make({});
  EXPECT_FALSE(a->enabled());
  EXPECT_EQ(status(*a, "/", "", Access::kAdmin, "", nullptr), 0u);
  EXPECT_EQ(status(*a, "/", "", Access::kMetrics, "", nullptr), 0u);
}

TEST(Auth, server_token_by_query_or_bearer_gives_every_route) {
  AuthConfig c;
  c.server.auth_token = "admin-token";
  auto a = make(c);
  std::string conv = "c1";
  for (Access access : {Access::kMessage, Access::kConversation, Access::kBot, Access::kAdmin, Access::kMetrics}) {
    EXPECT_EQ(status(*a, "/x?token=admin-token", "", access, "pizza", &conv), 0u);
    EXPECT_EQ(status(*a, "/x", "admin-token", access, "pizza", &conv), 0u);
    EXPECT_EQ(status(*a, "/x", "", access, "pizza", &conv), 401u);
    EXPECT_EQ(status(*a, "/x?token=admin-tokeN", "", access, "pizza", &conv), 401u);
  }
  EXPECT_EQ(status(*a, "/healthz", "", Access::kOpen, "", nullptr), 0u);
}

TEST(Auth, jwt_roles_as_rasa_user_only_its_own_conversation) {
  AuthConfig c;
  c.server.jwt_secret = "jwt-secret";
  auto a = make(c);
  std::string alice = "alice", bob = "bob";
  auto user = sign_hs256("jwt-secret", rasa_claims("alice", "user"));
  auto admin = sign_hs256("jwt-secret", rasa_claims("root", "admin"));
  auto guest = sign_hs256("jwt-secret", rasa_claims("g", "guest"));
  EXPECT_EQ(status(*a, "/x", user, Access::kMessage, "pizza", &alice), 0u);
  EXPECT_EQ(status(*a, "/x", user, Access::kConversation, "pizza", &alice), 0u);
  EXPECT_EQ(status(*a, "/x", user, Access::kMessage, "pizza", &bob), 403u);
  EXPECT_EQ(status(*a, "/x", user, Access::kBot, "pizza", nullptr), 403u);
  EXPECT_EQ(status(*a, "/x", user, Access::kAdmin, "", nullptr), 403u);
  EXPECT_EQ(status(*a, "/x", user, Access::kMessage, "pizza", nullptr), 0u);  // conversation not known yet
  EXPECT_EQ(status(*a, "/x", admin, Access::kAdmin, "", nullptr), 0u);
  EXPECT_EQ(status(*a, "/x", guest, Access::kMessage, "pizza", &alice), 403u);
  EXPECT_EQ(status(*a, "/x?token=" + user, "", Access::kMessage, "pizza", &alice), 0u);  // WebSocket from a page
  auto far = sign_hs256("jwt-secret", bj_with_exp(rasa_claims("root", "admin"), 1e300));
  EXPECT_EQ(status(*a, "/x", far, Access::kAdmin, "", nullptr), 0u);
  auto expired = sign_hs256("jwt-secret", rasa_claims("root", "admin", kNow - 3600));
  EXPECT_EQ(status(*a, "/x", expired, Access::kAdmin, "", nullptr), 401u);
}

TEST(Auth, bot_credentials_reach_only_their_bot) {
  AuthConfig c;
  c.server.auth_token = "admin-token";
  c.bots["pizza"].auth_token = "pizza-token";
  c.bots["pizza"].jwt_secret = "pizza-jwt";
  auto a = make(c);
  std::string conv = "c1";
  EXPECT_EQ(status(*a, "/x", "pizza-token", Access::kMessage, "pizza", &conv), 0u);
  EXPECT_EQ(status(*a, "/x", "pizza-token", Access::kConversation, "pizza", &conv), 403u);
  EXPECT_EQ(status(*a, "/x", "pizza-token", Access::kMessage, "echo", &conv), 401u);  // not a credential there
  auto bot_admin = sign_hs256("pizza-jwt", rasa_claims("ops", "admin"));
  EXPECT_EQ(status(*a, "/x", bot_admin, Access::kBot, "pizza", nullptr), 0u);
  EXPECT_EQ(status(*a, "/x", bot_admin, Access::kConversation, "pizza", &conv), 0u);
  EXPECT_EQ(status(*a, "/x", bot_admin, Access::kAdmin, "", nullptr), 401u);
  EXPECT_EQ(status(*a, "/x", "admin-token", Access::kMessage, "pizza", &conv), 0u);
}

TEST(Auth, open_message_access_leaves_channels_open_unless_the_bot_has_a_credential) {
  AuthConfig c;
  c.server.auth_token = "admin-token";
  c.bots["pizza"].auth_token = "pizza-token";
  c.open_messages = true;
  auto a = make(c);
  std::string conv = "c1";
  EXPECT_EQ(status(*a, "/x", "", Access::kMessage, "echo", &conv), 0u);
  EXPECT_EQ(status(*a, "/x", "", Access::kMessage, "pizza", &conv), 401u);
  EXPECT_EQ(status(*a, "/x", "", Access::kConversation, "echo", &conv), 401u);
}

TEST(Auth, a_bot_credential_alone_guards_that_bots_messages_and_every_view) {
  AuthConfig c;
  c.bots["pizza"].auth_token = "pizza-token";
  auto a = make(c);
  std::string conv = "c1";
  EXPECT_EQ(status(*a, "/x", "", Access::kMessage, "pizza", &conv), 401u);
  EXPECT_EQ(status(*a, "/x", "", Access::kMessage, "echo", &conv), 0u);  // a bot without a credential
  EXPECT_EQ(status(*a, "/x", "", Access::kConversation, "echo", &conv), 401u);
}

TEST(Auth, errors_say_what_to_send) {
  AuthConfig c;
  c.server.auth_token = "t";
  auto a = make(c);
  channels::Request req{channels::http::verb::get, "/metrics", 11};
  req.set(channels::http::field::authorization, "Basic dTpw");
  auto who = a->identify(req, *channels::parse_target("/metrics"), "", kNow);
  auto e = a->check(who, Access::kMetrics, "", nullptr, kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 401u);
  EXPECT_EQ(e->code, "invalid_credential");
  EXPECT_EQ(e->message, "Authorization must be 'Bearer <token>'");
  ASSERT_EQ(e->headers.size(), 1u);
  EXPECT_EQ(e->headers[0].second, "Bearer realm=\"parley\", error=\"invalid_token\"");
}

TEST(Auth, open_metrics_and_loopback_hosts) {
  AuthConfig c;
  c.server.auth_token = "t";
  c.open_metrics = true;
  EXPECT_EQ(status(*make(c), "/metrics", "", Access::kMetrics, "", nullptr), 0u);
  EXPECT_TRUE(channels::is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(channels::is_loopback_host("localhost"));
  EXPECT_TRUE(channels::is_loopback_host("::1"));
  EXPECT_FALSE(channels::is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(channels::is_loopback_host("192.168.1.5"));
  EXPECT_FALSE(channels::is_loopback_host("example.org"));
}

TEST(Auth, bad_keys_are_refused_at_start_naming_the_scope) {
  AuthConfig c;
  c.bots["pizza"].jwt_method = "RS256";
  c.bots["pizza"].jwt_public_key_file = "/nonexistent/key.pem";
  auto a = Authorizer::create(c);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bot 'pizza'"), std::string::npos) << a.status().message();
}

TEST(AuthConfig, bot_auth_from_the_file_and_the_environment) {
  AuthConfig c;
  ASSERT_TRUE(channels::parse_bot_auth("listen: x\nbot_auth:\n  pizza: {auth_token: p, jwt_method: HS512}\n", "f.yml", c));
  EXPECT_EQ(c.bots["pizza"].auth_token, "p");
  EXPECT_EQ(c.bots["pizza"].jwt_method, "HS512");
  auto bad = channels::parse_bot_auth("bot_auth:\n  pizza:\n    token: p\n", "f.yml", c);
  EXPECT_EQ(bad.message(), "f.yml:3: unknown bot_auth setting 'token' (auth_token, jwt_secret, jwt_method, jwt_public_key_file)");
  EXPECT_EQ(channels::bot_env_prefix("my-bot.2"), "PARLEY_BOT_MY_BOT_2_");
  channels::apply_bot_auth_env({"pizza", "my-bot"}, c, [](const char* name) -> const char* {
    std::string n = name;
    if (n == "PARLEY_BOT_PIZZA_AUTH_TOKEN") return "from-env";
    if (n == "PARLEY_BOT_MY_BOT_JWT_SECRET") return "jwt";
    return nullptr;
  });
  EXPECT_EQ(c.bots["pizza"].auth_token, "from-env");
  EXPECT_EQ(c.bots["my-bot"].jwt_secret, "jwt");
}

TEST(Browser, origins_content_types_and_preflights) {
  channels::CorsPolicy cors{channels::parse_origins("https://chat.example/, http://localhost:3000")};
  EXPECT_EQ(cors.origins, (std::vector<std::string>{"https://chat.example", "http://localhost:3000"}));
  EXPECT_TRUE(cors.allows("https://chat.example", "bots.example"));
  EXPECT_TRUE(cors.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));  // its own origin
  EXPECT_FALSE(cors.allows("http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(cors.allows("null", "127.0.0.1:8080"));
  EXPECT_TRUE(channels::CorsPolicy{{"*"}}.allows("http://evil.example", "x"));

  channels::Request post{channels::http::verb::post, "/v1/bots/b/conversations/c/messages", 11};
  EXPECT_FALSE(channels::check_json_content_type(post));  // none: not from a browser form
  for (const char* ok : {"application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"}) {
    post.set(channels::http::field::content_type, ok);
    EXPECT_FALSE(channels::check_json_content_type(post)) << ok;
  }
  for (const char* bad : {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=x", "application/jsonp"}) {
    post.set(channels::http::field::content_type, bad);
    auto e = channels::check_json_content_type(post);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->status, 415u);
  }
  post.set(channels::http::field::origin, "http://evil.example");
  EXPECT_EQ(channels::check_origin(cors, post)->status, 403u);
  channels::Request get{channels::http::verb::get, "/v1/bots", 11};
  get.set(channels::http::field::origin, "http://evil.example");
  EXPECT_FALSE(channels::check_origin(cors, get));  // a read: answered without CORS headers
}

}  // namespace
}  // namespace parley::testing
