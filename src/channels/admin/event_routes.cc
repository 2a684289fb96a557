// The sink status, dead-letter and replay routes over the event relay.
#include "channels/admin/event_routes.h"

#include <ctime>
#include <iomanip>
#include <sstream>

#include "channels/http/query.h"
#include "events/relay.h"

namespace parley::channels {

namespace {

json::object sink_json(const events::SinkStatus& s) {
  return json::object{{"name", s.name},
                      {"type", s.type},
                      {"breaker", s.breaker},
                      {"cursor", s.cursor},
                      {"outbox_end", s.outbox_end},
                      {"lag_events", s.lag_events},
                      {"lag_seconds", s.lag_seconds},
                      {"delivered", s.delivered},
                      {"failed_tries", s.failed_tries},
                      {"dead_lettered", s.dead_lettered},
                      {"dead_letters_redelivered", s.dead_letters_redelivered},
                      {"breaker_opened", s.breaker_opened},
                      {"window_bytes", s.window_bytes},
                      {"timeout_ms", s.timeout_ms}};
}

// Unix seconds ("1732350000.5") or ISO 8601 UTC ("2026-11-23T10:00:00Z").
std::optional<double> parse_time(const json::value& v) {
  if (v.is_number()) {
    boost::system::error_code ec;
    double d = v.to_number<double>(ec);
    return ec ? std::nullopt : std::optional<double>(d);
  }
  if (!v.is_string()) return std::nullopt;
  std::string s(v.as_string());
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  std::string rest;
  in >> rest;
  if (!rest.empty() && rest != "Z" && rest != "+00:00") return std::nullopt;
  return static_cast<double>(timegm(&tm));
}

class EventRoutes {
 public:
  EventRoutes(const Router& router, events::Relay* relay, unsigned retry_after_s)
      : router_(router), relay_(relay), retry_after_s_(retry_after_s) {}

  void get_sinks(Respond& respond) const {
    json::array sinks;
    if (relay_)
      for (const auto& s : relay_->status()) sinks.push_back(sink_json(s));
    respond(json_response(200, json::serialize(json::object{{"sinks", std::move(sinks)}})));
  }

  void get_dead_letters(const RouteCall& call, Respond& respond) const {
    const std::string& sink = call.params.sink;
    if (!relay_ || !relay_->has_sink(sink)) return respond(error({404, "unknown_sink", "no sink named '" + sink + "'"}));
    Page page;
    if (auto bad = parse_page(call.target, page)) return respond(error(*bad));
    auto r = relay_->dead_letters(sink, page.after, page.limit);
    if (!r.ok()) return respond(error(error_from_status(r.status(), retry_after_s_)));
    json::array out;
    for (auto& d : *r) {
      boost::system::error_code ec;
      json::value event = json::parse(d.record, ec);
      out.push_back(json::object{{"position", d.seq}, {"event", ec ? json::value(d.record) : std::move(event)}});
    }
    respond(json_response(200, json::serialize(json::object{{"sink", sink}, {"dead_letters", std::move(out)}})));
  }

  void post_replay(const RouteCall& call, Respond& respond) const {
    const std::string& sink = call.params.sink;
    if (!relay_ || !relay_->has_sink(sink)) return respond(error({404, "unknown_sink", "no sink named '" + sink + "'"}));
    boost::system::error_code ec;
    json::value body = json::parse(call.request.body(), ec);
    if (ec || !body.is_object())
      return respond(error({400, "malformed_json", "the body must be a JSON object: {\"dead_letters\": true}, "
                                                   "{\"from\": POSITION} or {\"from_time\": TIME}"}));
    const auto& o = body.get_object();
    if (auto d = json_get(o, "dead_letters"); d && d->is_bool() && d->get_bool()) {
      if (Status s = relay_->replay_dead_letters(sink); !s) return respond(error(error_from_status(s, retry_after_s_)));
      return respond(json_response(202, json::serialize(json::object{{"sink", sink}, {"replay", "dead_letters"}})));
    }
    std::optional<uint64_t> from;
    if (auto f = json_get(o, "from")) {
      if (!f->is_uint64() && !(f->is_int64() && f->get_int64() >= 0))
        return respond(error({422, "wrong_type", "'from' must be a non-negative outbox position"}));
      from = f->to_number<uint64_t>(ec);
    } else if (auto t = json_get(o, "from_time")) {
      auto ts = parse_time(*t);
      if (!ts) return respond(error({422, "wrong_type", "'from_time' must be Unix seconds or ISO 8601 UTC"}));
      auto pos = relay_->position_at(*ts);
      if (!pos.ok()) return respond(error(error_from_status(pos.status(), retry_after_s_)));
      from = *pos;
    } else {
      return respond(error({422, "missing_field", "name what to replay: dead_letters, from or from_time"}));
    }
    if (Status s = relay_->replay_from(sink, *from); !s) return respond(error(error_from_status(s, retry_after_s_)));
    respond(json_response(202, json::serialize(json::object{{"sink", sink}, {"replay", "from"}, {"from", *from}})));
  }

 private:
  Response error(const ApiError& e) const { return router_.error(e); }

  const Router& router_;
  events::Relay* relay_;
  unsigned retry_after_s_;
};

}  // namespace

void add_event_routes(Router& router, events::Relay* relay, unsigned retry_after_s) {
  auto routes = std::make_shared<const EventRoutes>(router, relay, retry_after_s);
  using V = http::verb;
  router.add({.method = V::get, .pattern = {"v1", "events", "sinks"}, .access = Access::kAdmin, .blocking = true,
              .handler = [routes](RouteCall&, Respond respond) { routes->get_sinks(respond); }});
  router.add({.method = V::get, .pattern = {"v1", "events", "sinks", "{sink}", "dead-letters"},
              .access = Access::kAdmin, .blocking = true,
              .handler = [routes](RouteCall& call, Respond respond) { routes->get_dead_letters(call, respond); }});
  router.add({.method = V::post, .pattern = {"v1", "events", "sinks", "{sink}", "replay"}, .access = Access::kAdmin,
              .json_body = true, .blocking = true,
              .handler = [routes](RouteCall& call, Respond respond) { routes->post_replay(call, respond); }});
}

}  // namespace parley::channels
