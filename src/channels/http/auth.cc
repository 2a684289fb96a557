// Credentials tried against the server's and a bot's scope, and the grants they give.
#include "channels/http/auth.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/digest.h"
#include "core/text.h"

namespace parley::channels {

struct Authorizer::Scope {
  std::string token_digest;  // SHA-256 of the auth token: equal-length, constant-time compare
  std::shared_ptr<const JwtVerifier> jwt;
  std::string bot;           // "" = the server's
};

namespace {

const char kRealm[] = "Bearer realm=\"parley\"";

bool same_token(const std::string& digest, std::string_view candidate) {
  std::string d = sha256_hex(candidate);
  return !digest.empty() && CRYPTO_memcmp(d.data(), digest.data(), d.size()) == 0;
}

// The values a request offers as credentials; `scheme_error` when Authorization is not Bearer.
std::vector<std::string> candidates(const Request& request, const Target& target, std::string* scheme_error) {
  std::vector<std::string> out;
  if (auto it = target.query.find("token"); it != target.query.end()) out.push_back(it->second);
  auto auth = request.find(http::field::authorization);
  if (auth == request.end()) return out;
  std::string_view value = auth->value();
  size_t space = value.find(' ');
  if (lower_ascii(value.substr(0, space)) != "bearer" || space == std::string_view::npos) {
    *scheme_error = "Authorization must be 'Bearer <token>'";
    return out;
  }
  value.remove_prefix(space + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  out.emplace_back(value);
  return out;
}

// A verified JWT's payload as a grant (nullopt: a genuine token whose role allows nothing).
std::optional<Identity::Grant> grant_of(const json::object& payload, const std::string& bot) {
  const json::value* user = json_get(payload, "user");
  if (!user || !user->is_object()) return std::nullopt;
  auto role = json_str(user->get_object(), "role");
  auto username = json_str(user->get_object(), "username");
  Identity::Grant g{Identity::Role::kAdmin, bot, {}, 0};
  if (const json::value* exp = json_get(payload, "exp"); exp && exp->is_number()) {
    boost::system::error_code ec;
    double at = exp->to_number<double>(ec);  // verify() refused the past; far futures never expire
    if (!ec && at < 4e18) g.expires_s = static_cast<int64_t>(at);
  }
  if (role == "admin") return g;
  if (role == "user" && username) {
    g.role = Identity::Role::kUser;
    g.username = std::string(*username);
    return g;
  }
  return std::nullopt;
}

// Tries one candidate against one scope, adding what it proves to `who`.
void try_scope(const Authorizer::Scope& scope, const std::string& candidate, int64_t now_s, Identity& who) {
  if (same_token(scope.token_digest, candidate)) {
    who.valid = true;
    who.grants.push_back({scope.bot.empty() ? Identity::Role::kAdmin : Identity::Role::kChannel, scope.bot, {}, 0});
    return;
  }
  if (!scope.jwt || std::count(candidate.begin(), candidate.end(), '.') != 2) return;
  auto payload = scope.jwt->verify(candidate, now_s);
  if (!payload.ok()) {
    if (who.rejected.empty()) who.rejected = payload.status().message();
    return;
  }
  who.valid = true;
  if (auto g = grant_of(*payload, scope.bot)) who.grants.push_back(std::move(*g));
}

bool allows(const Identity::Grant& g, Access access, std::string_view bot, const std::string* conversation) {
  using Role = Identity::Role;
  if (g.role == Role::kAdmin && g.bot.empty()) return true;
  if (access == Access::kAdmin || access == Access::kMetrics) return false;
  if (!g.bot.empty() && g.bot != bot) return false;
  switch (g.role) {
    case Role::kAdmin: return true;
    case Role::kChannel: return access == Access::kMessage;
    case Role::kUser:
      return (access == Access::kMessage || access == Access::kConversation) &&
             (!conversation || *conversation == g.username);
  }
  return false;
}

ApiError unauthorized(std::string code, std::string message, const char* error = nullptr) {
  ApiError e{401, std::move(code), std::move(message)};
  e.headers.push_back({"WWW-Authenticate", std::string(kRealm) + (error ? std::string(", error=\"") + error + "\"" : "")});
  return e;
}

Result<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::not_found("cannot read jwt_public_key_file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::shared_ptr<const Authorizer::Scope>> make_scope(const Credentials& c, const std::string& bot) {
  auto scope = std::make_shared<Authorizer::Scope>();
  scope->bot = bot;
  if (!c.auth_token.empty()) scope->token_digest = sha256_hex(c.auth_token);
  std::string key = c.jwt_secret;
  if (!c.jwt_public_key_file.empty()) {
    auto text = read_key_file(c.jwt_public_key_file);
    if (!text.ok()) return text.status();
    key = std::move(*text);
  }
  if (!key.empty()) {
    auto jwt = JwtVerifier::create(c.jwt_method, std::move(key));
    if (!jwt.ok()) return jwt.status();
    scope->jwt = std::move(*jwt);
  }
  return std::shared_ptr<const Authorizer::Scope>(std::move(scope));
}

}  // namespace

Result<std::shared_ptr<const Authorizer>> Authorizer::create(const AuthConfig& config) {
  auto a = std::shared_ptr<Authorizer>(new Authorizer());
  a->open_metrics_ = config.open_metrics;
  a->open_messages_ = config.open_messages;
  if (!config.server.empty()) {
    auto s = make_scope(config.server, "");
    if (!s.ok()) return Status::invalid("server credentials: " + s.status().message());
    a->server_ = std::move(*s);
  }
  for (const auto& [bot, creds] : config.bots) {
    if (creds.empty()) continue;
    auto s = make_scope(creds, bot);
    if (!s.ok()) return Status::invalid("credentials of bot '" + bot + "': " + s.status().message());
    a->bots_[bot] = std::move(*s);
  }
  a->enabled_ = a->server_ || !a->bots_.empty();
  return std::shared_ptr<const Authorizer>(std::move(a));
}

const Authorizer::Scope* Authorizer::bot_scope(std::string_view bot) const {
  auto it = bots_.find(bot);
  return it == bots_.end() ? nullptr : it->second.get();
}

Identity Authorizer::identify(const Request& request, const Target& target, std::string_view bot, int64_t now_s) const {
  Identity who;
  if (!enabled_) return who;
  std::string scheme_error;
  auto offered = candidates(request, target, &scheme_error);
  who.presented = !offered.empty() || !scheme_error.empty();
  who.rejected = scheme_error;
  const Scope* own = bot.empty() ? nullptr : bot_scope(bot);
  for (const auto& c : offered) {
    if (server_) try_scope(*server_, c, now_s, who);
    if (own) try_scope(*own, c, now_s, who);
  }
  if (who.presented && !who.valid && who.rejected.empty()) who.rejected = "the token is not valid here";
  return who;
}

bool Authorizer::required(Access access, std::string_view bot) const {
  switch (access) {
    case Access::kOpen: return false;
    case Access::kMessage: return (server_ && !open_messages_) || bot_scope(bot);
    case Access::kMetrics: return enabled_ && !open_metrics_;
    default: return enabled_;
  }
}

std::optional<ApiError> Authorizer::check(const Identity& who, Access access, std::string_view bot,
                                          const std::string* conversation, int64_t now_s) const {
  if (!required(access, bot)) return std::nullopt;
  bool expired = false, user_only = false;
  for (const auto& g : who.grants) {
    if (g.expires_s && now_s >= g.expires_s + JwtVerifier::kLeewaySeconds) {
      expired = true;
      continue;
    }
    if (allows(g, access, bot, conversation)) return std::nullopt;
    user_only = user_only || g.role == Identity::Role::kUser;
  }
  if (expired) return unauthorized("invalid_credential", "the token expired", "invalid_token");
  if (who.valid) {
    ApiError e{403, "forbidden",
               user_only ? "this token's user may only use its own conversation"
                         : "this credential does not allow this route; it needs an admin credential"};
    e.headers.push_back({"WWW-Authenticate", std::string(kRealm) + ", error=\"insufficient_scope\""});
    return e;
  }
  if (who.presented) return unauthorized("invalid_credential", who.rejected, "invalid_token");
  return unauthorized("unauthenticated",
                      "this route needs a credential: the token query parameter or Authorization: Bearer <token>");
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

}  // namespace parley::channels
