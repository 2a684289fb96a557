// Where `parley serve` finds its credentials (auth.h): the server's in its settings
// (cli/serve_options.h: auth_token, jwt_*, from parley.yml, PARLEY_* variables or flags), each bot's in
// parley.yml's `bot_auth:` section and in PARLEY_BOT_<BOT>_<KEY> variables, which win:
//
//   bot_auth:
//     pizza:
//       auth_token: s3cret           # the pizza channel's token: its message routes
//       jwt_secret: other-secret     # JWTs for pizza only (role admin: all of pizza's routes)
//       jwt_method: HS256
//       jwt_public_key_file: /etc/parley/pizza.pem   # RS*
//
// PARLEY_BOT_PIZZA_AUTH_TOKEN, ..._JWT_SECRET, ..._JWT_METHOD, ..._JWT_PUBLIC_KEY_FILE: <BOT> is
// the bot's name upper-cased with every character other than a letter or digit as '_'.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "channels/http/auth.h"

namespace parley::channels {

// Adds the `bot_auth:` section of a parley.yml (none: nothing). Errors name the file, line and key.
Status load_bot_auth(const std::string& path, AuthConfig& out);
// Parses YAML text (for tests); `origin` names it in errors.
Status parse_bot_auth(const std::string& yaml_text, const std::string& origin, AuthConfig& out);

// Adds PARLEY_BOT_<BOT>_<KEY> variables for the served `bots`; `getenv` is injectable for tests.
void apply_bot_auth_env(const std::vector<std::string>& bots, AuthConfig& out,
                        const std::function<const char*(const char*)>& getenv = nullptr);

// "PARLEY_BOT_<BOT>_" for a bot name.
std::string bot_env_prefix(std::string_view bot);

}  // namespace parley::channels
