// `parley serve`: every bot of a folder over HTTP and WebSocket, on the embedded store. Settings
// come from the config file, PARLEY_* variables and flags (cli/serve_options.h); this file
// runs the steps of a server (open the store, start the relay, build the engine, serve) on two
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
#include "cli/serve_options.h"
#include "core/host_port.h"
#include "core/log.h"
#include "core/regex.h"
#include "events/config.h"
#include "events/relay.h"
#include "ops/lifecycle.h"
#include "ops/limits.h"
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
  r.auth_config = server_auth_config(o);
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
    log(spdlog::level::err, "the store did not sync before the drain deadline");
  spdlog::default_logger()->flush();
  std::_Exit(code);
}

// Says so at start when anyone who reaches the listener could use every route, or when no
// credential could open the admin routes.
void warn_about_access(const Resolved& r, const std::string& host, const std::vector<runtime::BotInfo>& bots) {
  if (!r.auth->enabled() && !channels::is_loopback_host(host))
    log(spdlog::level::warn,
        "no credential is configured and the server listens beyond loopback: anyone who reaches it can "
        "read and write every conversation, reload bots and replay sinks; set auth_token or jwt_secret",
        {{"host", host}});
  if (r.auth->enabled() && r.auth_config.server.empty())
    log(spdlog::level::warn,
        "only bot credentials are configured: the admin routes (bot list, sinks, replay) need a server "
        "credential (auth_token or jwt_secret) and none can reach them");
  for (const auto& [name, creds] : r.auth_config.bots) {
    bool served = std::any_of(bots.begin(), bots.end(), [&, &n = name](const auto& b) { return b.name == n; });
    if (!served && !creds.empty()) log(spdlog::level::warn, "bot_auth names a bot that is not served", {{"bot", name}});
  }
}

// The threads of a server: the network's (HTTP, WebSocket, timers, signals) and the turns'.
struct Threads {
  unsigned turns = 1;
  unsigned io = 1;
};

Threads thread_counts(const ServeOptions& o) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  Threads t{o.threads ? static_cast<unsigned>(o.threads) : cores, o.io_threads ? static_cast<unsigned>(o.io_threads) : cores};
  // The Redis store's reads are blocking round trips made on the turn threads (and Redis with
  // appendfsync always answers only after its fsync): more threads keep more turns in flight.
  // Measured on 2 cores, one replica, parley bench -c 64: 457 turns/s with 2 threads, 1,519 with 16.
  if (o.store == "redis" && o.threads == 0) t.turns = std::max(16u, 8 * cores);
  return t;
}

// max_connections, lowered to fit the open files limit (raised first as far as allowed).
size_t connection_limit(const ServeOptions& o) {
  uint64_t fd_limit = ops::raise_open_files_limit();
  size_t max_connections = o.max_connections;
  if (fd_limit < max_connections + 128) {
    max_connections = fd_limit > 256 ? fd_limit - 128 : 128;
    log(spdlog::level::warn, "max_connections lowered to fit the open files limit",
        {{"max_connections", max_connections}, {"open_files_limit", fd_limit}});
  }
  return max_connections;
}

struct OpenedStore {
  std::shared_ptr<store::ConversationStore> conversations;
  store::Outbox* outbox = nullptr;  // the same object's outbox
};

// The store: embedded RocksDB, or Redis shared by every replica (`readers`: one per turn thread).
Result<OpenedStore> open_store(const ServeOptions& o, unsigned readers) {
  if (o.store == "redis") {
    auto opened = store::open_redis_store(redis_store_options(o, readers));
    if (!opened.ok()) {
      log(spdlog::level::err, "cannot open the store", {{"redis_url", o.redis_url}, {"error", opened.status().to_string()}});
      return opened.status();
    }
    store::Outbox* outbox = opened->get();
    return OpenedStore{std::move(opened).value(), outbox};
  }
  auto opened = store::RocksDbStore::open(o.data, rocksdb_store_options(o));
  if (!opened.ok()) {
    log(spdlog::level::err, "cannot open the store", {{"data", o.data}, {"error", opened.status().message()}});
    return opened.status();
  }
  store::Outbox* outbox = opened->get();
  return OpenedStore{std::move(opened).value(), outbox};
}

