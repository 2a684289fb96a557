// Who may call which route, as Rasa users know it and per bot. A request proves itself with
// Rasa's `?token=` query parameter or an `Authorization: Bearer` header; either carries the
// plain auth token (compared in constant time) or a JWT (jwt.h) whose claims
// {"user": {"username", "role"}} say who it is: role admin may do anything, role user only its
// own conversation (username == conversation id).
//
// Credentials are set for the server and, optionally, for each bot (that bot's channel):
//   server auth_token, server JWT admin   every route
//   server JWT user U                     messages and views of conversation U, any bot
//   bot B auth_token                      B's message routes (a channel's backend relaying messages)
//   bot B JWT admin                       every route of B (messages, views, reload)
//   bot B JWT user U                      messages and views of B's conversation U
// A route needs a credential when one could be given for it: message routes when the server or
// the bot has one (with message_access open, as Rasa's channels: only when the bot has); views, reload and the server's admin routes (and /metrics unless
// metrics_access is open) whenever any credential is configured. Without any, every route is
// open, as before. Thread-safe once created.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channels/http/http_errors.h"
#include "channels/http/jwt.h"
#include "channels/http/target.h"

namespace parley::channels {

// One scope's credentials (the server's, or one bot's); all empty = none.
struct Credentials {
  std::string auth_token;           // Rasa --auth-token
  std::string jwt_secret;           // Rasa --jwt-secret: HS* secret, or for RS* the PEM text
  std::string jwt_method = "HS256"; // Rasa --jwt-method
  std::string jwt_public_key_file;  // RS*: PEM file of the public key (instead of jwt_secret)
  bool empty() const { return auth_token.empty() && jwt_secret.empty() && jwt_public_key_file.empty(); }
};

struct AuthConfig {
  Credentials server;
  std::map<std::string, Credentials, std::less<>> bots;
  bool open_metrics = false;   // metrics_access: open leaves /metrics to scrapers without a credential
  bool open_messages = false;  // message_access: open leaves message routes open unless their bot has credentials
};

// What a route needs (the route table names one per route).
enum class Access {
  kOpen,          // /healthz, /readyz, the Rasa channel's status
  kMessage,       // a conversation's message routes (HTTP and WebSocket)
  kConversation,  // a conversation's views: tracker, events
  kBot,           // a bot's administration: reload
  kAdmin,         // the server's: bot list, sinks, dead letters, replay
  kMetrics,       // /metrics
};

// What a request's credentials prove. Kept by a WebSocket for its life and checked per message.
struct Identity {
  enum class Role { kAdmin, kChannel, kUser };
  struct Grant {
    Role role;
    std::string bot;       // "" = the server's credential: every bot
    std::string username;  // kUser: its conversation
    int64_t expires_s = 0; // a JWT's exp (Unix seconds); 0 = none
  };
  std::vector<Grant> grants;
  bool presented = false;  // the request carried a credential
  bool valid = false;      // ... and one of them was genuine (a JWT of another role is valid)
  std::string rejected;    // why a presented credential was refused (for the 401)
};

class Authorizer {
 public:
  // Reads key files and checks methods and keys; kInvalidArgument naming the scope otherwise.
  static Result<std::shared_ptr<const Authorizer>> create(const AuthConfig& config);

  // Whether any credential is configured (else every route is open).
  bool enabled() const { return enabled_; }

  // The request's credentials (?token= and Authorization: Bearer) tried against the server's and
  // `bot`'s ("" = none), at `now_s`.
  Identity identify(const Request& request, const Target& target, std::string_view bot, int64_t now_s) const;

  // nullopt when `who` may use a route needing `access` on `bot` and `conversation` (null: not
  // known yet, as at a WebSocket upgrade or before a Rasa body is read: then any conversation of
  // a user grant will do). Else 401 (no or no valid credential, with WWW-Authenticate) or 403.
  std::optional<ApiError> check(const Identity& who, Access access, std::string_view bot,
                                const std::string* conversation, int64_t now_s) const;

  struct Scope;  // one scope's token digest and JWT verifier (auth.cc)

 private:
  Authorizer() = default;
  bool required(Access access, std::string_view bot) const;
  const Scope* bot_scope(std::string_view bot) const;

  bool enabled_ = false;
  bool open_metrics_ = false;
  bool open_messages_ = false;
  std::shared_ptr<const Scope> server_;
  std::map<std::string, std::shared_ptr<const Scope>, std::less<>> bots_;
};

// Whether a listen host stays on this machine (127.0.0.0/8, ::1, localhost): `parley serve`
// warns when it listens beyond loopback with no credential.
bool is_loopback_host(std::string_view host);

}  // namespace parley::channels
