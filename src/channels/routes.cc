// The route table and matching a request target against it.
#include "channels/routes.h"

#include <string_view>
#include <vector>

namespace parley::channels {

namespace {


// "{bot}" and "{conv}" match any segment; a route without {bot} on a Rasa path uses the only bot.
// `access` is the credential the route needs (auth.h); `json_body` routes read a JSON body.
struct RouteSpec {
  RouteId id;
  http::verb method;
  std::vector<std::string_view> pattern;
  Access access;
  bool json_body = false;
  bool single_bot = false;
};

const std::vector<RouteSpec>& routes() {
  using V = http::verb;
  using A = Access;
  static const std::vector<RouteSpec> kRoutes = {
      {RouteId::kHealthz, V::get, {"healthz"}, A::kOpen},
      {RouteId::kReadyz, V::get, {"readyz"}, A::kOpen},
      {RouteId::kMetrics, V::get, {"metrics"}, A::kMetrics},
      {RouteId::kBots, V::get, {"v1", "bots"}, A::kAdmin},
      {RouteId::kNativeMessage, V::post, {"v1", "bots", "{bot}", "conversations", "{conv}", "messages"}, A::kMessage, true},
      {RouteId::kNativeConversation, V::get, {"v1", "bots", "{bot}", "conversations", "{conv}"}, A::kConversation},
      {RouteId::kReload, V::post, {"v1", "bots", "{bot}", "reload"}, A::kBot},
      {RouteId::kWebSocket, V::get, {"v1", "bots", "{bot}", "ws"}, A::kMessage},
      {RouteId::kRasaWebhook, V::post, {"bots", "{bot}", "webhooks", "rest", "webhook"}, A::kMessage, true},
      {RouteId::kRasaStatus, V::get, {"bots", "{bot}", "webhooks", "rest"}, A::kOpen},
      {RouteId::kRasaTracker, V::get, {"bots", "{bot}", "conversations", "{conv}", "tracker"}, A::kConversation},
      {RouteId::kEvents, V::get, {"v1", "bots", "{bot}", "conversations", "{conv}", "events"}, A::kConversation},
      {RouteId::kSinks, V::get, {"v1", "events", "sinks"}, A::kAdmin},
      {RouteId::kDeadLetters, V::get, {"v1", "events", "sinks", "{sink}", "dead-letters"}, A::kAdmin},
      {RouteId::kReplay, V::post, {"v1", "events", "sinks", "{sink}", "replay"}, A::kAdmin, true},
      {RouteId::kRasaWebhook, V::post, {"webhooks", "rest", "webhook"}, A::kMessage, true, true},
      {RouteId::kRasaStatus, V::get, {"webhooks", "rest"}, A::kOpen, false, true},
      {RouteId::kRasaTracker, V::get, {"conversations", "{conv}", "tracker"}, A::kConversation, false, true},
  };
  return kRoutes;
}

}  // namespace

std::optional<RouteMatch> match_route(const Target& target, http::verb method, std::string* allow) {
  if (target.has_empty_segment) return std::nullopt;
  for (const auto& spec : routes()) {
    if (spec.pattern.size() != target.segments.size()) continue;
    RouteMatch candidate{spec.id, {}, {}, {}, spec.single_bot, spec.access, spec.json_body};
    bool ok = true;
    for (size_t i = 0; i < spec.pattern.size() && ok; ++i) {
      const std::string& seg = target.segments[i];
      if (spec.pattern[i] == "{bot}") candidate.bot = seg;
      else if (spec.pattern[i] == "{conv}") candidate.conv = seg;
      else if (spec.pattern[i] == "{sink}") candidate.sink = seg;
      else ok = spec.pattern[i] == seg;
    }
    if (!ok) continue;
    if (spec.method != method) {
      std::string name(http::to_string(spec.method));
      if (allow->find(name) == std::string::npos) *allow += (allow->empty() ? "" : ", ") + name;
      continue;
    }
    return candidate;
  }
  return std::nullopt;
}

}  // namespace parley::channels
