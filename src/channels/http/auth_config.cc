// Reading credentials from the settings, parley.yml's bot_auth section and the environment.
#include "channels/http/auth_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>

#include "core/yaml_file.h"

namespace parley::channels {

namespace {

// The four keys of a scope, in the file and (upper-cased) in the environment.
const std::pair<const char*, std::string Credentials::*> kKeys[] = {
    {"auth_token", &Credentials::auth_token},
    {"jwt_secret", &Credentials::jwt_secret},
    {"jwt_method", &Credentials::jwt_method},
    {"jwt_public_key_file", &Credentials::jwt_public_key_file},
};

std::string where(const std::string& origin, const YAML::Node& n) {
  return origin + ":" + std::to_string(n.Mark().line + 1) + ": ";
}

Status read_bot(const std::string& origin, const YAML::Node& node, const std::string& bot, Credentials& out) {
  if (!node.IsMap()) return Status::invalid(where(origin, node) + "bot_auth of '" + bot + "' must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    std::string Credentials::*field = nullptr;
    for (const auto& [name, f] : kKeys)
      if (key == name) field = f;
    if (!field)
      return Status::invalid(where(origin, kv.first) + "unknown bot_auth setting '" + key +
                             "' (auth_token, jwt_secret, jwt_method, jwt_public_key_file)");
    if (!kv.second.IsScalar())
      return Status::invalid(where(origin, kv.second) + "bot_auth setting '" + key + "' needs a single value");
    out.*field = kv.second.Scalar();
  }
  return Status::ok();
}

Status from_root(const YAML::Node& root, const std::string& origin, AuthConfig& out) {
  if (!root.IsMap() || !root["bot_auth"]) return Status::ok();
  const YAML::Node section = root["bot_auth"];
  if (section.IsNull()) return Status::ok();
  if (!section.IsMap()) return Status::invalid(where(origin, section) + "bot_auth must map bot names to credentials");
  for (const auto& kv : section) {
    std::string bot = kv.first.Scalar();
    if (Status s = read_bot(origin, kv.second, bot, out.bots[bot]); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Status load_bot_auth(const std::string& path, AuthConfig& out) {
  return read_yaml_file(path, [&out](const YAML::Node& root, const std::string& origin) { return from_root(root, origin, out); });
}

Status parse_bot_auth(const std::string& yaml_text, const std::string& origin, AuthConfig& out) {
  return read_yaml_text(yaml_text, origin,
                        [&out](const YAML::Node& root, const std::string& at) { return from_root(root, at, out); });
}

std::string bot_env_prefix(std::string_view bot) {
  std::string out = "PARLEY_BOT_";
  for (char c : bot)
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  return out + "_";
}

void apply_bot_auth_env(const std::vector<std::string>& bots, AuthConfig& out,
                        const std::function<const char*(const char*)>& getenv) {
  for (const auto& bot : bots) {
    for (const auto& [name, field] : kKeys) {
      std::string var = bot_env_prefix(bot);
      for (const char* p = name; *p; ++p) var += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
      const char* v = getenv ? getenv(var.c_str()) : std::getenv(var.c_str());
      if (v) out.bots[bot].*field = v;
    }
  }
}

}  // namespace parley::channels
