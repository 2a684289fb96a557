// Settings of `parley serve`: one struct with a documented default for each, the one table
// that names them, and the functions that build each module's options from them. Sources, later ones winning: defaults, the config file (`--config
// parley.yml`, a YAML mapping of setting to value), PARLEY_<SETTING> environment variables
// (PARLEY_LISTEN, PARLEY_DURABILITY, ...), then command-line flags. Unknown keys in the file are
// errors that name the key. Byte sizes accept KiB/MiB/GiB suffixes ("16KiB").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actions/http_action_client.h"
#include "channels/api.h"
#include "channels/http/auth_config.h"
#include "channels/http/server.h"
#include "core/regex.h"
#include "core/host_port.h"
#include "core/status.h"
#include "events/config.h"
#include "runtime/engine.h"
#include "store/redis/redis_store.h"
#include "store/rocksdb/rocksdb_store.h"

namespace parley::cli {

// Each default below is the module's own (the options struct the setting ends up in), so it is
// written once, there.

// A duration option's default in milliseconds.
constexpr uint64_t in_ms(std::chrono::milliseconds d) { return static_cast<uint64_t>(d.count()); }

struct ServeOptions {
  // Where to listen and what to serve.
  std::string listen = "127.0.0.1:8080";   // HOST:PORT; port 0 picks a free port (logged)
  std::string bots = "bots";               // each subfolder is a bot, named by the folder
  std::string data = "data";               // folder of the embedded store
  std::string model_cache;                 // trained models; "" = <data>/models, "off" = train at every load
  uint64_t max_project_bytes = runtime::EngineOptions{}.max_project_bytes;  // a bot's YAML files together; a larger bot is not loaded
  uint64_t threads = 0;                    // turn threads (NLU, dialogue); 0 = number of cores
  uint64_t io_threads = 0;                 // HTTP and WebSocket threads; 0 = number of cores

  // Store and engine.
  std::string durability = "fsync";        // fsync | flush | none: what a reply waits for
  std::string store = "rocksdb";           // rocksdb (embedded) | redis (shared by replicas)
  std::string redis_url = store::RedisStoreOptions{}.url;
  uint64_t cache_bytes = runtime::EngineOptions{}.cache_bytes;  // tracker cache bound
  uint64_t tracker_window = runtime::EngineOptions{}.tracker_window;  // events of a session kept in memory per tracker
  uint64_t snapshot_every = runtime::EngineOptions{}.snapshot_every;  // turns between tracker snapshots in the store
  uint64_t max_queue_per_conversation = runtime::EngineOptions{}.max_queue_per_conversation;  // turns waiting per conversation; beyond: 503
  uint64_t max_pending_turns = runtime::EngineOptions{}.max_pending_turns;  // turns waiting in all conversations; beyond: 503
  // A turn computing (NLU, policies; not waiting for the store or action servers) longer than
  // this is stopped: 500 turn_budget_exceeded and an error event. 0 = no time limit.
  uint64_t turn_budget_ms = static_cast<uint64_t>(runtime::EngineOptions{}.turn_budget.count());
  // Backtracking steps of one regex search per start position (PCRE2's match limit); a message
  // that reaches it ends its turn as over budget.
  uint64_t regex_match_limit = RegexLimits{}.match_limit;

  // Limits at the edge (answered with 413/431/408 and a JSON error).
  uint64_t max_text_bytes = channels::MessageLimits{}.max_text_bytes;  // message text
  uint64_t max_body_bytes = channels::ServerOptions{}.max_body_bytes;  // request body, and WebSocket message
  uint64_t max_header_bytes = channels::ServerOptions{}.max_header_bytes;  // request line and headers
  uint64_t max_id_bytes = channels::MessageLimits{}.max_id_bytes;  // bot, conversation and message ids
  uint64_t read_timeout_ms = in_ms(channels::ServerOptions{}.read_timeout);  // to receive a whole request once it began
  uint64_t idle_timeout_ms = in_ms(channels::ServerOptions{}.idle_timeout);  // keep-alive connection without a request; WebSocket idle
  uint64_t write_timeout_ms = in_ms(channels::ServerOptions{}.write_timeout);  // to send a response
  uint64_t max_connections = channels::ServerOptions{}.max_connections;  // open HTTP and WebSocket connections; beyond: 503
  uint64_t retry_after_s = channels::ServerOptions{}.retry_after_s;  // Retry-After on 503
  bool require_message_id = channels::MessageLimits{}.require_message_id;  // 422 for a message without an id (retries need one)

