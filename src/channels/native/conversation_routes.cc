// The native REST routes: messages through the shared message path, views from Admin.
#include "channels/native/conversation_routes.h"

#include "channels/http/query.h"

namespace parley::channels {

json::object native_reply(const runtime::MessageReply& reply) {
  json::array messages;
  for (const auto& m : reply.messages) messages.push_back(m.to_json());
  json::object o{{"conversation", reply.conversation}, {"turn", reply.turn}, {"messages", std::move(messages)}};
  if (reply.replayed) o["replayed"] = true;
  return o;
}

namespace {

void post_message(Router& router, Submitter& submitter, RouteCall& call, Respond respond) {
  runtime::MessageRequest msg;
  if (auto e = submitter.read(call.request.body(), MessageShape::kNative, router, call.who, call.params.bot,
                              &call.params.conv, msg))
    return respond(router.error(*e));
  submitter.submit(std::move(msg), [&router, respond = std::move(respond)](Submitted out) {
    if (auto* e = std::get_if<ApiError>(&out)) return respond(router.error(*e));
    respond(json_response(200, json::serialize(native_reply(std::get<runtime::MessageReply>(out)))));
  });
}

void get_events(Router& router, Admin& admin, unsigned retry_after_s, RouteCall& call, Respond respond) {
  const RouteParams& m = call.params;
  Page page;
  if (auto bad = parse_page(call.target, page)) return respond(router.error(*bad));
  auto r = admin.event_records(m.bot, m.conv, page.after, page.limit);
  if (!r.ok()) return respond(router.error(error_from_status(r.status(), retry_after_s)));
  // The records as stored, byte for byte: what every sink received.
  std::string body = json::serialize(json::object{
      {"bot", m.bot}, {"conversation", m.conv}, {"after", page.after}, {"next_after", page.after + r->size()}});
  body.pop_back();
  body += ",\"events\":[";
  for (size_t i = 0; i < r->size(); ++i) {
    if (i) body += ',';
    body += (*r)[i];
  }
  body += "]}";
  respond(json_response(200, std::move(body)));
}

}  // namespace

void add_conversation_routes(Router& router, Submitter& submitter, Admin& admin, unsigned retry_after_s) {
  Router* rt = &router;
  router.add({.method = http::verb::post,
              .pattern = {"v1", "bots", "{bot}", "conversations", "{conv}", "messages"},
              .access = Access::kMessage,
              .json_body = true,
              .handler = [rt, s = &submitter](RouteCall& call, Respond respond) {
                post_message(*rt, *s, call, std::move(respond));
              }});
  router.add({.method = http::verb::get,
              .pattern = {"v1", "bots", "{bot}", "conversations", "{conv}"},
              .access = Access::kConversation,
              .blocking = true,
              .handler = [rt, a = &admin, retry_after_s](RouteCall& call, Respond respond) {
                auto r = a->conversation(call.params.bot, call.params.conv);
                if (!r.ok()) return respond(rt->error(error_from_status(r.status(), retry_after_s)));
                respond(json_response(200, json::serialize(*r)));
              }});
  router.add({.method = http::verb::get,
              .pattern = {"v1", "bots", "{bot}", "conversations", "{conv}", "events"},
              .access = Access::kConversation,
              .blocking = true,
              .handler = [rt, a = &admin, retry_after_s](RouteCall& call, Respond respond) {
                get_events(*rt, *a, retry_after_s, call, std::move(respond));
              }});
}

}  // namespace parley::channels
