// The settings table of `parley serve`, the three sources that fill it (file, env, flags), and
// the builders of each module's options.
#include "cli/serve_options.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <variant>

#include "core/yaml_file.h"

namespace parley::cli {

namespace {

using Field = std::variant<std::string ServeOptions::*, uint64_t ServeOptions::*, double ServeOptions::*,
                           bool ServeOptions::*>;

struct Setting {
  const char* key;
  Field field;
  const char* help;
  bool bytes = false;                         // accepts KiB/MiB/GiB suffixes
  std::vector<std::string_view> choices = {};  // allowed values of a string setting
};

const std::vector<Setting>& table() {
  static const std::vector<Setting> kTable = {
      {"listen", &ServeOptions::listen, "HOST:PORT to listen on (port 0 picks a free one)"},
      {"bots", &ServeOptions::bots, "folder whose subfolders are the bots, each named by its folder"},
      {"data", &ServeOptions::data, "folder of the embedded store"},
      {"model_cache", &ServeOptions::model_cache,
       "folder of trained models, so restarts skip training (empty: <data>/models; off: none)"},
      {"max_project_bytes", &ServeOptions::max_project_bytes,
       "largest total size of a bot's YAML files; a larger bot is refused before parsing", true},
      {"threads", &ServeOptions::threads, "turn threads: NLU and dialogue (0 = number of cores)"},
      {"io_threads", &ServeOptions::io_threads, "HTTP and WebSocket threads, never running turns (0 = number of cores)"},
      {"durability", &ServeOptions::durability, "what a reply waits for: fsync | flush | none", false,
       {"fsync", "flush", "none"}},
      {"store", &ServeOptions::store, "rocksdb (embedded, in data) | redis (shared by replicas, at redis_url)", false,
       {"rocksdb", "redis"}},
      {"redis_url", &ServeOptions::redis_url, "redis://[:password@]host:port[/db], or redis+cluster://host:port[,host:port...] for a Redis Cluster; for store: redis (also store: {type: redis, url: ...})"},
      {"cache_bytes", &ServeOptions::cache_bytes, "tracker cache bound in bytes", true},
      {"tracker_window", &ServeOptions::tracker_window, "events of a session kept in memory per tracker"},
      {"snapshot_every", &ServeOptions::snapshot_every, "turns between tracker snapshots in the store"},
      {"max_queue_per_conversation", &ServeOptions::max_queue_per_conversation,
       "turns waiting per conversation before 503"},
      {"max_pending_turns", &ServeOptions::max_pending_turns, "turns waiting in all conversations before 503"},
      {"turn_budget_ms", &ServeOptions::turn_budget_ms,
       "compute time of one turn before it is stopped with 500 turn_budget_exceeded (0 = no limit)"},
      {"regex_match_limit", &ServeOptions::regex_match_limit,
       "backtracking steps of a regex search per start position; reaching it stops the turn"},
      {"max_text_bytes", &ServeOptions::max_text_bytes, "longest message text (413 beyond)", true},
      {"max_body_bytes", &ServeOptions::max_body_bytes, "largest request body or WebSocket message (413 beyond)",
       true},
      {"max_header_bytes", &ServeOptions::max_header_bytes, "largest request line and headers (431 beyond)", true},
      {"max_id_bytes", &ServeOptions::max_id_bytes, "longest bot, conversation or message id", true},
      {"read_timeout_ms", &ServeOptions::read_timeout_ms, "time to receive a whole request once it began"},
      {"idle_timeout_ms", &ServeOptions::idle_timeout_ms, "idle keep-alive or WebSocket connection is closed after"},
      {"write_timeout_ms", &ServeOptions::write_timeout_ms, "time to send a response"},
      {"max_connections", &ServeOptions::max_connections, "open connections before 503 (capped by the fd limit)"},
      {"retry_after_s", &ServeOptions::retry_after_s, "Retry-After seconds on 503"},
      {"tls_cert_file", &ServeOptions::tls_cert_file,
       "PEM certificate chain; with tls_key_file the listener speaks only HTTPS/WSS (TLS 1.2+), reread on SIGHUP"},
      {"tls_key_file", &ServeOptions::tls_key_file, "PEM private key of tls_cert_file"},
      {"tls_ca_file", &ServeOptions::tls_ca_file,
       "PEM CAs that https action servers' certificates are checked against (empty: the system's)"},
      {"auth_token", &ServeOptions::auth_token,
       "Rasa's --auth-token: gives every route, as ?token= or Authorization: Bearer (empty: none)"},
      {"jwt_secret", &ServeOptions::jwt_secret,
       "Rasa's --jwt-secret: JWTs in Authorization: Bearer; the HS* secret, or the RS* public key as PEM text"},
      {"jwt_method", &ServeOptions::jwt_method, "JWT signature method", false,
       {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512"}},
      {"jwt_public_key_file", &ServeOptions::jwt_public_key_file, "RS*: PEM file of the JWT public key"},
      {"metrics_access", &ServeOptions::metrics_access,
       "admin: /metrics needs an admin credential once any is set | open", false, {"admin", "open"}},
      {"message_access", &ServeOptions::message_access,
       "credential: message routes need one once the server or the bot has one | open: only the bot's own",
       false, {"credential", "open"}},
      {"cors", &ServeOptions::cors,
       "Rasa's --cors: origins whose web pages may call, comma-separated (* = any; empty: none)"},
      {"allowed_hosts", &ServeOptions::allowed_hosts,
       "Host header names answered, comma-separated, *.example.com for subdomains, * = any (empty: any, "
       "but on a loopback listener only localhost; IP addresses always); others get 421 (DNS rebinding)"},
      {"rate_limit_conversation_per_s", &ServeOptions::rate_limit_conversation_per_s,
       "messages per second per conversation (0 = no limit; 429 beyond)"},
      {"rate_limit_conversation_burst", &ServeOptions::rate_limit_conversation_burst,
       "token bucket size per conversation"},
      {"rate_limit_bot_per_s", &ServeOptions::rate_limit_bot_per_s,
       "messages per second per bot (0 = no limit; 429 beyond)"},
      {"rate_limit_bot_burst", &ServeOptions::rate_limit_bot_burst,
       "token bucket size per bot (0 = one second of rate)"},
      {"action_timeout_ms", &ServeOptions::action_timeout_ms, "timeout of one custom action call"},
      {"action_max_in_flight", &ServeOptions::action_max_in_flight,
       "concurrent custom action calls per bot"},
      {"drain_timeout_ms", &ServeOptions::drain_timeout_ms,
       "on SIGTERM, time to finish turns in flight before exiting"},
      {"require_message_id", &ServeOptions::require_message_id,
       "refuse messages without an id (422), so that every retry is applied once"},
      {"log_level", &ServeOptions::log_level, "trace | debug | info | warn | error | off", false,
       {"trace", "debug", "info", "warn", "error", "off"}},
  };
  return kTable;
}

const Setting* find_setting(std::string_view key) {
  for (const auto& s : table())
    if (key == s.key) return &s;
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// YAML's and the environment's spellings of a boolean.
Result<bool> parse_bool(std::string_view key, std::string_view text) {
  std::string v(trim(text));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return Status::invalid("setting '" + std::string(key) + "': '" + std::string(trim(text)) + "' is not true or false");
}

Result<uint64_t> parse_uint(std::string_view key, std::string_view text, bool bytes) {
  text = trim(text);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p == text.data())
    return Status::invalid("setting '" + std::string(key) + "': '" + std::string(text) + "' is not a whole number");
  std::string_view suffix = trim(std::string_view(p, text.data() + text.size() - p));
  uint64_t mult = 1;
  if (!suffix.empty()) {
    if (!bytes) return Status::invalid("setting '" + std::string(key) + "': '" + std::string(text) + "' is not a whole number");
    if (suffix == "B") mult = 1;
    else if (suffix == "KiB" || suffix == "K" || suffix == "KB") mult = 1ull << 10;
    else if (suffix == "MiB" || suffix == "M" || suffix == "MB") mult = 1ull << 20;
    else if (suffix == "GiB" || suffix == "G" || suffix == "GB") mult = 1ull << 30;
    else return Status::invalid("setting '" + std::string(key) + "': unknown size suffix '" + std::string(suffix) + "'");
  }
  if (v > UINT64_MAX / mult) return Status::invalid("setting '" + std::string(key) + "': too large");
  return v * mult;
}

Result<double> parse_double(std::string_view key, std::string_view text) {
  std::string s(trim(text));
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0)
    return Status::invalid("setting '" + std::string(key) + "': '" + s + "' is not a non-negative number");
  return v;
}

std::string format_double(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

std::string setting_env_name(std::string_view key) {
  std::string out = "PARLEY_";
  for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<SettingInfo> serve_settings() {
  ServeOptions defaults;
  std::vector<SettingInfo> out;
  for (const auto& s : table()) out.push_back({s.key, s.help, get_serve_option(defaults, s.key)});
  return out;
}

Status set_serve_option(ServeOptions& options, std::string_view key, std::string_view value) {
  const Setting* s = find_setting(key);
  if (!s) return Status::invalid("unknown setting '" + std::string(key) + "'");
  if (auto f = std::get_if<std::string ServeOptions::*>(&s->field)) {
    std::string v(trim(value));
    if (!s->choices.empty()) {
      bool ok = false;
      std::string list;
      for (auto c : s->choices) {
        ok = ok || v == c;
        list += (list.empty() ? "" : " | ") + std::string(c);
      }
      if (!ok) return Status::invalid("setting '" + std::string(key) + "': '" + v + "' is not one of " + list);
    }
    options.*(*f) = std::move(v);
  } else if (auto f = std::get_if<uint64_t ServeOptions::*>(&s->field)) {
    auto v = parse_uint(key, value, s->bytes);
    if (!v.ok()) return v.status();
    options.*(*f) = *v;
  } else if (auto f = std::get_if<double ServeOptions::*>(&s->field)) {
    auto v = parse_double(key, value);
    if (!v.ok()) return v.status();
    options.*(*f) = *v;
  } else if (auto f = std::get_if<bool ServeOptions::*>(&s->field)) {
    auto v = parse_bool(key, value);
    if (!v.ok()) return v.status();
    options.*(*f) = *v;
  }
  return Status::ok();
}

std::string get_serve_option(const ServeOptions& options, std::string_view key) {
  const Setting* s = find_setting(key);
  if (!s) return {};
  if (auto f = std::get_if<std::string ServeOptions::*>(&s->field)) return options.*(*f);
  if (auto f = std::get_if<uint64_t ServeOptions::*>(&s->field)) return std::to_string(options.*(*f));
  if (auto f = std::get_if<double ServeOptions::*>(&s->field)) return format_double(options.*(*f));
  if (auto f = std::get_if<bool ServeOptions::*>(&s->field)) return options.*(*f) ? "true" : "false";
  return {};
}

namespace {

Status apply_config_root(const YAML::Node& root, const std::string& path, ServeOptions& options) {
  if (root.IsNull()) return Status::ok();  // an empty file
  if (!root.IsMap()) return Status::invalid(path + ": the config file must be a mapping of setting: value");
  for (const auto& kv : root) {
    std::string where = path + ":" + std::to_string(kv.first.Mark().line + 1);
    std::string key = kv.first.Scalar();
    if (key == "events") continue;    // the event pipeline's section: events/config.h reads it
    if (key == "bot_auth") continue;  // per-bot credentials: channels/auth_config.h reads them
    if (!find_setting(key)) return Status::invalid(where + ": unknown setting '" + key + "'");
    if (key == "store" && kv.second.IsMap()) {
      // The long form: store: {type: rocksdb | redis, url: redis://... | redis+cluster://...}
      for (const auto& sub : kv.second) {
        std::string at = path + ":" + std::to_string(sub.first.Mark().line + 1);
        std::string name = sub.first.Scalar();
        const char* target = name == "type" ? "store" : name == "url" ? "redis_url" : nullptr;
        if (!target) return Status::invalid(at + ": unknown store setting '" + name + "' (type, url)");
        if (!sub.second.IsScalar()) return Status::invalid(at + ": store setting '" + name + "' needs a single value");
        if (Status s = set_serve_option(options, target, sub.second.Scalar()); !s)
          return Status::invalid(at + ": " + s.message());
      }
      continue;
    }
    if (key == "cors" && kv.second.IsSequence()) {  // cors: [http://a.example, ...]
      std::string list;
      for (const auto& item : kv.second) list += (list.empty() ? "" : ",") + item.as<std::string>("");
      options.cors = list;
      continue;
    }
    if (!kv.second.IsScalar())
      return Status::invalid(where + ": setting '" + key + "' needs a single value");
    if (Status s = set_serve_option(options, key, kv.second.Scalar()); !s)
      return Status::invalid(where + ": " + s.message());
  }
  return Status::ok();
}

}  // namespace

Status load_serve_config_file(const std::string& path, ServeOptions& options) {
  return read_yaml_file(path, [&options](const YAML::Node& root, const std::string& origin) {
    return apply_config_root(root, origin, options);
  });
}

Status apply_serve_env(ServeOptions& options, const std::function<const char*(const char*)>& getenv) {
  for (const auto& s : table()) {
    std::string name = setting_env_name(s.key);
    const char* v = getenv ? getenv(name.c_str()) : std::getenv(name.c_str());
    if (!v) continue;
    if (Status st = set_serve_option(options, s.key, v); !st) return Status::invalid(name + ": " + st.message());
  }
  return Status::ok();
}

Status validate_serve_options(const ServeOptions& o) {
  std::string host;
  uint16_t port = 0;
  if (Status s = split_host_port(o.listen, &host, &port); !s) return s;
  if (o.bots.empty()) return Status::invalid("setting 'bots' is empty");
  if (o.data.empty()) return Status::invalid("setting 'data' is empty");
  if (o.max_text_bytes == 0) return Status::invalid("setting 'max_text_bytes' must be positive");
  if (o.max_body_bytes < o.max_text_bytes)
    return Status::invalid("setting 'max_body_bytes' (" + std::to_string(o.max_body_bytes) +
                           ") must be at least max_text_bytes (" + std::to_string(o.max_text_bytes) + ")");
  if (o.max_header_bytes < 256) return Status::invalid("setting 'max_header_bytes' must be at least 256");
  if (o.max_connections == 0) return Status::invalid("setting 'max_connections' must be positive");
  if (o.max_id_bytes == 0) return Status::invalid("setting 'max_id_bytes' must be positive");
  if (o.read_timeout_ms == 0 || o.idle_timeout_ms == 0 || o.write_timeout_ms == 0)
    return Status::invalid("timeouts must be positive");
  if (o.threads > 1024) return Status::invalid("setting 'threads' is above 1024");
  if (o.io_threads > 1024) return Status::invalid("setting 'io_threads' is above 1024");
  if (o.regex_match_limit < 1000 || o.regex_match_limit > UINT32_MAX)
    return Status::invalid("setting 'regex_match_limit' must be between 1000 and " + std::to_string(UINT32_MAX));
  if (o.tls_cert_file.empty() != o.tls_key_file.empty())
    return Status::invalid("settings 'tls_cert_file' and 'tls_key_file' go together: set both or neither");
  return Status::ok();
}

runtime::EngineOptions engine_options(const ServeOptions& o, const events::EventsConfig& events, bool write_outbox) {
  runtime::EngineOptions eo;
  eo.cache_bytes = o.cache_bytes;
  eo.tracker_window = o.tracker_window;
  eo.snapshot_every = o.snapshot_every;
  eo.max_queue_per_conversation = o.max_queue_per_conversation;
  eo.max_pending_turns = o.max_pending_turns;
  eo.action_timeout = std::chrono::milliseconds(o.action_timeout_ms);
  eo.turn_budget = std::chrono::milliseconds(o.turn_budget_ms);
  eo.action_max_in_flight_per_bot = o.action_max_in_flight;
  eo.write_outbox = write_outbox;
  eo.max_event_bytes = events.max_event_bytes;
  eo.model_cache = o.model_cache == "off" ? std::string() : o.model_cache.empty() ? o.data + "/models" : o.model_cache;
  eo.max_project_bytes = o.max_project_bytes;
  return eo;
}

channels::ApiOptions api_options(const ServeOptions& o, std::shared_ptr<const channels::Authorizer> auth,
                                 const std::string& host) {
  channels::ApiOptions ao;
  ao.submit.limits.max_text_bytes = o.max_text_bytes;
  ao.submit.limits.require_message_id = o.require_message_id;
  ao.submit.limits.max_id_bytes = o.max_id_bytes;
  ao.submit.retry_after_s = static_cast<unsigned>(o.retry_after_s);
  ao.submit.conversation_rate = {o.rate_limit_conversation_per_s, o.rate_limit_conversation_burst};
  ao.submit.bot_rate = {o.rate_limit_bot_per_s, o.rate_limit_bot_burst};
  ao.router.max_id_bytes = o.max_id_bytes;
  ao.router.auth = std::move(auth);
  ao.router.cors.origins = channels::parse_origins(o.cors);
  ao.router.hosts = channels::host_policy(o.allowed_hosts, host);
  return ao;
}

channels::ServerOptions server_options(const ServeOptions& o, const std::string& host, uint16_t port,
                                       size_t max_connections) {
  channels::ServerOptions so;
  so.host = host;
  so.port = port;
  so.max_connections = max_connections;
  so.max_header_bytes = o.max_header_bytes;
  so.max_body_bytes = o.max_body_bytes;
  so.read_timeout = std::chrono::milliseconds(o.read_timeout_ms);
  so.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
  so.write_timeout = std::chrono::milliseconds(o.write_timeout_ms);
  so.retry_after_s = static_cast<unsigned>(o.retry_after_s);
  so.tls_cert_file = o.tls_cert_file;
  so.tls_key_file = o.tls_key_file;
  return so;
}

store::RocksDbStoreOptions rocksdb_store_options(const ServeOptions& o) {
  store::RocksDbStoreOptions so;
  so.durability = o.durability == "flush" ? store::Durability::kFlush
                  : o.durability == "none" ? store::Durability::kNone
                                           : store::Durability::kFsync;
  return so;
}

store::RedisStoreOptions redis_store_options(const ServeOptions& o, size_t readers) {
  store::RedisStoreOptions ro;
  ro.url = o.redis_url;
  ro.readers = readers;
  return ro;
}

actions::HttpActionClientOptions action_client_options(const ServeOptions& o) {
  actions::HttpActionClientOptions ao;
  ao.ca_file = o.tls_ca_file;
  return ao;
}

channels::AuthConfig server_auth_config(const ServeOptions& o) {
  channels::AuthConfig c;
  c.server = channels::Credentials{o.auth_token, o.jwt_secret, o.jwt_method, o.jwt_public_key_file};
  c.open_metrics = o.metrics_access == "open";
  c.open_messages = o.message_access == "open";
  return c;
}

}  // namespace parley::cli
