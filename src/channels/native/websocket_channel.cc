// The WebSocket upgrade's checks and its messages, through the shared message path.
#include "channels/native/websocket_channel.h"

#include "channels/native/conversation_routes.h"

namespace parley::channels {

std::variant<WebSocketAccept, Response> WebSocketChannel::accept(const Request& request) const {
  auto target = parse_target(request.target());
  if (!target || target->has_empty_segment || target->segments.size() != 4 || target->segments[0] != "v1" ||
      target->segments[1] != "bots" || target->segments[3] != "ws")
    return router_.error({404, "not_found", "no WebSocket route at " + std::string(request.target())});
  WebSocketAccept ws{target->segments[2], {}};
  const RouterOptions& options = router_.options();
  if (auto e = check_host(options.hosts, request)) return router_.error(*e);
  if (auto e = check_origin(options.cors, request)) return router_.error(*e);
  ws.who = router_.identify(request, *target, ws.bot);
  if (auto e = router_.authorize(ws.who, Access::kMessage, ws.bot, nullptr)) return router_.error(*e);
  if (auto e = check_id("bot name", ws.bot, options.max_id_bytes)) return router_.error(*e);
  if (!router_.served(ws.bot)) return router_.error({404, "unknown_bot", "no bot named '" + ws.bot + "'"});
  return ws;
}

void WebSocketChannel::handle_message(const WebSocketAccept& ws, std::string text, Reply reply) {
  runtime::MessageRequest msg;
  if (auto e = submitter_.read(text, MessageShape::kWebSocket, router_, ws.who, ws.bot, nullptr, msg))
    return reply(error_reply_text(metrics_, *e));
  submitter_.submit(std::move(msg), [this, reply = std::move(reply)](Submitted out) {
    if (auto* e = std::get_if<ApiError>(&out)) return reply(std::move(router_.error(*e).body()));
    reply(json::serialize(native_reply(std::get<runtime::MessageReply>(out))));
  });
}

void add_websocket_routes(Router& router) {
  Router* rt = &router;
  router.add({.method = http::verb::get,
              .pattern = {"v1", "bots", "{bot}", "ws"},
              .access = Access::kMessage,
              .handler = [rt](RouteCall&, Respond respond) {
                respond(rt->error({426, "upgrade_required", "this route speaks WebSocket only"}));
              }});
}

}  // namespace parley::channels
