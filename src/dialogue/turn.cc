// The turn loop: session handling, NLU, slot extraction, then predict and execute actions until
// the bot listens again. Custom actions pause the loop (kNeedsAction) and resume with the result.
#include "dialogue/turn.h"

#include <chrono>
#include <cmath>

#include "dialogue/turn_internal.h"

#include "core/hash.h"
#include "dialogue/action_reply.h"
#include "dialogue/policy.h"
#include "dialogue/rasa_json.h"
#include "dialogue/responses.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/states.h"

namespace parley::dialogue {

namespace {

constexpr int kMaxPredictions = 10;
constexpr const char* kDefaultFallbackText = "Sorry, I didn't get that. Can you rephrase?";

// Confidences keep 12 decimals: Boost.JSON 1.81 parses long decimals only approximately, so a
// full-precision double would read back from the store one bit off, and a tracker served from
// the store would differ from the same tracker served from the cache.
double stored_confidence(double c) { return std::round(c * 1e12) / 1e12; }

json::value parse_data_json(const nlu::ParseResult& p, const TurnInput& in) {
  json::array entities;
  for (const auto& e : p.entities) {
    json::object o{{"entity", e.entity}, {"value", e.value},       {"start", e.start},
                   {"end", e.end},       {"confidence_entity", stored_confidence(e.confidence)}, {"extractor", e.extractor}};
    if (e.role) o["role"] = *e.role;
    if (e.group) o["group"] = *e.group;
    entities.push_back(std::move(o));
  }
  json::array ranking;
  for (const auto& r : p.ranking) ranking.push_back(json::object{{"name", r.name}, {"confidence", stored_confidence(r.confidence)}});
  json::object o{{"text", in.text},
                 {"intent", json::object{{"name", p.intent.name}, {"confidence", stored_confidence(p.intent.confidence)}}},
                 {"entities", std::move(entities)},
                 {"intent_ranking", std::move(ranking)}};
  if (!in.message_id.empty()) o["message_id"] = in.message_id;
  o["metadata"] = in.metadata.is_object() ? in.metadata : json::value(json::object());
  return o;
}

uint64_t seed_of(const std::string& a, uint64_t b) { return fnv1a(a, kFnvOffset ^ b); }

}  // namespace

TurnRunner::TurnRunner(std::shared_ptr<const Agent> bot, Tracker& tracker, TurnInput input)
    : bot_(std::move(bot)), tracker_(tracker), input_(std::move(input)), impl_(std::make_shared<Impl>()) {}

// ---- the loop ---------------------------------------------------------------------------------

TurnRunner::State TurnRunner::run() {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  const auto& domain = bot_->domain();
  const auto& policies = *bot_->policies;
  const auto& config = policies.config();
  auto& im = *impl_;

  if (!im.started) {
    im.started = true;
    double now = input_.timestamp > 0 ? input_.timestamp : now_seconds();
    im.seed = seed_of(tracker_.sender_id() + input_.text, tracker_.version());
    // A new session at the first message, after a restart, or after the idle time.
    double expiry = domain.session_config.session_expiration_minutes * 60.0;
    bool expired = expiry > 0 && tracker_.latest_event_time() > 0 && now - tracker_.latest_event_time() > expiry;
    if (!tracker_.session_started() || expired) {
      SlotMap carried;
      if (expired && domain.session_config.carry_over_slots) carried = tracker_.slots();
      ctx.add(Event::action("action_session_start", now));
      ctx.add(Event::simple(EventType::kSessionStarted, now));
      for (const auto& [name, value] : carried)
        if (name != "requested_slot" && value != tracker_.slot(name)) ctx.add(Event::slot(name, value, now));
      ctx.add(Event::action("action_listen", now));
    }
    nlu::ParseResult parsed = bot_->nlu->parse(input_.text);
    Event user = Event::user(input_.text, parse_data_json(parsed, input_), input_.message_id, now);
    user.input_channel = input_.input_channel;
    ctx.add(std::move(user));
    // action_extract_slots: not logged as an action, only its slot events.
    im.extracted = extract_slots(domain, tracker_);
    for (const auto& c : im.extracted)
      if (tracker_.slot(c.slot) != c.value) ctx.add(Event::slot(c.slot, c.value, 0));
  }

  if (im.pending != Impl::Pending::kNone) return State::kNeedsAction;

  while (!im.done) {
    if (im.predictions >= kMaxPredictions) {
      ctx.add(Event::action("action_listen", 0, "default"));
      im.done = true;
      break;
    }
    ++im.predictions;
    Prediction p = predict();
    im.exclude.clear();
    predictions_.push_back(p);
    if (execute(p)) return State::kNeedsAction;
  }
  (void)config;
  return State::kDone;
}

Prediction TurnRunner::predict() {
  return predict_next_action(*bot_->policies, tracker_, impl_->states, impl_->exclude);
}

Prediction predict_next_action(const PolicySet& policies, const Tracker& tracker, StatesCache& states,
                               std::string_view exclude) {
  const auto& config = policies.config();
  const auto& domain = tracker.domain();
  const std::string& latest = tracker.latest_action();
  const std::string& loop = tracker.active_loop();

  if (!tracker.followup_action().empty()) return {tracker.followup_action(), "followup", 1.0};
  if (latest == "action_listen") {
    if (const Event* m = tracker.latest_message()) {
      std::string_view intent = user_intent(*m);
      if (intent == "restart") return {"action_restart", "default", 1.0};
      if (intent == "session_start") return {"action_session_start", "default", 1.0};
      if (intent == "back") return {"action_back", "default", 1.0};
    }
  }
  // An active loop runs until it is done, unless it rejected this message.
  if (!loop.empty() && !tracker.loop_rejected()) {
    if (latest != loop && exclude != loop) return {loop, "loop", 1.0};
    if (latest == loop) return {"action_listen", "loop", 1.0};
  }
  if (latest == config.core_fallback_action || latest == "action_default_fallback")
    return {"action_listen", "fallback", 1.0};

  std::optional<Prediction> chosen;
  if (config.rules_enabled)
    chosen = policies.predict_rule(states.get(tracker, policies.featurizer(), false), exclude);
  if (!chosen && config.memoization_enabled)
    chosen = policies.predict_memo(states.get(tracker, policies.featurizer(), true), exclude);

  // After an interruption was handled, the loop resumes (asks for its slot again) instead of
  // listening, unless a rule or story said what to do next.
  bool interrupted = !loop.empty() && tracker.loop_rejected() && latest != "action_listen" && latest != loop;
  if (interrupted && (!chosen || chosen->action == "action_listen") && domain.find_form(loop))
    return {loop, "loop", 1.0};
  if (chosen) return *chosen;
  // The learned policy comes last; as in Rasa, below core_fallback_threshold it gives way to the
  // fallback (after a message) or to listening (after a bot action).
  if (config.learned_policy_enabled) {
    auto learned = policies.predict_learned(states.get(tracker, policies.featurizer(), true), exclude);
    if (learned && learned->confidence >= config.core_fallback_threshold)
      return {learned->action, learned->policy, stored_confidence(learned->confidence)};
  }

  if (latest != "action_listen") return {"action_listen", "default", 1.0};
  if (config.enable_fallback_prediction)
    return {config.core_fallback_action, "fallback", config.core_fallback_threshold};
  return {"action_listen", "default", 1.0};
}

// Executes one predicted action. Returns true when a custom action call is needed first.
bool TurnRunner::execute(const Prediction& p) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  const auto& domain = bot_->domain();
  auto& im = *impl_;
  const std::string& name = p.action;
  uint64_t seed = im.seed + new_events_.size();