// The event relay: one runner per sink over the store's outbox. No sink configured: null (and no
// outbox records are written).
Result<std::unique_ptr<events::Relay>> start_relay(store::Outbox& outbox, const events::EventsConfig& config) {
  if (config.sinks.empty()) return std::unique_ptr<events::Relay>();
  auto made = events::Relay::create(outbox, config);
  if (!made.ok()) {
    log(spdlog::level::err, "cannot set up the event sinks", {{"error", made.status().message()}});
    return made.status();
  }
  std::unique_ptr<events::Relay> relay = std::move(made).value();
  events::Relay* r = relay.get();
  outbox.set_commit_listener([r] { r->notify(); });
  if (Status s = relay->start(); !s) {
    log(spdlog::level::err, "cannot start the event relay", {{"error", s.message()}});
    return s;
  }
  for (const auto& sink : config.sinks)
    log(spdlog::level::info, "event sink", {{"sink", sink.name}, {"type", sink.type}});
  return relay;
}

// The engine over the store, with its action server client, and every bot of the bots folder
// loaded (their diagnostics logged). Fails when no bot can be served.
Result<std::shared_ptr<runtime::Engine>> build_engine(const Resolved& r, std::shared_ptr<store::ConversationStore> store,
                                                      bool write_outbox, boost::asio::io_context& ioc,
                                                      boost::asio::thread_pool& turn_pool) {
  const ServeOptions& o = r.options;
  auto action_client = actions::make_async_http_action_client(ioc.get_executor(), action_client_options(o));
  if (!action_client.ok()) {
    log(spdlog::level::err, "cannot set up the action server client", {{"error", action_client.status().message()}});
    return action_client.status();
  }
  auto engine = std::make_shared<runtime::Engine>(engine_options(o, r.events, write_outbox), std::move(store),
                                                  std::move(action_client).value(), turn_pool.get_executor(),
                                                  ioc.get_executor());
  auto loaded = engine->load_bots(o.bots);
  if (!loaded.ok()) {
    log(spdlog::level::err, "no bot to serve", {{"bots", o.bots}, {"error", loaded.status().message()}});
    return loaded.status();
  }
  for (const auto& d : *loaded)
    log(d.severity == project::Diagnostic::Severity::kError ? spdlog::level::err : spdlog::level::warn,
        "bot diagnostic", {{"diagnostic", d.to_string()}});
  return engine;
}

// The start-up line: where, what, and a command to try.
void log_listening(const ServeOptions& o, const std::string& host, const channels::Server& server,
                   const runtime::Engine& engine, Threads threads, size_t max_connections) {
  json::array bot_names;
  for (const auto& b : engine.bots()) bot_names.push_back(json::string(b.name));
  std::string base = std::string(server.tls() ? "https://" : "http://") + host + ":" + std::to_string(server.port());
  std::string bot = bot_names.empty() ? "BOT" : std::string(bot_names[0].as_string());
  log(spdlog::level::info, "listening",
      {{"host", host}, {"port", server.port()}, {"bots", bot_names}, {"store", o.store},
       {"data", o.store == "redis" ? o.redis_url : o.data}, {"durability", o.durability},
       {"threads", threads.turns}, {"io_threads", threads.io}, {"turn_budget_ms", o.turn_budget_ms},
       {"max_connections", max_connections}, {"tls", server.tls()},
       {"try", "curl -s -XPOST " + base + "/v1/bots/" + bot +
                   "/conversations/me/messages -H 'Content-Type: application/json' -d '{\"id\":\"m1\",\"text\":\"hi\"}'"}});
}

