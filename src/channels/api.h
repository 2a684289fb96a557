// The HTTP API of `parley serve` (shared/ARCHITECTURE.md "Contracts"), independent of sockets:
// a parsed request in, a response out. It owns the route table (http/router.h), the shared
// message path (http/submit.h) and the pools that keep blocking work off the I/O threads, and adds
// the route groups, each listing its routes in its header:
//   native/conversation_routes.h  native REST: messages, the conversation view, event records
//   native/websocket_channel.h    native WebSocket (/v1/bots/{bot}/ws)
//   rasa_rest/rasa_routes.h       Rasa REST: webhook (+stream), status, tracker
//   admin/ops_routes.h            /healthz, /readyz, /metrics, /v1/bots, reload
//   admin/event_routes.h          /v1/events/sinks, dead letters, replay
// Errors use {"error": {"code","message"}} (http/http_errors.h). Each route names the credential it
// needs (http/auth.h: 401/403 before anything runs); browsers' requests go through the CORS policy and
// the Origin and content-type checks (http/browser.h). Message routes check per-conversation and
// per-bot token buckets before the engine sees the message. Thread-safe.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "channels/admin/admin.h"
#include "channels/channel.h"
#include "channels/http/auth.h"
#include "channels/http/browser.h"
#include "channels/http/http_errors.h"
#include "channels/http/message_body.h"
#include "channels/http/router.h"
#include "channels/http/submit.h"
#include "channels/native/websocket_channel.h"
#include "ops/metrics.h"
#include "ops/rate_limiter.h"

namespace parley::events {
class Relay;
}

namespace parley::channels {

struct ApiOptions {
  RouterOptions router;  // ids in the path, credentials, CORS, Host names
  SubmitOptions submit;  // message limits, Retry-After, rate limits
};

class Api {
 public:
  using Respond = channels::Respond;
  using Reply = WebSocketChannel::Reply;

  // `conversations` carries the messages of every channel; `admin` serves the views, reloads,
  // readiness and the pipeline's /metrics (one object may be both: channels::EnginePort).
  // `relay` (may be null: no sinks) serves the /v1/events routes, /readyz's sink report and the
  // sink families of /metrics; it must outlive the Api.
  Api(ApiOptions options, std::shared_ptr<Conversations> conversations, std::shared_ptr<Admin> admin,
      ops::ServerMetrics& metrics, events::Relay* relay = nullptr);
  ~Api();  // waits for reloads and blocking routes in progress
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers one request; `respond` is called exactly once, on any thread, possibly before
  // handle() returns. The response's version and keep-alive are the caller's to set.
  void handle(Request request, Respond respond) { router_.handle(std::move(request), std::move(respond)); }

  // For an upgrade request: the bot when the target is /v1/bots/{bot}/ws of a served bot and the
  // Origin and credential allow it, else the error response to send instead of the 101.
  std::variant<WebSocketAccept, Response> accept_websocket(const Request& request) const {
    return websocket_.accept(request);
  }
  // One WebSocket message on an accepted connection: `reply` gets the same JSON as the native
  // route, or the error JSON. Called exactly once, on any thread.
  void handle_ws_message(const WebSocketAccept& ws, std::string text, Reply reply) {
    websocket_.handle_message(ws, std::move(text), std::move(reply));
  }

  // The server's one drain flag (Server::stop_accepting sets it): while draining, /readyz and the
  // message routes answer 503 (so load balancers move away) and HTTP responses close the connection.
  void set_draining(bool draining) { draining_.store(draining); }
  bool draining() const { return draining_.load(); }

  ops::ServerMetrics& metrics() { return metrics_; }

 private:
  std::optional<std::string> single_bot(ApiError* error) const;

  ApiOptions options_;
  std::shared_ptr<Conversations> conversations_;
  std::shared_ptr<Admin> admin_;
  ops::ServerMetrics& metrics_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> reloading_{false};
  boost::asio::thread_pool blocking_pool_{2};  // routes that read the store or the relay
  boost::asio::thread_pool reload_pool_{1};    // reloads (they train models), one at a time
  Router router_;
  Submitter submitter_;
  WebSocketChannel websocket_;
};

}  // namespace parley::channels
