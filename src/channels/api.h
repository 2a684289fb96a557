// The HTTP API of `parley serve` (shared/ARCHITECTURE.md "Contracts"), independent of sockets:
// a parsed request in, a response out. Routes:
//   POST /v1/bots/{bot}/conversations/{conv}/messages  {"id","text"} -> {"conversation","turn","messages"}
//   GET  /v1/bots/{bot}/conversations/{conv}            native tracker view
//   POST /v1/bots/{bot}/reload                          reload; 422 with diagnostics when broken,
//                                                       503 (Retry-After) while another reload runs
//   GET  /v1/bots                                       {"bots": [{"name","version","dir"}]} (dir:
//                                                       the folder's name under --bots)
//   GET  /v1/bots/{bot}/ws                              WebSocket (accept_websocket)
//   POST /bots/{bot}/webhooks/rest/webhook              Rasa REST; ?stream=true for NDJSON
//   GET  /bots/{bot}/webhooks/rest                      {"status":"ok"}
//   GET  /bots/{bot}/conversations/{conv}/tracker       Rasa tracker (?include_events=)
//   /webhooks/rest/webhook, /webhooks/rest, /conversations/{conv}/tracker: the same, when one bot is served
//   GET  /v1/bots/{bot}/conversations/{conv}/events     event records (?after=SEQ&limit=N)
//   GET  /v1/events/sinks                               each sink's state, cursor, lag, counts
//   GET  /v1/events/sinks/{sink}/dead-letters           ?after=POSITION&limit=N
//   POST /v1/events/sinks/{sink}/replay                 {"dead_letters": true} | {"from": POSITION}
//                                                       | {"from_time": UNIX-SECONDS or ISO 8601}
//   GET  /healthz, /readyz, /metrics
// Errors use {"error": {"code","message"}} (http_errors.h). Each route names the credential it
// needs (auth.h: 401/403 before anything runs); browsers' requests go through the CORS policy and
// the Origin and content-type checks (browser.h). Message routes check per-conversation and
// per-bot token buckets before the engine sees the message. Thread-safe.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "channels/admin/admin.h"
#include "channels/auth.h"
#include "channels/browser.h"
#include "channels/channel.h"
#include "channels/http_errors.h"
#include "channels/message_body.h"
#include "ops/metrics.h"
#include "ops/rate_limiter.h"

namespace parley::events {
class Relay;
}

namespace parley::channels {

struct ApiOptions {
  MessageLimits limits;
  unsigned retry_after_s = 1;               // Retry-After on 503
  ops::RateLimitOptions conversation_rate;  // per (bot, conversation)
  ops::RateLimitOptions bot_rate;           // per bot
  std::shared_ptr<const Authorizer> auth;   // null: every route open
  CorsPolicy cors;
  HostPolicy hosts;                         // default: any Host
};

// An accepted WebSocket upgrade: its bot, and what its credential proved (checked per message).
struct WebSocketAccept {
  std::string bot;
  Identity who;
};

class Api {
 public:
  using Respond = std::function<void(Response)>;
  using Reply = std::function<void(std::string)>;

  // `relay` (may be null: no sinks) serves the /v1/events routes, /readyz's sink report and the
  // sink families of /metrics; it must outlive the Api.
  // `conversations` carries the messages of every channel; `admin` serves the views, reloads,
  // readiness and the pipeline's /metrics (one object may be both: channels::EnginePort).
  Api(ApiOptions options, std::shared_ptr<Conversations> conversations, std::shared_ptr<Admin> admin,
      ops::ServerMetrics& metrics, events::Relay* relay = nullptr);
  ~Api();  // waits for reloads in progress
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers one request; `respond` is called exactly once, on any thread, possibly before
  // handle() returns. The response's version and keep-alive are the caller's to set.
  void handle(Request request, Respond respond);

  // For an upgrade request: the bot when the target is /v1/bots/{bot}/ws of a served bot and the
  // Origin and credential allow it, else the error response to send instead of the 101.
  std::variant<WebSocketAccept, Response> accept_websocket(const Request& request);
  // One WebSocket message on an accepted connection: `reply` gets the same JSON as the native
  // route, or the error JSON. Called exactly once, on any thread.
  void handle_ws_message(const WebSocketAccept& ws, std::string text, Reply reply);

  // While draining, /readyz answers 503 (so load balancers move away).
  void set_draining(bool draining) { draining_.store(draining); }
  bool draining() const { return draining_.load(); }

  ops::ServerMetrics& metrics() { return metrics_; }

 private:
  struct Match;
  using Clock = std::chrono::steady_clock;

  void run_message(runtime::MessageRequest msg, bool rasa_shape, bool stream, Respond respond);
  std::optional<ApiError> check_rate(const std::string& bot, const std::string& conversation);
  Response error(const ApiError& e);
  std::string error_text(const ApiError& e);
  std::optional<std::string> single_bot(ApiError* error) const;
  Identity identify(const Request& request, const Target& target, const std::string& bot) const;
  std::optional<ApiError> authorize(const Identity& who, Access access, const std::string& bot,
                                    const std::string* conversation) const;

  void get_bots(Respond& respond);
  void get_readyz(Respond& respond);
  void get_metrics(Respond& respond);
  void get_conversation(const Match& m, Respond& respond);
  void get_rasa_tracker(const Match& m, const Request& request, Respond& respond);
  void post_reload(const Match& m, Respond respond);
  Response reload_response(const std::string& bot);
  void get_events(const Match& m, const Request& request, Respond& respond);
  void get_sinks(Respond& respond);
  void get_dead_letters(const Match& m, const Request& request, Respond& respond);
  void post_replay(const Match& m, const Request& request, Respond& respond);

  ApiOptions options_;
  std::shared_ptr<Conversations> conversations_;
  std::shared_ptr<Admin> admin_;
  ops::ServerMetrics& metrics_;
  events::Relay* relay_ = nullptr;
  ops::RateLimiter conversation_limiter_;
  ops::RateLimiter bot_limiter_;
  std::atomic<bool> draining_{false};
  boost::asio::thread_pool reload_pool_{1};  // reloads (they train models) run here, off the I/O threads
  // One reload at a time: a reload parses and trains, and queued ones would each hold a
  // request. Another reload meanwhile gets 503 with Retry-After.
  std::atomic<bool> reloading_{false};
};

}  // namespace parley::channels