// What SIGTERM/SIGINT and SIGHUP do (ops/lifecycle.h): stop accepting (the server's one drain
// flag), drain the engine, and reload the TLS certificate and every bot.
ops::LifecycleHooks lifecycle_hooks(const ServeOptions& o, channels::Server& server, runtime::Engine& engine) {
  ops::LifecycleHooks hooks;
  hooks.stop_accepting = [&server] { server.stop_accepting(); };
  hooks.drain = [&engine](std::function<void()> done) { engine.drain(std::move(done)); };
  hooks.requests_in_flight = [&server] { return server.requests_in_flight(); };
  hooks.reload_all = [&server, &engine, cert = o.tls_cert_file] {
    // The certificate first: a renewed one takes effect even when a bot fails to reload.
    if (server.tls()) {
      if (Status t = server.reload_tls(); !t.is_ok())
        log(spdlog::level::err, "SIGHUP: the TLS certificate was not reloaded; the current one stays",
            {{"error", t.message()}});
      else
        log(spdlog::level::info, "SIGHUP: TLS certificate reloaded", {{"tls_cert_file", cert}});
    }
    return engine.reload_all();
  };
  return hooks;
}

// Listens, then runs the network's threads until the lifecycle stops them (a drain, or a signal
// during start-up). Returns the exit code; a drain that timed out leaves through exit_after_sync.
int serve(const Resolved& r, const OpenedStore& store, events::Relay* relay, std::shared_ptr<runtime::Engine> engine,
          boost::asio::io_context& ioc, ops::ServerMetrics& metrics, Threads threads) {
  const ServeOptions& o = r.options;
  std::string host;
  uint16_t port = 0;
  split_host_port(o.listen, &host, &port);  // validated with the settings
  const size_t max_connections = connection_limit(o);
  auto engine_port = std::make_shared<channels::EnginePort>(engine);
  auto api = std::make_unique<channels::Api>(api_options(o, r.auth, host), engine_port, engine_port, metrics, relay);
  auto server = std::make_unique<channels::Server>(ioc, server_options(o, host, port, max_connections), *api, metrics);
  if (Status s = server->listen(); !s) {
    log(spdlog::level::err, "cannot listen", {{"listen", o.listen}, {"error", s.message()}});
    return 1;
  }
  ops::Lifecycle lifecycle(ioc, lifecycle_hooks(o, *server, *engine),
                           std::chrono::milliseconds(o.drain_timeout_ms) - sync_reserve(o.drain_timeout_ms));
  lifecycle.start();
  server->start();
  log_listening(o, host, *server, *engine, threads, max_connections);
  warn_about_access(r, host, engine->bots());

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads.io; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();

  if (int code = lifecycle.exit_code(); code != 0)
    exit_after_sync(store.conversations, sync_reserve(o.drain_timeout_ms), code);
  return 0;
}

int run_serve(const Resolved& resolved) {
  const ServeOptions& o = resolved.options;
  if (Status s = init_json_logging(o.log_level); !s) {
    std::cerr << "parley serve: " << s.message() << "\n";
    return 2;
  }
  const Threads threads = thread_counts(o);
  RegexLimits regex;
  regex.match_limit = static_cast<uint32_t>(o.regex_match_limit);
  set_regex_limits(regex);

  // Declared before the io_context: connection slots count into it until the last handler goes.
  ops::ServerMetrics metrics;
  boost::asio::io_context ioc(static_cast<int>(threads.io));
  // Turns run on their own threads: a turn that computes long never holds the threads that
  // answer /healthz, /metrics, other connections and signals (nor the turn budget's watchdog).
  boost::asio::thread_pool turn_pool(threads.turns);

  auto store = open_store(o, threads.turns);
  if (!store.ok()) return 1;
  auto relay = start_relay(*store->outbox, resolved.events);
  if (!relay.ok()) return 1;
  auto engine = build_engine(resolved, store->conversations, *relay != nullptr, ioc, turn_pool);
  if (!engine.ok()) return 1;
  int code = serve(resolved, *store, relay->get(), *engine, ioc, metrics, threads);

  // In this order: no request arrives any more (serve destroyed the server and the API), no turn
  // is left (drained), then the relay stops (undelivered events stay in the outbox for the next
  // start) and the store closes (it completes queued appends and syncs).
  engine->reset();
  turn_pool.stop();
  turn_pool.join();
  if (*relay) (*relay)->stop();
  relay->reset();
  store->conversations.reset();
  if (code == 0) log(spdlog::level::info, "stopped");
  spdlog::default_logger()->flush();
  return code;
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
