// The dispatcher and the handlers of the HTTP API (the route table is routes.cc).
#include "channels/api.h"

#include <boost/asio/post.hpp>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <boost/beast/websocket/rfc6455.hpp>

#include "channels/routes.h"
#include "channels/target.h"
#include "events/relay.h"
#include "ops/log.h"
#include "ops/sink_metrics.h"

namespace parley::channels {

namespace {

json::object native_reply(const runtime::MessageReply& reply) {
  json::array messages;
  for (const auto& m : reply.messages) messages.push_back(m.to_json());
  json::object o{{"conversation", reply.conversation}, {"turn", reply.turn}, {"messages", std::move(messages)}};
  if (reply.replayed) o["replayed"] = true;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct Api::Match : RouteMatch {};

Api::Api(ApiOptions options, std::shared_ptr<Conversations> conversations, std::shared_ptr<Admin> admin,
         ops::ServerMetrics& metrics, events::Relay* relay)
    : options_(std::move(options)),
      conversations_(std::move(conversations)),
      admin_(std::move(admin)),
      metrics_(metrics),
      relay_(relay),
      conversation_limiter_(options_.conversation_rate),
      bot_limiter_(options_.bot_rate) {}

Api::~Api() { reload_pool_.join(); }

Response Api::error(const ApiError& e) {
  metrics_.error(e.code);
  if (e.status >= 500) {
    json::object fields{{"code", e.code}, {"message", e.message}};
    if (!e.detail.empty()) fields["detail"] = e.detail;
    ops::log(spdlog::level::warn, "request failed", fields);
  }
  return error_response(e);
}

std::string Api::error_text(const ApiError& e) {
  metrics_.error(e.code);
  return error_json(e);
}

std::optional<std::string> Api::single_bot(ApiError* error) const {
  auto bots = admin_->bots();
  if (bots.size() == 1) return bots.front().name;
  *error = ApiError{404, "unknown_bot",
                    std::to_string(bots.size()) + " bots are served; name one in the path (/bots/{bot}/...)"};
  return std::nullopt;
}

Identity Api::identify(const Request& request, const Target& target, const std::string& bot) const {
  return options_.auth ? options_.auth->identify(request, target, bot, unix_now()) : Identity{};
}

std::optional<ApiError> Api::authorize(const Identity& who, Access access, const std::string& bot,
                                       const std::string* conversation) const {
  return options_.auth ? options_.auth->check(who, access, bot, conversation, unix_now()) : std::nullopt;
}

void Api::handle(Request request, Respond respond) {
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
  auto found = match_route(*target, request.method(), &allow);
  if (!found) {
    if (!allow.empty() && request.method() == http::verb::options)
      return respond(preflight_response(options_.cors, request, allow));
    if (!allow.empty())
      return respond(error({405, "method_not_allowed",
                            std::string(request.method_string()) + " is not allowed here; use " + allow, 0, allow}));
    return respond(error({404, "not_found", "no route for " + std::string(request.target())}));
  }
  Match m{std::move(*found)};

  // Resolve and check the bot and conversation named by the path.
  if (m.single_bot && m.id != RouteId::kRasaStatus) {
    ApiError e;
    auto bot = single_bot(&e);
    if (!bot) return respond(error(e));
    m.bot = *bot;
  }
  if (auto e = check_origin(options_.cors, request)) return respond(error(*e));
  Identity who = identify(request, *target, m.bot);
  if (auto e = authorize(who, m.access, m.bot, m.conv.empty() ? nullptr : &m.conv)) return respond(error(*e));
  if (m.json_body)
    if (auto e = check_json_content_type(request)) return respond(error(*e));
  if (!m.bot.empty() && m.id != RouteId::kReload) {
    if (auto e = check_id("bot name", m.bot, options_.limits.max_id_bytes)) return respond(error(*e));
    if (!conversations_->has_bot(m.bot)) return respond(error({404, "unknown_bot", "no bot named '" + m.bot + "'"}));
  }
  if (!m.conv.empty())
    if (auto e = check_id("conversation id", m.conv, options_.limits.max_id_bytes)) return respond(error(*e));

  switch (m.id) {
    case RouteId::kHealthz:
      return respond(json_response(200, R"({"status":"ok"})"));
    case RouteId::kReadyz:
      return get_readyz(respond);
    case RouteId::kMetrics:
      return get_metrics(respond);
    case RouteId::kBots:
      return get_bots(respond);
    case RouteId::kRasaStatus:
      return respond(json_response(200, R"({"status":"ok"})"));
    case RouteId::kWebSocket:
      return respond(error({426, "upgrade_required", "this route speaks WebSocket only"}));
    case RouteId::kNativeConversation:
      return get_conversation(m, respond);
    case RouteId::kRasaTracker:
      return get_rasa_tracker(m, request, respond);
    case RouteId::kReload:
      return post_reload(m, std::move(respond));
    case RouteId::kEvents:
      return get_events(m, request, respond);
    case RouteId::kSinks:
      return get_sinks(respond);
    case RouteId::kDeadLetters:
      return get_dead_letters(m, request, respond);
    case RouteId::kReplay:
      return post_replay(m, request, respond);
    case RouteId::kNativeMessage:
    case RouteId::kRasaWebhook: {
      bool rasa = m.id == RouteId::kRasaWebhook;
      runtime::MessageRequest msg;
      if (auto e = parse_message_body(request.body(), rasa ? MessageShape::kRasa : MessageShape::kNative,
                                      options_.limits, msg))
        return respond(error(*e));
      msg.bot = m.bot;
      if (!rasa) msg.conversation = m.conv;
      // The Rasa shape names its conversation in the body: a user token is checked against it.
      if (auto e = authorize(who, Access::kMessage, msg.bot, &msg.conversation)) return respond(error(*e));
      auto q = target->query.find("stream");
      bool stream = rasa && q != target->query.end() && (q->second == "true" || q->second == "1");
      return run_message(std::move(msg), rasa, stream, std::move(respond));
    }
  }
  respond(error({500, "internal", "unhandled route"}));
}

std::optional<ApiError> Api::check_rate(const std::string& bot, const std::string& conversation) {
  auto retry = [](std::chrono::milliseconds wait) {
    return static_cast<unsigned>(std::max<int64_t>(1, (wait.count() + 999) / 1000));
  };
  if (conversation_limiter_.enabled()) {
    std::string key = bot;
    key += '\0';
    key += conversation;
    if (auto wait = conversation_limiter_.acquire(key); wait.count() > 0) {
      metrics_.rate_limited("conversation");
      return ApiError{429, "rate_limited", "too many messages in conversation '" + conversation + "'",
                      retry(wait)};
    }
  }
  if (bot_limiter_.enabled()) {
    if (auto wait = bot_limiter_.acquire(bot); wait.count() > 0) {
      metrics_.rate_limited("bot");
      return ApiError{429, "rate_limited", "too many messages for bot '" + bot + "'", retry(wait)};
    }
  }
  return std::nullopt;
}

void Api::run_message(runtime::MessageRequest msg, bool rasa_shape, bool stream, Respond respond) {
  auto answer = [this, rasa_shape, stream, respond = std::move(respond)](
                    const std::string& conversation, Result<runtime::MessageReply> r, const ApiError* early) {
    if (early) return respond(error(*early));
    if (!r.ok()) {
      ApiError e = error_from_status(r.status(), options_.retry_after_s);
      if (r.status().code() == Code::kNotFound) e.code = "unknown_bot";
      return respond(error(e));
    }
    if (!rasa_shape) return respond(json_response(200, json::serialize(native_reply(*r))));
    if (!stream) {
      json::array out;
      for (const auto& m : r->messages) out.push_back(m.to_rasa(conversation));
      return respond(json_response(200, json::serialize(out)));
    }
    std::string lines;
    for (const auto& m : r->messages) lines += json::serialize(m.to_rasa(conversation)) + "\n";
    Response res = json_response(200, std::move(lines));
    res.set(http::field::content_type, "application/x-ndjson");
    respond(std::move(res));
  };

  if (draining()) {
    ApiError e{503, "draining", "the server is shutting down", options_.retry_after_s};
    metrics_.message(msg.bot, e.code, 0);
    return answer(msg.conversation, Status::unavailable(e.message), &e);
  }
  if (auto e = check_rate(msg.bot, msg.conversation)) {
    metrics_.message(msg.bot, e->code, 0);
    return answer(msg.conversation, Status(Code::kRateLimited, e->message), &*e);
  }
  auto start = Clock::now();
  std::string bot = msg.bot, conversation = msg.conversation, message_id = msg.message_id;
  conversations_->submit(
      std::move(msg), [this, start, bot, conversation, message_id, answer = std::move(answer)](
                          Result<runtime::MessageReply> r) {
        double secs = seconds_since(start);
        std::string outcome = r.ok() ? (r->replayed ? "replayed" : "ok") : code_name(r.status().code());
        metrics_.message(bot, outcome, secs);
        if (spdlog::should_log(spdlog::level::debug) || !r.ok())
          ops::log(r.ok() ? spdlog::level::debug : spdlog::level::info, "turn",
                   {{"bot", bot},
                    {"conversation", conversation},
                    {"message_id", message_id},
                    {"turn", r.ok() ? r->turn : 0},
                    {"outcome", outcome},
                    {"ms", secs * 1000},
                    {"error", r.ok() ? std::string() : r.status().message()}});
        answer(conversation, std::move(r), nullptr);
      });
}

void Api::get_bots(Respond& respond) {
  json::array bots;
  for (const auto& b : admin_->bots())
    bots.push_back(json::object{{"name", b.name}, {"version", b.version}, {"dir", b.dir}});
  respond(json_response(200, json::serialize(json::object{{"bots", std::move(bots)}})));
}

void Api::get_readyz(Respond& respond) {
  if (draining()) return respond(error({503, "draining", "the server is shutting down", options_.retry_after_s}));
  Status s = admin_->ready();
  if (!s) return respond(error({503, "not_ready", s.message(), options_.retry_after_s}));
  if (Status store = admin_->store_ready(); !store) {
    ApiError e = error_from_status(store, options_.retry_after_s);
    e.code = "store_degraded";
    Response res = error(e);
    res.body() = json::serialize(json::object{{"error", json::object{{"code", e.code}, {"message", e.message}}},
                                              {"store", "degraded"}});
    res.prepare_payload();
    return respond(std::move(res));
  }
  json::object body{{"status", "ready"}, {"store", "ok"}};
  if (relay_) {
    // A sink that is down degrades the pipeline, not the server: turns still commit and its
    // events wait in the outbox.
    json::object sinks;
    for (const auto& st : relay_->status())
      sinks[st.name] = st.breaker == "closed" && st.lag_seconds < 60 ? "ok" : "degraded";
    body["sinks"] = std::move(sinks);
  }
  respond(json_response(200, json::serialize(body)));
}

void Api::get_metrics(Respond& respond) {
  ops::PromWriter w;
  metrics_.render(w);
  admin_->render_metrics(w);
  if (relay_) ops::render_sink_metrics(w, relay_->status());
  Response res = json_response(200, w.take());
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  respond(std::move(res));
}

void Api::get_conversation(const Match& m, Respond& respond) {
  auto r = admin_->conversation(m.bot, m.conv);
  if (!r.ok()) return respond(error(error_from_status(r.status(), options_.retry_after_s)));
  respond(json_response(200, json::serialize(*r)));
}

void Api::get_rasa_tracker(const Match& m, const Request& request, Respond& respond) {
  auto target = parse_target(request.target());
  std::string include = "AFTER_RESTART";
  if (auto it = target->query.find("include_events"); it != target->query.end()) include = it->second;
  for (auto& c : include) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (include != "ALL" && include != "AFTER_RESTART" && include != "APPLIED" && include != "NONE")
    return respond(error({400, "bad_query", "include_events must be ALL, AFTER_RESTART, APPLIED or NONE"}));
  auto r = admin_->rasa_tracker(m.bot, m.conv, include);
  if (!r.ok()) return respond(error(error_from_status(r.status(), options_.retry_after_s)));
  respond(json_response(200, json::serialize(*r)));
}

void Api::post_reload(const Match& m, Respond respond) {
  if (auto e = check_id("bot name", m.bot, options_.limits.max_id_bytes)) return respond(error(*e));
  if (reloading_.exchange(true))
    return respond(error({503, "reload_busy", "another reload is running; retry when it has finished",
                          options_.retry_after_s}));
  boost::asio::post(reload_pool_, [this, bot = m.bot, respond = std::move(respond)] {
    Response res = reload_response(bot);
    reloading_.store(false);  // before answering: a client may send the next reload at once
    respond(std::move(res));
  });
}

Response Api::reload_response(const std::string& bot) {
  auto r = admin_->reload_bot(bot);
  json::array diags;
  if (!r.ok()) {
    ops::log(spdlog::level::warn, "reload refused", {{"bot", bot}, {"error", r.status().to_string()}});
    ApiError e = error_from_status(r.status(), options_.retry_after_s);
    if (r.status().code() == Code::kNotFound) e.code = "unknown_bot";
    if (r.status().code() == Code::kInvalidArgument) e.code = "invalid_bot";
    metrics_.error(e.code);
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
  for (const auto& b : admin_->bots())
    if (b.name == bot) version = b.version;
  ops::log(spdlog::level::info, "bot reloaded", {{"bot", bot}, {"version", version}});
  return json_response(
      200, json::serialize(json::object{{"bot", bot}, {"version", version}, {"warnings", std::move(diags)}}));
}

namespace {

// ?name=N as an unsigned number: nullopt when absent; an error when not a number.
std::optional<uint64_t> query_number(const Target& target, const std::string& name, std::optional<ApiError>& bad) {
  auto it = target.query.find(name);
  if (it == target.query.end()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (it->second.empty() || ec != std::errc() || end != it->second.data() + it->second.size()) {
    bad = ApiError{400, "bad_query", name + " must be a non-negative integer, not '" + it->second + "'"};
    return std::nullopt;
  }
  return v;
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

}  // namespace

void Api::get_events(const Match& m, const Request& request, Respond& respond) {
  auto target = parse_target(request.target());
  std::optional<ApiError> bad;
  uint64_t after = query_number(*target, "after", bad).value_or(0);
  uint64_t limit = std::min<uint64_t>(query_number(*target, "limit", bad).value_or(1000), 10000);
  if (bad) return respond(error(*bad));
  auto r = admin_->event_records(m.bot, m.conv, after, limit);
  if (!r.ok()) return respond(error(error_from_status(r.status(), options_.retry_after_s)));
  // The records as stored, byte for byte: what every sink received.
  std::string body = json::serialize(json::object{
      {"bot", m.bot}, {"conversation", m.conv}, {"after", after}, {"next_after", after + r->size()}});
  body.pop_back();
  body += ",\"events\":[";
  for (size_t i = 0; i < r->size(); ++i) {
    if (i) body += ',';
    body += (*r)[i];
  }
  body += "]}";
  respond(json_response(200, std::move(body)));
}

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

}  // namespace

void Api::get_sinks(Respond& respond) {
  json::array sinks;
  if (relay_)
    for (const auto& s : relay_->status()) sinks.push_back(sink_json(s));
  respond(json_response(200, json::serialize(json::object{{"sinks", std::move(sinks)}})));
}

void Api::get_dead_letters(const Match& m, const Request& request, Respond& respond) {
  if (!relay_ || !relay_->has_sink(m.sink))
    return respond(error({404, "unknown_sink", "no sink named '" + m.sink + "'"}));
  auto target = parse_target(request.target());
  std::optional<ApiError> bad;
  uint64_t after = query_number(*target, "after", bad).value_or(0);
  uint64_t limit = std::min<uint64_t>(query_number(*target, "limit", bad).value_or(1000), 10000);
  if (bad) return respond(error(*bad));
  auto r = relay_->dead_letters(m.sink, after, limit);
  if (!r.ok()) return respond(error(error_from_status(r.status(), options_.retry_after_s)));
  json::array out;
  for (auto& d : *r) {
    boost::system::error_code ec;
    json::value event = json::parse(d.record, ec);
    out.push_back(json::object{{"position", d.seq}, {"event", ec ? json::value(d.record) : std::move(event)}});
  }
  respond(json_response(200, json::serialize(json::object{{"sink", m.sink}, {"dead_letters", std::move(out)}})));
}

void Api::post_replay(const Match& m, const Request& request, Respond& respond) {
  if (!relay_ || !relay_->has_sink(m.sink))
    return respond(error({404, "unknown_sink", "no sink named '" + m.sink + "'"}));
  boost::system::error_code ec;
  json::value body = json::parse(request.body(), ec);
  if (ec || !body.is_object())
    return respond(error({400, "malformed_json", "the body must be a JSON object: {\"dead_letters\": true}, "
                                                 "{\"from\": POSITION} or {\"from_time\": TIME}"}));
  const auto& o = body.get_object();
  if (auto d = json_get(o, "dead_letters"); d && d->is_bool() && d->get_bool()) {
    if (Status s = relay_->replay_dead_letters(m.sink); !s) return respond(error(error_from_status(s, 1)));
    return respond(json_response(202, json::serialize(json::object{{"sink", m.sink}, {"replay", "dead_letters"}})));
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
    if (!pos.ok()) return respond(error(error_from_status(pos.status(), options_.retry_after_s)));
    from = *pos;
  } else {
    return respond(error({422, "missing_field", "name what to replay: dead_letters, from or from_time"}));
  }
  if (Status s = relay_->replay_from(m.sink, *from); !s) return respond(error(error_from_status(s, 1)));
  respond(json_response(202, json::serialize(json::object{{"sink", m.sink}, {"replay", "from"}, {"from", *from}})));
}

std::variant<WebSocketAccept, Response> Api::accept_websocket(const Request& request) {
  auto target = parse_target(request.target());
  if (!target || target->has_empty_segment || target->segments.size() != 4 || target->segments[0] != "v1" ||
      target->segments[1] != "bots" || target->segments[3] != "ws")
    return error({404, "not_found", "no WebSocket route at " + std::string(request.target())});
  WebSocketAccept ws{target->segments[2], {}};
  if (auto e = check_host(options_.hosts, request)) return error(*e);
  if (auto e = check_origin(options_.cors, request)) return error(*e);
  ws.who = identify(request, *target, ws.bot);
  if (auto e = authorize(ws.who, Access::kMessage, ws.bot, nullptr)) return error(*e);
  if (auto e = check_id("bot name", ws.bot, options_.limits.max_id_bytes)) return error(*e);
  if (!conversations_->has_bot(ws.bot)) return error({404, "unknown_bot", "no bot named '" + ws.bot + "'"});
  return ws;
}

void Api::handle_ws_message(const WebSocketAccept& ws, std::string text, Reply reply) {
  runtime::MessageRequest msg;
  if (auto e = parse_message_body(text, MessageShape::kWebSocket, options_.limits, msg))
    return reply(error_text(*e));
  msg.bot = ws.bot;
  if (auto e = authorize(ws.who, Access::kMessage, msg.bot, &msg.conversation)) return reply(error_text(*e));
  run_message(std::move(msg), false, false, [reply = std::move(reply)](Response res) {
    reply(std::move(res.body()));
  });
}

}  // namespace parley::channels