  if (name == "action_listen") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    im.done = true;
    return false;
  }
  if (name == "action_restart") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    ctx.utter_response("utter_restart", seed);
    ctx.add(Event::simple(EventType::kRestarted, 0));
    im.done = true;
    return false;
  }
  if (name == "action_session_start") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    ctx.add(Event::simple(EventType::kSessionStarted, 0));
    ctx.add(Event::action("action_listen", 0, "default"));
    im.done = true;
    return false;
  }
  if (name == "action_default_fallback") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    if (!ctx.utter_response("utter_default", seed)) ctx.utter(BotMessage{kDefaultFallbackText, {}});
    ctx.add(Event::simple(EventType::kUserUtteranceReverted, 0));
    im.done = true;
    return false;
  }
  if (name == "action_back") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    ctx.utter_response("utter_back", seed);
    ctx.add(Event::simple(EventType::kUserUtteranceReverted, 0));
    ctx.add(Event::simple(EventType::kUserUtteranceReverted, 0));
    im.done = true;
    return false;
  }
  if (name == "action_deactivate_loop") {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    ctx.add(Event::active_loop("", 0));
    if (!tracker_.requested_slot().empty()) ctx.add(Event::slot("requested_slot", nullptr, 0));
    return false;
  }
  if (const bot::Form* form = domain.find_form(name)) return run_form(*form, p);
  if (domain.has_response(name) && !domain.has_action(name)) {
    ctx.add(Event::action(name, 0, p.policy, p.confidence));
    ctx.utter_response(name, seed);
    return false;
  }
  if (domain.has_action(name) || bot::is_default_action(name)) {
    im.pending = Impl::Pending::kCustom;
    pending_ = make_request(name);
    last_prediction_ = p;
    return true;
  }
  action_failed(name, Status::not_found("action '" + name + "' is not in the domain"));
  return false;
}

