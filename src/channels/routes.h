// The HTTP API's route table (api.h lists the routes): each route's method and path pattern, the
// credential it needs (auth.h) and whether it reads a JSON body, and the matching of a request.
#pragma once

#include <optional>
#include <string>

#include "channels/auth.h"
#include "channels/target.h"

namespace parley::channels {

enum class RouteId {
  kHealthz,
  kReadyz,
  kMetrics,
  kBots,
  kNativeMessage,
  kNativeConversation,
  kReload,
  kWebSocket,
  kRasaWebhook,
  kRasaStatus,
  kRasaTracker,
  kEvents,
  kSinks,
  kDeadLetters,
  kReplay,
};

// A request's route and what its path named.
struct RouteMatch {
  RouteId id;
  std::string bot;           // {bot}; "" on a Rasa path without one (single_bot)
  std::string conv;          // {conv}
  std::string sink;          // {sink}
  bool single_bot = false;   // a Rasa path without {bot}: the only bot served
  Access access = Access::kAdmin;
  bool json_body = false;    // reads a JSON body (the content-type check)
};

// The route for `method` on `target`; nullopt when there is none, with `allow` naming the methods
// the path has ("GET, POST"; empty: an unknown path).
std::optional<RouteMatch> match_route(const Target& target, http::verb method, std::string* allow);

}  // namespace parley::channels
