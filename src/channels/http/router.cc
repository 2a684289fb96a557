// Matching a request against the route table and the checks before its handler runs.
#include "channels/http/router.h"

#include <boost/asio/post.hpp>

#include "channels/http/message_body.h"
#include "core/clock.h"
#include "core/log.h"

namespace parley::channels {

Response error_reply(ops::ServerMetrics& metrics, const ApiError& e) {
  metrics.error(e.code);
  if (e.status >= 500) {
    json::object fields{{"code", e.code}, {"message", e.message}};
    if (!e.detail.empty()) fields["detail"] = e.detail;
    log(spdlog::level::warn, "request failed", fields);
  }
  return error_response(e);
}

std::string error_reply_text(ops::ServerMetrics& metrics, const ApiError& e) {
  metrics.error(e.code);
  return error_json(e);
}

Router::Router(RouterOptions options, ops::ServerMetrics& metrics, Bots bots, boost::asio::any_io_executor blocking)
    : options_(std::move(options)), metrics_(metrics), bots_(std::move(bots)), blocking_(std::move(blocking)) {}

void Router::add(Route route) { routes_.push_back(std::move(route)); }

Identity Router::identify(const Request& request, const Target& target, const std::string& bot) const {
  return options_.auth ? options_.auth->identify(request, target, bot, unix_time()) : Identity{};
}

std::optional<ApiError> Router::authorize(const Identity& who, Access access, const std::string& bot,
                                          const std::string* conversation) const {
  return options_.auth ? options_.auth->check(who, access, bot, conversation, unix_time()) : std::nullopt;
}

const Route* Router::match(const Target& target, http::verb method, RouteParams* params, std::string* allow) const {
  if (target.has_empty_segment) return nullptr;
  for (const auto& route : routes_) {
    if (route.pattern.size() != target.segments.size()) continue;
    RouteParams candidate;
    bool ok = true;
    for (size_t i = 0; i < route.pattern.size() && ok; ++i) {
      const std::string& seg = target.segments[i];
      if (route.pattern[i] == "{bot}") candidate.bot = seg;
      else if (route.pattern[i] == "{conv}") candidate.conv = seg;
      else if (route.pattern[i] == "{sink}") candidate.sink = seg;
      else ok = route.pattern[i] == seg;
    }
    if (!ok) continue;
    if (route.method != method) {
      std::string name(http::to_string(route.method));
      if (allow->find(name) == std::string::npos) *allow += (allow->empty() ? "" : ", ") + name;
      continue;
    }
    *params = std::move(candidate);
    return &route;
  }
  return nullptr;
}

void Router::handle(Request request, Respond respond) const {
  auto target = parse_target(request.target());
  if (!target) return respond(error({400, "bad_target", "the request target is not a valid path"}));
  if (auto e = check_host(options_.hosts, request)) return respond(error(*e));
  // A page's request from an allowed origin gets the CORS header on whatever it is answered.
  if (std::string origin(request[http::field::origin]);
      !origin.empty() && options_.cors.allows(origin, request[http::field::host]))
    respond = [origin, inner = std::move(respond)](Response res) {
      add_cors_headers(res, origin);
      inner(std::move(res));
    };

  // Find the route; a path that matches with another method is a 405.
  std::string allow;
  RouteParams params;
  const Route* route = match(*target, request.method(), &params, &allow);
  if (!route) {
    if (!allow.empty() && request.method() == http::verb::options)
      return respond(preflight_response(options_.cors, request, allow));
    if (!allow.empty())
      return respond(error({405, "method_not_allowed",
                            std::string(request.method_string()) + " is not allowed here; use " + allow, 0, allow}));
    return respond(error({404, "not_found", "no route for " + std::string(request.target())}));
  }
  if (route->single_bot) {
    ApiError e;
    auto bot = bots_.only_one(&e);
    if (!bot) return respond(error(e));
    params.bot = *bot;
  }
  if (auto e = check_origin(options_.cors, request)) return respond(error(*e));
  Identity who = identify(request, *target, params.bot);
  if (auto e = authorize(who, route->access, params.bot, params.conv.empty() ? nullptr : &params.conv))
    return respond(error(*e));
  if (auto e = check(*route, request, params)) return respond(error(*e));
  run(*route, std::move(request), std::move(*target), std::move(params), std::move(who), std::move(respond));
}

// The body's content type, then the ids the path named and the bot's existence.
std::optional<ApiError> Router::check(const Route& route, const Request& request, RouteParams& params) const {
  if (route.json_body)
    if (auto e = check_json_content_type(request)) return e;
  if (!params.bot.empty()) {
    if (auto e = check_id("bot name", params.bot, options_.max_id_bytes)) return e;
    if (route.served_bot && !bots_.served(params.bot))
      return ApiError{404, "unknown_bot", "no bot named '" + params.bot + "'"};
  }
  if (!params.conv.empty())
    if (auto e = check_id("conversation id", params.conv, options_.max_id_bytes)) return e;
  return std::nullopt;
}

void Router::run(const Route& route, Request request, Target target, RouteParams params, Identity who,
                 Respond respond) const {
  if (!route.blocking) {
    RouteCall call{request, target, std::move(params), std::move(who)};
    return route.handler(call, std::move(respond));
  }
  struct Held {
    Request request;
    Target target;
    RouteParams params;
    Identity who;
  };
  auto held = std::make_shared<Held>(Held{std::move(request), std::move(target), std::move(params), std::move(who)});
  boost::asio::post(blocking_, [&route, held, respond = std::move(respond)]() mutable {
    RouteCall call{held->request, held->target, std::move(held->params), std::move(held->who)};
    route.handler(call, std::move(respond));
  });
}

}  // namespace parley::channels