ActionRequest TurnRunner::make_request(const std::string& action) const {
  impl_->call_started = std::chrono::steady_clock::now();
  ActionRequest r;
  r.action = action;
  r.url = bot_->project.endpoints.action_endpoint_url;
  // Parley's call records are not Rasa events: an action server (rasa_sdk's slots_to_validate,
  // for one) reads the event list and must not meet them.
  json::array events;
  events.reserve(tracker_.events().size());
  for (const auto& e : tracker_.events())
    if (e.type != EventType::kActionCall) events.push_back(to_json(e));
  r.payload = json::object{{"next_action", action},
                           {"sender_id", tracker_.sender_id()},
                           {"tracker", rasa_tracker_json(tracker_, &events)},
                           {"domain", rasa_domain_json(bot_->domain())},
                           {"version", "3.6.0"}};
  return r;
}

void TurnRunner::action_failed(const std::string& action, const Status& status) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  ctx.add(Event::error(status.code() == Code::kTimeout ? "action_timeout" : "action_failed",
                       "custom action '" + action + "' failed: " + status.to_string(), 0));
  impl_->pending = Impl::Pending::kNone;
  Prediction fb{"action_default_fallback", "fallback", 1.0};
  predictions_.push_back(fb);
  execute(fb);
}

// Applies an action server's answer: its responses become bot messages, its events are applied.
void TurnRunner::apply_action_response(const json::value& body) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  const json::object empty;
  const json::object& o = body.is_object() ? body.as_object() : empty;
  uint64_t seed = impl_->seed + new_events_.size();
  if (auto r = json_get(o, "responses"); r && r->is_array()) {
    for (const auto& item : r->as_array()) {
      if (!item.is_object()) continue;
      const auto& ro = item.as_object();
      auto template_name = json_str(ro, "response");
      if (!template_name) template_name = json_str(ro, "template");
      if (template_name) {
        if (!ctx.utter_response(*template_name, seed++, &ro))
          ctx.add(Event::error("unknown_response", "action server asked for response '" +
                                                       std::string(*template_name) + "' which the domain lacks", 0));
        continue;
      }
      BotMessage m;
      if (auto t = json_str(ro, "text")) m.text = *t;
      for (const char* key : {"image", "buttons", "custom", "attachment", "elements", "quick_replies"})
        if (auto v = json_get(ro, key); v && !v->is_null()) {
          if (v->is_array() && v->as_array().empty()) continue;
          m.data[key] = *v;
        }
      if (!m.text.empty() || !m.data.empty()) ctx.utter(m);
    }
  }
  if (auto ev = json_get(o, "events"); ev && ev->is_array()) {
    for (const auto& item : ev->as_array()) {
      auto e = event_from_json(item);
      if (!e.ok()) {
        ctx.add(Event::error("bad_action_event", e.status().message(), 0));
        continue;
      }
      if (e->type == EventType::kRestarted) impl_->done = true;
      e->timestamp = 0;
      ctx.add(std::move(e).value());
    }
  }
}

void TurnRunner::resume(Result<json::value> response) {
  TurnCtx ctx{*bot_, tracker_, new_events_, messages_, input_};
  auto& im = *impl_;
  auto kind = im.pending;
  im.pending = Impl::Pending::kNone;
  std::string action = pending_ ? pending_->action : std::string();
  pending_.reset();
  if (response.ok())
    if (Status shape = check_action_reply(response.value()); !shape.is_ok())
      response = Status(Code::kIOError, shape.message());  // a failed call, not a rejection
  {
    // Every custom action call is an event with its outcome and duration (for the event sinks).
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - im.call_started).count();
    const char* outcome = response.ok()                                                          ? "ok"
                          : response.status().code() == Code::kTimeout                           ? "timeout"
                          : response.status().code() == Code::kInvalidArgument && kind == Impl::Pending::kCustom ? "rejected"
                                                                                                  : "error";
    ctx.add(Event::action_call(action, outcome, std::round(ms * 1000.0) / 1000.0, 0));
  }
  if (!response.ok()) {
    if (response.status().code() == Code::kInvalidArgument && kind == Impl::Pending::kCustom) {
      // The action server rejected the action (Rasa's ActionExecutionRejection).
      Event rej;
      rej.type = EventType::kActionExecutionRejected;
      rej.name = action;
      ctx.add(std::move(rej));
      im.exclude = action;
      return;
    }
    action_failed(action, response.status());
    return;
  }
  switch (kind) {
    case Impl::Pending::kCustom:
      ctx.add(Event::action(action, 0, last_prediction_.policy, last_prediction_.confidence));
      apply_action_response(response.value());
      break;
    case Impl::Pending::kFormValidate: {
      apply_action_response(response.value());
      const bot::Form* form = bot_->domain().find_form(im.pending_form);
      if (form && request_next_slot(*form)) return;
      break;
    }
    case Impl::Pending::kFormAsk:
      apply_action_response(response.value());
      break;
    case Impl::Pending::kNone:
      break;
  }
}

void TurnRunner::run_blocking(ActionClient* client) {
  while (run() == State::kNeedsAction) {
    if (client && !pending_->url.empty())
      resume(client->call(*pending_));
    else
      resume(Status::unavailable("no action endpoint is configured (endpoints.yml action_endpoint)"));
  }
}

}  // namespace parley::dialogue