  // TLS (core/tls.h): the listener's certificate and key (PEM; both or neither, reread on
  // SIGHUP), and the CAs for https action servers (HTTP sinks have their own ca_file).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;                 // "" = the system's store

  // Who may call (channels/auth.h; per bot: the `bot_auth:` section) and which web pages may
  // (channels/browser.h). Rasa's --auth-token, --jwt-secret, --jwt-method and --cors.
  std::string auth_token;                  // admin on every route: ?token= or Authorization: Bearer
  std::string jwt_secret;                  // HS* shared secret, or for RS* the PEM public key text
  std::string jwt_method = "HS256";        // HS256 | HS384 | HS512 | RS256 | RS384 | RS512
  std::string jwt_public_key_file;         // RS*: PEM file of the public key (instead of jwt_secret)
  std::string metrics_access = "admin";    // admin (a credential, once any is set) | open
  std::string message_access = "credential";  // credential | open (unless the bot has its own)
  std::string cors;                        // origins whose pages may call, comma-separated; * = any
  std::string allowed_hosts;               // Host names answered ("" = any, or localhost only on loopback)

  // Rate limits (token buckets; 0 = no limit). Over the limit: 429 with Retry-After.
  double rate_limit_conversation_per_s = 20;  // messages per second per conversation
  double rate_limit_conversation_burst = 40;  // bucket size per conversation
  double rate_limit_bot_per_s = 0;            // messages per second per bot
  double rate_limit_bot_burst = 0;            // bucket size per bot; 0 = one second of rate

  // Custom actions.
  uint64_t action_timeout_ms = in_ms(runtime::EngineOptions{}.action_timeout);  // per call to the action server
  uint64_t action_max_in_flight = runtime::EngineOptions{}.action_max_in_flight_per_bot;  // concurrent calls per bot's action server

  // Operations.
  uint64_t drain_timeout_ms = 30000;       // SIGTERM: time to finish turns in flight, then exit
  std::string log_level = "info";          // trace | debug | info | warn | error | off
};

// One setting as `--help` and the docs list it.
struct SettingInfo {
  std::string key;       // name in the config file; the env variable is PARLEY_<KEY upper-cased>
  std::string help;
  std::string default_value;
};
std::vector<SettingInfo> serve_settings();

// "PARLEY_" + upper-cased key.
std::string setting_env_name(std::string_view key);

// Sets one setting from its text form. Unknown keys and bad values are kInvalidArgument naming
// the key.
Status set_serve_option(ServeOptions& options, std::string_view key, std::string_view value);
// The text form of a setting's current value ("" for unknown keys).
std::string get_serve_option(const ServeOptions& options, std::string_view key);

// Applies a YAML config file: a mapping of setting to scalar. Errors name the file, line and key.
Status load_serve_config_file(const std::string& path, ServeOptions& options);
// Applies PARLEY_<KEY> variables that are set. `getenv` is injectable for tests.
Status apply_serve_env(ServeOptions& options,
                       const std::function<const char*(const char*)>& getenv = nullptr);
// Checks values together (e.g. max_text_bytes <= max_body_bytes, listen parses).
Status validate_serve_options(const ServeOptions& options);


// The options of each module, built from the settings (each setting is read in one place).
runtime::EngineOptions engine_options(const ServeOptions& options, const events::EventsConfig& events,
                                      bool write_outbox);
// `host` is the listener's (for the Host policy).
channels::ApiOptions api_options(const ServeOptions& options, std::shared_ptr<const channels::Authorizer> auth,
                                 const std::string& host);
// `max_connections` may be lowered from the setting to fit the open files limit.
channels::ServerOptions server_options(const ServeOptions& options, const std::string& host, uint16_t port,
                                       size_t max_connections);
store::RocksDbStoreOptions rocksdb_store_options(const ServeOptions& options);
// `readers`: pooled read connections, one per turn thread.
store::RedisStoreOptions redis_store_options(const ServeOptions& options, size_t readers);
actions::HttpActionClientOptions action_client_options(const ServeOptions& options);
// The server's credentials and metrics_access (channels/http/auth.h) from the settings.
channels::AuthConfig server_auth_config(const ServeOptions& options);

}  // namespace parley::cli
