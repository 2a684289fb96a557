// `parley serve`: every bot of a folder over HTTP and WebSocket, on the embedded store. Settings
// come from the config file, PARLEY_* variables and flags (core/config.h); this file wires the
// store, the engine, the API, the server and the signal handling together and runs them on two
// fixed pools of threads: the network's (HTTP, WebSocket, timers, signals) and the turns'.
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "actions/http_action_client.h"
#include "channels/api.h"
#include "channels/engine_port.h"
#include "channels/http/auth_config.h"
#include "channels/http/server.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/regex.h"
#include "events/config.h"
#include "events/relay.h"
#include "ops/lifecycle.h"
#include "ops/limits.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "runtime/engine.h"
#include "store/redis/redis_store.h"
#include "store/rocksdb/rocksdb_store.h"

namespace parley::cli {

namespace {

struct ServeFlags {
  std::optional<std::string> config, bots, data, listen, durability, threads, log_level;
  std::optional<std::string> auth_token, jwt_secret, jwt_method, jwt_public_key_file, cors;
  std::optional<std::string> tls_cert_file, tls_key_file, tls_ca_file;
};

struct Resolved {
  ServeOptions options;
  events::EventsConfig events;
  channels::AuthConfig auth_config;
  std::shared_ptr<const channels::Authorizer> auth;
};

// The names of the bot folders under `bots_dir` (as the engine loads them), for their
// PARLEY_BOT_<BOT>_* credentials.
std::vector<std::string> bot_folder_names(const std::string& bots_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(bots_dir, ec)) {
    std::string name = item.path().filename().string();
    if (item.is_directory() && !name.empty() && name[0] != '.') names.push_back(name);
  }
  return names;
}

// Defaults, then the file, then the environment, then the flags. The `events:` section (sinks)
// and the `bot_auth:` section come from the file only (bot credentials also from PARLEY_BOT_*).
Result<Resolved> resolve_options(const ServeFlags& flags) {
  Resolved r;
  ServeOptions& o = r.options;
  std::optional<std::string> config = flags.config;
  if (!config)
    if (const char* env = std::getenv("PARLEY_CONFIG"); env && *env) config = env;
  if (config) {
    if (Status s = load_serve_config_file(*config, o); !s) return s;
    if (Status s = events::load_events_config(*config, r.events); !s) return s;
  }
  if (Status s = apply_serve_env(o); !s) return s;
  const std::pair<const char*, const std::optional<std::string>*> given[] = {
      {"bots", &flags.bots},          {"data", &flags.data},       {"listen", &flags.listen},
      {"durability", &flags.durability}, {"threads", &flags.threads}, {"log_level", &flags.log_level},
      {"auth_token", &flags.auth_token}, {"jwt_secret", &flags.jwt_secret}, {"jwt_method", &flags.jwt_method},
      {"jwt_public_key_file", &flags.jwt_public_key_file}, {"cors", &flags.cors},
      {"tls_cert_file", &flags.tls_cert_file}, {"tls_key_file", &flags.tls_key_file},
      {"tls_ca_file", &flags.tls_ca_file}};
  for (const auto& [key, value] : given)
    if (*value)
      if (Status s = set_serve_option(o, key, **value); !s) return Status::invalid("--" + std::string(key) + ": " + s.message());
  if (Status s = validate_serve_options(o); !s) return s;
  r.auth_config = channels::server_auth_config(o);
  if (config)
    if (Status s = channels::load_bot_auth(*config, r.auth_config); !s) return s;
  channels::apply_bot_auth_env(bot_folder_names(o.bots), r.auth_config);
  auto auth = channels::Authorizer::create(r.auth_config);
  if (!auth.ok()) return auth.status();
  r.auth = std::move(*auth);
  return r;
}

std::string settings_help() {
  std::string out = "Settings (config file key, environment variable, default):\n";
  for (const auto& s : serve_settings()) {
    std::string line = "  " + s.key;
    line.resize(std::max<size_t>(line.size() + 1, 34), ' ');
    out += line + s.help + "\n" + std::string(34, ' ') + setting_env_name(s.key) + ", default " +
           (s.default_value.empty() ? "\"\"" : s.default_value) + "\n";
  }
  return out;
}

// Part of drain_timeout kept for syncing the store when turns did not finish in time.
std::chrono::milliseconds sync_reserve(uint64_t drain_timeout_ms) {
  return std::chrono::milliseconds(std::min<uint64_t>(1000, drain_timeout_ms / 5));
}

// A drain that timed out: what was acknowledged is made durable (with durability none it may
// still be in the process) if the store manages within `within`, then the process leaves
// without destructors, since turns still computing hold the engine's internals.
[[noreturn]] void exit_after_sync(std::shared_ptr<store::ConversationStore> store, std::chrono::milliseconds within,
                                  int code) {
  auto done = std::make_shared<std::promise<void>>();
  auto synced = done->get_future();
  std::thread([store = std::move(store), done] {
    (void)store->sync();
    done->set_value();
  }).detach();
  if (synced.wait_for(within) != std::future_status::ready)
    ops::log(spdlog::level::err, "the store did not sync before the drain deadline");
  spdlog::default_logger()->flush();
  std::_Exit(code);
}

store::Durability durability_of(const std::string& s) {
  if (s == "flush") return store::Durability::kFlush;
  if (s == "none") return store::Durability::kNone;
  return store::Durability::kFsync;
}

// Says so at start when anyone who reaches the listener could use every route, or when no
// credential could open the admin routes.
void warn_about_access(const Resolved& r, const std::string& host, const std::vector<runtime::BotInfo>& bots) {
  if (!r.auth->enabled() && !channels::is_loopback_host(host))
    ops::log(spdlog::level::warn,
             "no credential is configured and the server listens beyond loopback: anyone who reaches it can "
             "read and write every conversation, reload bots and replay sinks; set auth_token or jwt_secret",
             {{"host", host}});
  if (r.auth->enabled() && r.auth_config.server.empty())
    ops::log(spdlog::level::warn,
             "only bot credentials are configured: the admin routes (bot list, sinks, replay) need a server "
             "credential (auth_token or jwt_secret) and none can reach them");
  for (const auto& [name, creds] : r.auth_config.bots) {
    bool served = std::any_of(bots.begin(), bots.end(), [&, &n = name](const auto& b) { return b.name == n; });
    if (!served && !creds.empty()) ops::log(spdlog::level::warn, "bot_auth names a bot that is not served", {{"bot", name}});
  }
}

int run_serve(const Resolved& resolved) {
  const ServeOptions& o = resolved.options;
  const events::EventsConfig& events_config = resolved.events;
  if (Status s = ops::init_json_logging(o.log_level); !s) {
    std::cerr << "parley serve: " << s.message() << "\n";
    return 2;
  }
  std::string host;
  uint16_t port = 0;
  split_host_port(o.listen, &host, &port);
  uint64_t fd_limit = ops::raise_open_files_limit();
  size_t max_connections = o.max_connections;
  if (fd_limit < max_connections + 128) {
    max_connections = fd_limit > 256 ? fd_limit - 128 : 128;
    ops::log(spdlog::level::warn, "max_connections lowered to fit the open files limit",
             {{"max_connections", max_connections}, {"open_files_limit", fd_limit}});
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned threads = o.threads ? static_cast<unsigned>(o.threads) : cores;
  const unsigned io_threads = o.io_threads ? static_cast<unsigned>(o.io_threads) : cores;
  // The Redis store's reads are blocking round trips made on the turn threads (and Redis with
  // appendfsync always answers only after its fsync): more threads keep more turns in flight.
  // Measured on 2 cores, one replica, parley bench -c 64: 457 turns/s with 2 threads, 1,519 with 16.
  if (o.store == "redis" && o.threads == 0) threads = std::max(16u, 8 * cores);
  RegexLimits regex;
  regex.match_limit = static_cast<uint32_t>(o.regex_match_limit);
  set_regex_limits(regex);

  // Declared before the io_context: connection slots count into it until the last handler goes.
  ops::ServerMetrics metrics;
  boost::asio::io_context ioc(static_cast<int>(io_threads));
  // Turns run on their own threads: a turn that computes long never holds the threads that
  // answer /healthz, /metrics, other connections and signals (nor the turn budget's watchdog).
  boost::asio::thread_pool turn_pool(threads);

  // The store: embedded RocksDB, or Redis shared by every replica.
  std::shared_ptr<store::ConversationStore> conversations;
  store::Outbox* outbox = nullptr;
  if (o.store == "redis") {
    store::RedisStoreOptions ro;
    ro.url = o.redis_url;
    ro.readers = threads;
    auto opened = store::open_redis_store(ro);
    if (!opened.ok()) {
      ops::log(spdlog::level::err, "cannot open the store", {{"redis_url", o.redis_url}, {"error", opened.status().to_string()}});
      return 1;
    }
    outbox = opened->get();
    conversations = std::move(opened).value();
  } else {
    store::RocksDbStoreOptions store_options;
    store_options.durability = durability_of(o.durability);
    auto opened = store::RocksDbStore::open(o.data, store_options);
    if (!opened.ok()) {
      ops::log(spdlog::level::err, "cannot open the store", {{"data", o.data}, {"error", opened.status().message()}});
      return 1;
    }
    outbox = opened->get();
    conversations = std::move(opened).value();
  }

  // The event relay: one runner per sink over the store's outbox (none configured: no outbox).
  std::unique_ptr<events::Relay> relay;
  if (!events_config.sinks.empty()) {
    auto made = events::Relay::create(*outbox, events_config);
    if (!made.ok()) {
      ops::log(spdlog::level::err, "cannot set up the event sinks", {{"error", made.status().message()}});
      return 1;
    }
    relay = std::move(made).value();
    events::Relay* r = relay.get();
    outbox->set_commit_listener([r] { r->notify(); });
    if (Status s = relay->start(); !s) {
      ops::log(spdlog::level::err, "cannot start the event relay", {{"error", s.message()}});
      return 1;
    }
    for (const auto& sink : events_config.sinks)
      ops::log(spdlog::level::info, "event sink", {{"sink", sink.name}, {"type", sink.type}});
  }

  runtime::EngineOptions eo;
  eo.cache_bytes = o.cache_bytes;
  eo.tracker_window = o.tracker_window;
  eo.snapshot_every = o.snapshot_every;
  eo.max_queue_per_conversation = o.max_queue_per_conversation;
  eo.max_pending_turns = o.max_pending_turns;
  eo.action_timeout = std::chrono::milliseconds(o.action_timeout_ms);
  eo.turn_budget = std::chrono::milliseconds(o.turn_budget_ms);
  eo.action_max_in_flight_per_bot = o.action_max_in_flight;
  eo.write_outbox = relay != nullptr;
  eo.max_event_bytes = events_config.max_event_bytes;
  eo.model_cache = o.model_cache == "off" ? std::string() : o.model_cache.empty() ? o.data + "/models" : o.model_cache;
  eo.max_project_bytes = o.max_project_bytes;
  actions::HttpActionClientOptions action_options;
  action_options.ca_file = o.tls_ca_file;
  auto action_client = actions::make_async_http_action_client(ioc.get_executor(), action_options);
  if (!action_client.ok()) {
    ops::log(spdlog::level::err, "cannot set up the action server client", {{"error", action_client.status().message()}});
    return 1;
  }
  auto engine = std::make_shared<runtime::Engine>(eo, conversations, std::move(action_client).value(),
                                                  turn_pool.get_executor(), ioc.get_executor());
  auto loaded = engine->load_bots(o.bots);
  if (!loaded.ok()) {
    ops::log(spdlog::level::err, "no bot to serve", {{"bots", o.bots}, {"error", loaded.status().message()}});
    return 1;
  }
  for (const auto& d : *loaded)
    ops::log(d.severity == bot::Diagnostic::Severity::kError ? spdlog::level::err : spdlog::level::warn,
             "bot diagnostic", {{"diagnostic", d.to_string()}});

  channels::ApiOptions ao;
  ao.limits.max_text_bytes = o.max_text_bytes;
  ao.limits.require_message_id = o.require_message_id;
  ao.limits.max_id_bytes = o.max_id_bytes;
  ao.retry_after_s = static_cast<unsigned>(o.retry_after_s);
  ao.conversation_rate = {o.rate_limit_conversation_per_s, o.rate_limit_conversation_burst};
  ao.bot_rate = {o.rate_limit_bot_per_s, o.rate_limit_bot_burst};
  ao.auth = resolved.auth;
  ao.cors.origins = channels::parse_origins(o.cors);
  ao.hosts = channels::host_policy(o.allowed_hosts, host);
  auto engine_port = std::make_shared<channels::EnginePort>(engine);
  auto api = std::make_unique<channels::Api>(ao, engine_port, engine_port, metrics, relay.get());

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
  auto server = std::make_unique<channels::Server>(ioc, so, *api, metrics);
  if (Status s = server->listen(); !s) {
    ops::log(spdlog::level::err, "cannot listen", {{"listen", o.listen}, {"error", s.message()}});
    return 1;
  }

  ops::LifecycleHooks hooks;
  hooks.stop_accepting = [&] {
    server->stop_accepting();
    api->set_draining(true);
  };
  hooks.drain = [&](std::function<void()> done) { engine->drain(std::move(done)); };
  hooks.requests_in_flight = [&] { return server->requests_in_flight(); };
  hooks.reload_all = [&] {
    // The certificate first: a renewed one takes effect even when a bot fails to reload.
    if (server->tls()) {
      if (Status t = server->reload_tls(); !t.is_ok())
        ops::log(spdlog::level::err, "SIGHUP: the TLS certificate was not reloaded; the current one stays",
                 {{"error", t.message()}});
      else
        ops::log(spdlog::level::info, "SIGHUP: TLS certificate reloaded", {{"tls_cert_file", o.tls_cert_file}});
    }
    return engine->reload_all();
  };
  ops::Lifecycle lifecycle(ioc, hooks, std::chrono::milliseconds(o.drain_timeout_ms) - sync_reserve(o.drain_timeout_ms));
  lifecycle.start();
  server->start();

  json::array bot_names;
  for (const auto& b : engine->bots()) bot_names.push_back(json::string(b.name));
  ops::log(spdlog::level::info, "listening",
           {{"host", host}, {"port", server->port()}, {"bots", bot_names}, {"store", o.store}, {"data", o.store == "redis" ? o.redis_url : o.data},
            {"durability", o.durability}, {"threads", threads}, {"io_threads", io_threads},
            {"turn_budget_ms", o.turn_budget_ms}, {"max_connections", max_connections},
            {"tls", server->tls()},
            {"try", std::string("curl -s -XPOST ") + (server->tls() ? "https://" : "http://") + host + ":" + std::to_string(server->port()) + "/v1/bots/" +
                        std::string(bot_names.empty() ? "BOT" : bot_names[0].as_string().c_str()) +
                        "/conversations/me/messages -H 'Content-Type: application/json' -d '{\"id\":\"m1\",\"text\":\"hi\"}'"}});
  warn_about_access(resolved, host, engine->bots());

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < io_threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();

  if (int code = lifecycle.exit_code(); code != 0) exit_after_sync(conversations, sync_reserve(o.drain_timeout_ms), code);
  server.reset();
  api.reset();
  engine.reset();
  turn_pool.stop();  // drained: no turn is left
  turn_pool.join();
  if (relay) relay->stop();  // undelivered events stay in the outbox for the next start
  relay.reset();
  conversations.reset();  // closes the store: completes queued appends, syncs
  ops::log(spdlog::level::info, "stopped");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace

void register_serve(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "Serve every bot of a folder over HTTP and WebSocket");
  auto flags = std::make_shared<ServeFlags>();
  auto opt = [&](const char* name, std::optional<std::string>* target, const char* help) {
    cmd->add_option_function<std::string>(name, [target](const std::string& v) { *target = v; }, help);
  };
  opt("--config", &flags->config, "YAML config file with any of the settings below (env PARLEY_CONFIG)");
  opt("--bots", &flags->bots, "folder whose subfolders are the bots, each named by its folder");
  opt("--data", &flags->data, "folder of the embedded store");
  opt("--listen", &flags->listen, "HOST:PORT to listen on (port 0 picks a free one)");
  opt("--durability", &flags->durability, "fsync | flush | none");
  opt("--threads", &flags->threads, "turn threads: NLU and dialogue (0 = number of cores)");
  opt("--log-level", &flags->log_level, "trace | debug | info | warn | error | off");
  opt("--auth-token", &flags->auth_token, "token for every route (?token= or Authorization: Bearer)");
  opt("--jwt-secret", &flags->jwt_secret, "JWT secret (HS*) or public key PEM text (RS*)");
  opt("--jwt-method", &flags->jwt_method, "HS256 | HS384 | HS512 | RS256 | RS384 | RS512");
  opt("--jwt-public-key", &flags->jwt_public_key_file, "PEM file of the JWT public key (RS*)");
  // Rasa's names for the same files.
  opt("--ssl-certificate", &flags->tls_cert_file, "PEM certificate chain: serve HTTPS/WSS only (tls_cert_file)");
  opt("--ssl-keyfile", &flags->tls_key_file, "PEM private key of the certificate (tls_key_file)");
  opt("--ssl-ca-file", &flags->tls_ca_file, "PEM CAs for https action servers (tls_ca_file)");
  cmd->add_option_function<std::vector<std::string>>(
      "--cors",
      [flags](const std::vector<std::string>& v) {
        std::string list;
        for (const auto& o : v) list += (list.empty() ? "" : ",") + o;
        flags->cors = list;
      },
      "origins whose web pages may call (* = any)");
  cmd->footer(settings_help());
  cmd->callback([flags, exit_code] {
    auto options = resolve_options(*flags);
    if (!options.ok()) {
      std::cerr << "parley serve: " << options.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    *exit_code = run_serve(*options);
  });
}

}  // namespace parley::cli
