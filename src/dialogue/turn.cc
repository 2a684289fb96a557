// The turn loop: session handling, NLU, slot extraction, then predict and execute actions until
// the bot listens again. Custom actions pause the loop (kNeedsAction) and resume with the result.
#include "dialogue/turn.h"

#include <chrono>
#include <cmath>
#include <utility>

#include "dialogue/turn_state.h"

#include "core/clock.h"
#include "core/hash.h"
#include "dialogue/action_reply.h"
#include "dialogue/default_actions.h"
#include "dialogue/policy.h"
#include "dialogue/rasa_json.h"
#include "dialogue/responses.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/states.h"
#include "nlu/nlu.h"

namespace parley::dialogue {

namespace {

constexpr int kMaxPredictions = 10;

// Confidences keep 12 decimals: Boost.JSON 1.81 parses long decimals only approximately, so a
// full-precision double would read back from the store one bit off, and a tracker served from
// the store would differ from the same tracker served from the cache.
double stored_confidence(double c) { return std::round(c * 1e12) / 1e12; }

// Rasa's parse_data["response_selector"]: per selector the best full retrieval intent with the
// texts of its response (as Rasa gives them to clients), and the ranking.
json::object response_selector_json(const nlu::ParseResult& p, const project::Domain& domain) {
  json::array all;
  for (const auto& r : p.retrieval_intents) all.push_back(json::string(r));
  json::object out{{"all_retrieval_intents", std::move(all)}};
  for (const auto& s : p.selectors) {
    json::object response{{"responses", json::array()}, {"confidence", 0.0}, {"intent_response_key", nullptr},
                          {"utter_action", nullptr}};
    if (!s.ranking.empty()) {
      const std::string utter = "utter_" + s.ranking.front().name;
      json::array texts;
      if (auto it = domain.responses.find(utter); it != domain.responses.end())
        for (const auto& v : it->second) {
          json::object t{{"text", v.text}};
          if (!v.image.empty()) t["image"] = v.image;
          texts.push_back(std::move(t));
        }
      response = {{"responses", std::move(texts)},
                  {"confidence", stored_confidence(s.ranking.front().confidence)},
                  {"intent_response_key", s.ranking.front().name},
                  {"utter_action", utter}};
    }
    json::array ranking;
    for (const auto& r : s.ranking)
      ranking.push_back(json::object{{"confidence", stored_confidence(r.confidence)}, {"intent_response_key", r.name}});
    out[s.key] = json::object{{"response", std::move(response)}, {"ranking", std::move(ranking)}};
  }
  return out;
}

json::value parse_data_json(const nlu::ParseResult& p, const TurnInput& in, const project::Domain& domain) {
  json::array entities;
  for (const auto& e : p.entities) {
    if (!e.additional_info.is_null()) {
      // DucklingEntityExtractor's shape in Rasa: text, `confidence` (not confidence_entity) and
      // Duckling's own value object.
      entities.push_back(json::object{{"entity", e.entity},
                                      {"start", e.start},
                                      {"end", e.end},
                                      {"text", e.text},
                                      {"value", e.structured_value},
                                      {"confidence", e.confidence},
                                      {"additional_info", e.additional_info},
                                      {"extractor", e.extractor}});
      continue;
    }
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
  if (!p.selectors.empty()) o["response_selector"] = response_selector_json(p, domain);
  if (!in.message_id.empty()) o["message_id"] = in.message_id;
  o["metadata"] = in.metadata.is_object() ? in.metadata : json::value(json::object());
  return o;
}

uint64_t seed_of(const std::string& a, uint64_t b) { return fnv1a(a, kFnvOffset ^ b); }

// The session check, NLU and slot extraction: what a turn does once, before its first prediction.
void start_turn(TurnState& st) {
  const auto& domain = st.bot->domain();
  Tracker& tracker = st.tracker;
  const TurnInput& input = st.input;
  double now = input.timestamp > 0 ? input.timestamp : unix_seconds();
  st.seed = seed_of(tracker.sender_id() + input.text, tracker.version());
  // A new session at the first message, after a restart, or after the idle time.
  double expiry = domain.session_config.session_expiration_minutes * 60.0;
  bool expired = expiry > 0 && tracker.latest_event_time() > 0 && now - tracker.latest_event_time() > expiry;
  if (!tracker.session_started() || expired) {
    SlotMap carried;
    if (expired && domain.session_config.carry_over_slots) carried = tracker.slots();
    st.add(Event::action("action_session_start", now));
    st.add(Event::simple(EventType::kSessionStarted, now));
    if (input.metadata.is_object() && !input.metadata.as_object().empty() &&
        domain.find_slot("session_started_metadata"))
      carried["session_started_metadata"] = input.metadata;
    for (const auto& [name, value] : carried)
      if (name != "requested_slot" && value != tracker.slot(name)) st.add(Event::slot(name, value, now));
    st.add(Event::action("action_listen", now));
  }
  nlu::ParseResult parsed = st.bot->nlu->parse(input.text);
  Event user = Event::user(input.text, parse_data_json(parsed, input, domain), input.message_id, now);
  user.input_channel = input.input_channel;
  st.add(std::move(user));
  // action_extract_slots: not logged as an action, only its slot events.
  st.extracted = extract_slots(domain, tracker);
  for (const auto& c : st.extracted)
    if (tracker.slot(c.slot) != c.value) st.add(Event::slot(c.slot, c.value, 0));
}

}  // namespace

// ---- the state's bookkeeping --------------------------------------------------------------------

void TurnState::add(Event e) {
  // One clock per turn: the caller's timestamp when it gave one.
  if (e.timestamp == 0) e.timestamp = input.timestamp > 0 ? input.timestamp : unix_seconds();
  if (e.type == EventType::kBot) {
    BotMessage m;
    m.text = e.text;
    if (e.value.is_object()) m.data = e.value.as_object();
    messages.push_back(std::move(m));
  }
  tracker.apply(e);
  events.push_back(std::move(e));
}

void TurnState::utter(const BotMessage& m) {
  add(Event::bot(m.text, m.data.empty() ? json::value(json::object()) : json::value(m.data), 0));
}

bool TurnState::utter_response(std::string_view name, uint64_t variation, const json::object* extra) {
  auto m = render_response(bot->domain(), name, tracker, input.input_channel, variation, extra);
  if (!m) return false;
  utter(*m);
  return true;
}

// ---- the loop ---------------------------------------------------------------------------------

TurnRunner::TurnRunner(std::shared_ptr<const Agent> bot, Tracker& tracker, TurnInput input)
    : state_(std::make_unique<TurnState>(std::move(bot), tracker, std::move(input))) {}

TurnRunner::~TurnRunner() = default;

const ActionRequest& TurnRunner::pending_action() const { return *state_->request; }
const std::vector<Event>& TurnRunner::new_events() const { return state_->events; }
const std::vector<BotMessage>& TurnRunner::messages() const { return state_->messages; }
const std::vector<Prediction>& TurnRunner::predictions() const { return state_->predictions; }

TurnRunner::State TurnRunner::run() {
  TurnState& st = *state_;
  if (!st.started) {
    st.started = true;
    start_turn(st);
  }

  if (st.pending != TurnState::Pending::kNone) return State::kNeedsAction;

  while (!st.done) {
    if (st.predicted >= kMaxPredictions) {
      st.add(Event::action("action_listen", 0, "default"));
      st.done = true;
      break;
    }
    ++st.predicted;
    Prediction p = predict_next_action(*st.bot->policies, st.tracker, st.states, st.exclude);
    st.exclude.clear();
    st.predictions.push_back(p);
    if (execute(st, p)) return State::kNeedsAction;
  }
  return State::kDone;
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
  if (!chosen && config.memoization_enabled && config.memoization_augmented)
    chosen = policies.predict_memo_forgetting(tracker, exclude);

  // The learned policy comes last; as in Rasa, below core_fallback_threshold it gives way to the
  // fallback (after a message) or to listening (after a bot action).
  std::optional<Prediction> learned;
  if (!chosen && config.learned_policy_enabled) {
    learned = policies.predict_learned(states.get(tracker, policies.featurizer(), true), exclude);
    if (learned && learned->confidence < config.core_fallback_threshold) learned.reset();
  }

  // After an interruption was handled, the loop resumes (asks for its slot again) instead of
  // listening, unless the stories go on otherwise: as Rasa's RulePolicy, which learns from stories
  // and loop rules where something else follows an interruption not to predict the loop there.
  // Here: a story that listens (memoization), a rule for the active loop that ends listening, or
  // the learned policy sure of another action. Another rule's listen is only its snippet's end.
  bool interrupted = !loop.empty() && tracker.loop_rejected() && latest != "action_listen" && latest != loop;
  bool story_listens = chosen && chosen->action == "action_listen" &&
                       (chosen->policy == "memoization" || chosen->policy == "augmented_memoization" ||
                        (chosen->policy == "rule" && chosen->loop_condition));
  bool learned_goes_on = learned && learned->action != "action_listen" && learned->action != loop;
  if (interrupted && (!chosen || chosen->action == "action_listen") && !story_listens && !learned_goes_on &&
      domain.find_form(loop))
    return {loop, "loop", 1.0};
  if (chosen) return *chosen;
  if (learned) return Prediction{learned->action, learned->policy, stored_confidence(learned->confidence)};

  if (latest != "action_listen") return {"action_listen", "default", 1.0};
  if (config.enable_fallback_prediction)
    return {config.core_fallback_action, "fallback", config.core_fallback_threshold};
  return {"action_listen", "default", 1.0};
}

namespace {

// A call that failed or timed out: an error event, then the default fallback.
void action_failed(TurnState& st, const std::string& action, const Status& status, bool timed_out) {
  st.add(Event::error(timed_out ? "action_timeout" : "action_failed",
                      "custom action '" + action + "' failed: " + status.to_string(), 0));
  st.pending = TurnState::Pending::kNone;
  Prediction fb{"action_default_fallback", "fallback", 1.0};
  st.predictions.push_back(fb);
  execute(st, fb);
}

// Applies an action server's answer: its responses become bot messages, its events are applied.
void apply_action_response(TurnState& st, const json::value& body) {
  const json::object empty;
  const json::object& o = body.is_object() ? body.as_object() : empty;
  uint64_t seed = st.response_seed();
  if (auto r = json_get(o, "responses"); r && r->is_array()) {
    for (const auto& item : r->as_array()) {
      if (!item.is_object()) continue;
      const auto& ro = item.as_object();
      auto template_name = json_str(ro, "response");
      if (!template_name) template_name = json_str(ro, "template");
      if (template_name) {
        if (!st.utter_response(*template_name, seed++, &ro))
          st.add(Event::error("unknown_response", "action server asked for response '" +
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
      if (!m.text.empty() || !m.data.empty()) st.utter(m);
    }
  }
  if (auto ev = json_get(o, "events"); ev && ev->is_array()) {
    for (const auto& item : ev->as_array()) {
      auto e = event_from_json(item);
      if (!e.ok()) {
        st.add(Event::error("bad_action_event", e.status().message(), 0));
        continue;
      }
      if (e->type == EventType::kRestarted) st.done = true;
      e->timestamp = 0;
      st.add(std::move(e).value());
    }
  }
}

// Rasa's ActionRetrieveResponse: utter_faq utters the response of the full retrieval intent that
// the latest message's response selector chose (faq/ask_name -> utter_faq/ask_name): the selector
// trained for faq, else the default one, whose best prediction under faq is taken (Rasa takes its
// best overall, which can belong to another retrieval intent).
void run_retrieval_action(TurnState& st, const std::string& name, const Prediction& p) {
  uint64_t seed = st.response_seed();
  st.add(Event::action(name, 0, p.policy, p.confidence));
  const std::string base = name.substr(std::string_view("utter_").size());
  const Event* msg = st.tracker.latest_message();
  const json::object* selectors = nullptr;
  if (msg && msg->value.is_object())
    if (auto rs = json_get(msg->value.as_object(), "response_selector"); rs && rs->is_object()) selectors = &rs->as_object();
  std::string chosen;
  for (const char* key : {base.c_str(), "default"}) {
    const json::value* sel = selectors ? json_get(*selectors, key) : nullptr;
    const json::value* ranking = sel && sel->is_object() ? json_get(sel->as_object(), "ranking") : nullptr;
    if (!ranking || !ranking->is_array()) continue;
    for (const auto& r : ranking->as_array()) {
      const json::value* irk = r.is_object() ? json_get(r.as_object(), "intent_response_key") : nullptr;
      if (irk && irk->is_string() && project::base_intent(irk->get_string()) == base) {
        chosen = std::string(irk->get_string());
        break;
      }
    }
    if (!chosen.empty()) break;
  }
  if (chosen.empty() || !st.utter_response("utter_" + chosen, seed))
    st.add(Event::error("no_retrieval_response", "'" + name + "' found no response: the latest message has no " +
                                                     "response selector prediction for retrieval intent '" + base + "'",
                        0));
}

}  // namespace

bool execute(TurnState& st, const Prediction& p) {
  const auto& domain = st.bot->domain();
  const std::string& name = p.action;
  if (DefaultAction run = find_default_action(name)) {
    run(st, p);
    return st.pending != TurnState::Pending::kNone;  // the two-stage fallback may call a custom action
  }
  if (const project::Form* form = domain.find_form(name)) return run_form(st, *form, p);
  if (!domain.has_response(name) && domain.is_retrieval_action(name)) {
    run_retrieval_action(st, name, p);
    return false;
  }
  // As Rasa does (action_for_name_from_domain): an utter_ name is always the response of that name,
  // even when it is also listed under actions: (many projects list their responses there).
  if (name.starts_with("utter_") || (domain.has_response(name) && !domain.has_action(name))) {
    uint64_t seed = st.response_seed();
    st.add(Event::action(name, 0, p.policy, p.confidence));
    st.utter_response(name, seed);
    return false;
  }
  if (domain.has_action(name) || project::is_default_action(name)) {
    request_call(st, TurnState::Pending::kCustom, name);
    st.call_prediction = p;
    return true;
  }
  action_failed(st, name, Status::not_found("action '" + name + "' is not in the domain"), false);
  return false;
}

void request_call(TurnState& st, TurnState::Pending kind, const std::string& action) {
  st.pending = kind;
  st.call_started = std::chrono::steady_clock::now();
  const Tracker& tracker = st.tracker;
  ActionRequest r;
  r.action = action;
  r.url = st.bot->project.endpoints.action_endpoint_url;
  // Parley's call records are not Rasa events: an action server (rasa_sdk's slots_to_validate,
  // for one) reads the event list and must not meet them.
  json::array events;
  events.reserve(tracker.events().size());
  for (const auto& e : tracker.events())
    if (e.type != EventType::kActionCall) events.push_back(to_json(e));
  r.payload = json::object{{"next_action", action},
                           {"sender_id", tracker.sender_id()},
                           {"tracker", rasa_tracker_json(tracker, &events)},
                           {"domain", rasa_domain_json(st.bot->domain())},
                           {"version", "3.6.0"}};
  st.request = std::move(r);
}

void TurnRunner::resume(ActionReply reply) {
  TurnState& st = *state_;
  auto kind = st.pending;
  st.pending = TurnState::Pending::kNone;
  std::string action = st.request ? st.request->action : std::string();
  st.request.reset();
  if (reply.is_ok())
    if (Status shape = check_action_reply(reply.body); !shape.is_ok())
      reply = ActionReply::failed(Status(Code::kIOError, shape.message()));  // a failed call, not a rejection
  // Only a custom action can be rejected; a form's validation or ask action that is refused failed.
  const bool rejected = reply.outcome == ActionOutcome::kRejected && kind == TurnState::Pending::kCustom;
  {
    // Every custom action call is an event with its outcome and duration (for the event sinks).
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - st.call_started).count();
    const char* outcome = reply.is_ok()                                  ? "ok"
                          : reply.outcome == ActionOutcome::kTimedOut    ? "timeout"
                          : rejected                                     ? "rejected"
                                                                         : "error";
    st.add(Event::action_call(action, outcome, std::round(ms * 1000.0) / 1000.0, 0));
  }
  if (!reply.is_ok()) {
    if (rejected) {
      // The action server rejected the action (Rasa's ActionExecutionRejection).
      Event rej;
      rej.type = EventType::kActionExecutionRejected;
      rej.name = action;
      st.add(std::move(rej));
      st.exclude = action;
      return;
    }
    action_failed(st, action, reply.error, reply.outcome == ActionOutcome::kTimedOut);
    return;
  }
  switch (kind) {
    case TurnState::Pending::kCustom:
      st.add(Event::action(action, 0, st.call_prediction.policy, st.call_prediction.confidence));
      apply_action_response(st, reply.body);
      break;
    case TurnState::Pending::kFormValidate: {
      apply_action_response(st, reply.body);
      const project::Form* form = st.bot->domain().find_form(st.pending_form);
      if (form && request_next_slot(st, *form)) return;
      break;
    }
    case TurnState::Pending::kFormAsk:
      apply_action_response(st, reply.body);
      break;
    case TurnState::Pending::kNone:
      break;
  }
}

void TurnRunner::run_blocking(ActionClient* client) {
  while (run() == State::kNeedsAction) {
    if (client && !state_->request->url.empty())
      resume(client->call(*state_->request));
    else
      resume(ActionReply::failed(Status::unavailable("no action endpoint is configured (endpoints.yml action_endpoint)")));
  }
}

}  // namespace parley::dialogue
