// The Rasa REST routes: the webhook through the shared message path, the tracker from Admin.
#include "channels/rasa_rest/rasa_routes.h"

#include <cctype>

namespace parley::channels {

namespace {

// The reply as Rasa answers it: a JSON array of messages, or one message per line (NDJSON).
Response rasa_reply(const runtime::MessageReply& reply, const std::string& conversation, bool stream) {
  if (!stream) {
    json::array out;
    for (const auto& m : reply.messages) out.push_back(m.to_rasa(conversation));
    return json_response(200, json::serialize(out));
  }
  std::string lines;
  for (const auto& m : reply.messages) lines += json::serialize(m.to_rasa(conversation)) + "\n";
  Response res = json_response(200, std::move(lines));
  res.set(http::field::content_type, "application/x-ndjson");
  return res;
}

void post_webhook(Router& router, Submitter& submitter, RouteCall& call, Respond respond) {
  runtime::MessageRequest msg;
  if (auto e = submitter.read(call.request.body(), MessageShape::kRasa, router, call.who, call.params.bot, nullptr,
                              msg))
    return respond(router.error(*e));
  auto q = call.target.query.find("stream");
  bool stream = q != call.target.query.end() && (q->second == "true" || q->second == "1");
  std::string conversation = msg.conversation;
  submitter.submit(std::move(msg), [&router, stream, conversation, respond = std::move(respond)](Submitted out) {
    if (auto* e = std::get_if<ApiError>(&out)) return respond(router.error(*e));
    respond(rasa_reply(std::get<runtime::MessageReply>(out), conversation, stream));
  });
}

void get_tracker(Router& router, Admin& admin, unsigned retry_after_s, RouteCall& call, Respond respond) {
  std::string include = "AFTER_RESTART";
  if (auto it = call.target.query.find("include_events"); it != call.target.query.end()) include = it->second;
  for (auto& c : include) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (include != "ALL" && include != "AFTER_RESTART" && include != "APPLIED" && include != "NONE")
    return respond(router.error({400, "bad_query", "include_events must be ALL, AFTER_RESTART, APPLIED or NONE"}));
  auto r = admin.rasa_tracker(call.params.bot, call.params.conv, include);
  if (!r.ok()) return respond(router.error(error_from_status(r.status(), retry_after_s)));
  respond(json_response(200, json::serialize(*r)));
}

}  // namespace

void add_rasa_routes(Router& router, Submitter& submitter, Admin& admin, unsigned retry_after_s) {
  Router* rt = &router;
  auto webhook = [rt, s = &submitter](RouteCall& call, Respond respond) {
    post_webhook(*rt, *s, call, std::move(respond));
  };
  auto status = [](RouteCall&, Respond respond) { respond(json_response(200, R"({"status":"ok"})")); };
  auto tracker = [rt, a = &admin, retry_after_s](RouteCall& call, Respond respond) {
    get_tracker(*rt, *a, retry_after_s, call, std::move(respond));
  };
  using V = http::verb;
  router.add({.method = V::post, .pattern = {"bots", "{bot}", "webhooks", "rest", "webhook"},
              .access = Access::kMessage, .json_body = true, .handler = webhook});
  router.add({.method = V::get, .pattern = {"bots", "{bot}", "webhooks", "rest"}, .access = Access::kOpen,
              .handler = status});
  router.add({.method = V::get, .pattern = {"bots", "{bot}", "conversations", "{conv}", "tracker"},
              .access = Access::kConversation, .blocking = true, .handler = tracker});
  // Without {bot}: the only bot served. The status route names no bot at all.
  router.add({.method = V::post, .pattern = {"webhooks", "rest", "webhook"}, .access = Access::kMessage,
              .json_body = true, .single_bot = true, .handler = webhook});
  router.add({.method = V::get, .pattern = {"webhooks", "rest"}, .access = Access::kOpen, .handler = status});
  router.add({.method = V::get, .pattern = {"conversations", "{conv}", "tracker"}, .access = Access::kConversation,
              .single_bot = true, .blocking = true, .handler = tracker});
}

}  // namespace parley::channels
