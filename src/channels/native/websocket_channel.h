// The native WebSocket channel: GET /v1/bots/{bot}/ws upgrades (accept), then each text message is
// one user message ({"conversation", "id", "text"}) answered with the native reply's JSON.
#pragma once

#include <functional>
#include <string>
#include <variant>

#include "channels/http/router.h"
#include "channels/http/submit.h"

namespace parley::channels {

// An accepted WebSocket upgrade: its bot, and what its credential proved (checked per message).
struct WebSocketAccept {
  std::string bot;
  Identity who;
};

// Thread-safe. The router and the submitter outlive it.
class WebSocketChannel {
 public:
  using Reply = std::function<void(std::string)>;

  WebSocketChannel(const Router& router, Submitter& submitter, ops::ServerMetrics& metrics)
      : router_(router), submitter_(submitter), metrics_(metrics) {}

  // For an upgrade request: the bot when the target is /v1/bots/{bot}/ws of a served bot and the
  // Host, Origin and credential allow it, else the error response to send instead of the 101.
  std::variant<WebSocketAccept, Response> accept(const Request& request) const;
  // One WebSocket message on an accepted connection: `reply` gets the same JSON as the native
  // route, or the error JSON. Called exactly once, on any thread.
  void handle_message(const WebSocketAccept& ws, std::string text, Reply reply);

 private:
  const Router& router_;
  Submitter& submitter_;
  ops::ServerMetrics& metrics_;
};

// GET /v1/bots/{bot}/ws without an upgrade: 426 upgrade_required.
void add_websocket_routes(Router& router);

}  // namespace parley::channels
