// Health, readiness, metrics, the bot list and reloads.
#include "channels/admin/ops_routes.h"

#include <boost/asio/post.hpp>

#include "core/log.h"
#include "events/relay.h"
#include "ops/sink_metrics.h"

namespace parley::channels {

namespace {

class OpsRoutes {
 public:
  OpsRoutes(const Router& router, OpsDeps deps) : router_(router), d_(std::move(deps)) {}

  void get_bots(Respond& respond) const {
    json::array bots;
    for (const auto& b : d_.admin->bots())
      bots.push_back(json::object{{"name", b.name}, {"version", b.version}, {"dir", b.dir}});
    respond(json_response(200, json::serialize(json::object{{"bots", std::move(bots)}})));
  }

  void get_readyz(Respond& respond) const {
    if (d_.draining->load())
      return respond(error({503, "draining", "the server is shutting down", d_.retry_after_s}));
    Status s = d_.admin->ready();
    if (!s) return respond(error({503, "not_ready", s.message(), d_.retry_after_s}));
    if (Status store = d_.admin->store_ready(); !store) {
      ApiError e = error_from_status(store, d_.retry_after_s);
      e.code = "store_degraded";
      Response res = error(e);
      res.body() = json::serialize(json::object{{"error", json::object{{"code", e.code}, {"message", e.message}}},
                                                {"store", "degraded"}});
      res.prepare_payload();
      return respond(std::move(res));
    }
    json::object body{{"status", "ready"}, {"store", "ok"}};
    if (d_.relay) {
      // A sink that is down degrades the pipeline, not the server: turns still commit and its
      // events wait in the outbox.
      json::object sinks;
      for (const auto& st : d_.relay->status())
        sinks[st.name] = st.breaker == "closed" && st.lag_seconds < 60 ? "ok" : "degraded";
      body["sinks"] = std::move(sinks);
    }
    respond(json_response(200, json::serialize(body)));
  }

  void get_metrics(Respond& respond) const {
    ops::PromWriter w;
    d_.metrics->render(w);
    d_.admin->render_metrics(w);
    if (d_.relay) ops::render_sink_metrics(w, d_.relay->status());
    Response res = json_response(200, w.take());
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    respond(std::move(res));
  }

  void post_reload(const std::shared_ptr<const OpsRoutes>& self, const std::string& bot, Respond respond) const {
    if (d_.reloading->exchange(true))
      return respond(error({503, "reload_busy", "another reload is running; retry when it has finished",
                            d_.retry_after_s}));
    boost::asio::post(d_.reloads, [self, bot, respond = std::move(respond)] {
      Response res = self->reload_response(bot);
      self->d_.reloading->store(false);  // before answering: a client may send the next reload at once
      respond(std::move(res));
    });
  }

 private:
  Response error(const ApiError& e) const { return router_.error(e); }
  Response reload_response(const std::string& bot) const;

  const Router& router_;
  OpsDeps d_;
};

Response OpsRoutes::reload_response(const std::string& bot) const {
  auto r = d_.admin->reload_bot(bot);
  json::array diags;
  if (!r.ok()) {
    log(spdlog::level::warn, "reload refused", {{"bot", bot}, {"error", r.status().to_string()}});
    ApiError e = error_from_status(r.status(), d_.retry_after_s);
    if (r.status().code() == Code::kNotFound) e.code = "unknown_bot";
    if (r.status().code() == Code::kInvalidArgument) e.code = "invalid_bot";
    d_.metrics->error(e.code);
    json::object err{{"code", e.code}, {"message", e.message}};
    // The engine puts the diagnostics in the message, one per line.
    std::string_view text = e.message;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      if (auto line = text.substr(0, nl); !line.empty()) diags.push_back(json::string(line));
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    err["diagnostics"] = std::move(diags);
    Response res = json_response(e.status, json::serialize(json::object{{"error", std::move(err)}}));
    if (e.retry_after_s > 0) res.set(http::field::retry_after, std::to_string(e.retry_after_s));
    return res;
  }
  for (const auto& d : *r) diags.push_back(json::string(d.to_string()));
  uint64_t version = 0;
  for (const auto& b : d_.admin->bots())
    if (b.name == bot) version = b.version;
  log(spdlog::level::info, "bot reloaded", {{"bot", bot}, {"version", version}});
  return json_response(
      200, json::serialize(json::object{{"bot", bot}, {"version", version}, {"warnings", std::move(diags)}}));
}

}  // namespace

void add_ops_routes(Router& router, OpsDeps deps) {
  auto routes = std::make_shared<const OpsRoutes>(router, std::move(deps));
  using V = http::verb;
  router.add({.method = V::get, .pattern = {"healthz"}, .access = Access::kOpen,
              .handler = [](RouteCall&, Respond respond) { respond(json_response(200, R"({"status":"ok"})")); }});
  router.add({.method = V::get, .pattern = {"readyz"}, .access = Access::kOpen, .blocking = true,
              .handler = [routes](RouteCall&, Respond respond) { routes->get_readyz(respond); }});
  router.add({.method = V::get, .pattern = {"metrics"}, .access = Access::kMetrics, .blocking = true,
              .handler = [routes](RouteCall&, Respond respond) { routes->get_metrics(respond); }});
  router.add({.method = V::get, .pattern = {"v1", "bots"}, .access = Access::kAdmin,
              .handler = [routes](RouteCall&, Respond respond) { routes->get_bots(respond); }});
  router.add({.method = V::post, .pattern = {"v1", "bots", "{bot}", "reload"}, .access = Access::kBot,
              .served_bot = false, .handler = [routes](RouteCall& call, Respond respond) {
                routes->post_reload(routes, call.params.bot, std::move(respond));
              }});
}

}  // namespace parley::channels
