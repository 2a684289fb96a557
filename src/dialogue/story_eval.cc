// Test-story evaluation: Rasa's way (predictions from the story's own history) and the live way
// (real turns).
#include "dialogue/story_eval.h"

#include <cstdio>
#include <set>

#include "dialogue/policy.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/states.h"
#include "dialogue/training_data.h"
#include "dialogue/turn.h"

namespace parley::dialogue {

namespace {

// As the turn loop: at most this many actions follow one user message.
constexpr size_t kMaxActionsPerMessage = 10;

std::string fmt_conf(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", c);
  return buf;
}

std::string policy_label(const std::string& policy, double confidence) {
  return confidence >= 1.0 ? policy : policy + " " + fmt_conf(confidence);
}

std::string quoted(std::string_view s) { return json::serialize(json::value(s)); }

// "entity=value, ..." of a set of (entity, value) pairs; "no entities" when empty.
std::string entity_list(const std::set<std::pair<std::string, std::string>>& entities) {
  std::string out;
  for (const auto& [entity, value] : entities) out += (out.empty() ? "" : ", ") + entity + "=" + value;
  return out.empty() ? "no entities" : out;
}

// ---- Rasa's way -------------------------------------------------------------------------------

// Why the policies chose `p`, in words, for a wrong prediction.
std::string explain(const Prediction& p, const PolicySet& policies, const Tracker& t, StatesCache& states) {
  const auto& config = policies.config();
  if (p.policy == "rule") return "rule '" + p.source + "' matched";
  if (p.policy == "memoization") return "story '" + p.source + "' was memorised with this history";
  if (p.policy == "augmented_memoization")
    return "story '" + p.source + "' was memorised with the end of this history (its oldest turns forgotten)";
  if (p.policy == "loop") return "form '" + t.active_loop() + "' is active";
  if (p.policy == "followup") return "the previous action set a followup action";
  if (p.policy == "fallback" && p.action != "action_listen") {
    std::string why = "no rule or story matched this conversation";
    if (config.learned_policy_enabled)
      if (auto learned = policies.predict_learned(states.get(t, policies.featurizer(), true), "")) {
        why += "; " + learned->policy + "'s best was " + learned->action + " (" + fmt_conf(learned->confidence) +
               "), below core_fallback_threshold " + fmt_conf(config.core_fallback_threshold);
      }
    return why;
  }
  if (p.policy == "fallback" || p.policy == "default") {
    if (p.action == "action_listen") return "no rule or story says what follows this action, so the bot listens";
    return "a default action for the message";
  }
  return p.policy + " (the learned policy) predicted it with confidence " + fmt_conf(p.confidence);
}

struct Evaluation {
  Evaluation(const Agent& agent, const project::Story& story, const EvalOptions& opts)
      : bot(agent), policies(*agent.policies), options(opts), tracker(story_tracker(agent.domain())) {
    r.name = story.name;
    r.loc = story.loc;
  }

  const Agent& bot;
  const PolicySet& policies;
  const EvalOptions& options;
  Tracker tracker;
  StatesCache states;
  size_t since_user = 0;  // actions predicted since the latest user message
  bool listened = true;   // the latest event applied is action_listen
  StoryResult r;

  void apply(const Event& e) {
    listened = e.type == EventType::kAction && e.name == "action_listen";
    tracker.apply(e);
  }

  void add(StepCheck c) {
    if (!c.correct && c.decides) r.passed = false;
    r.checks.push_back(std::move(c));
  }

  // Predicts the action before story step i (whose action is `gold`), records the comparison,
  // then applies the story's action.
  void action(size_t i, const project::Step& s, const std::string& gold) {
    StepCheck c;
    c.step = i + 1;
    c.at = s.loc;
    c.expected = gold;
    if (since_user >= kMaxActionsPerMessage) {
      c.predicted = "circuit breaker tripped";
      c.policy = "default";
      c.why = "more than " + std::to_string(kMaxActionsPerMessage) + " actions after one user message";
    } else {
      Prediction p = predict_next_action(policies, tracker, states, "");
      const std::string& loop = tracker.active_loop();
      if (p.action != gold && !loop.empty() && p.action == loop && bot.domain().find_form(loop)) {
        // As Rasa's test does: the form may have rejected the message (its validation is not run
        // here), so emulate the rejection and predict again.
        Event rejected;
        rejected.type = EventType::kActionExecutionRejected;
        rejected.name = loop;
        tracker.apply(rejected);
        p = predict_next_action(policies, tracker, states, "");
      }
      c.predicted = p.action;
      c.policy = p.policy;
      c.confidence = p.confidence;
      if (p.action != gold) c.why = explain(p, policies, tracker, states);
    }
    c.correct = c.predicted == gold;
    r.transcript.push_back("action: " + c.predicted + " (" + policy_label(c.policy, c.confidence) + ")" +
                           (c.correct ? "" : "   <- the story has " + gold));
    ++since_user;
    apply(Event::action(gold, 0, c.policy, c.confidence));
    add(std::move(c));
  }

  void user(size_t i, const project::Step& s) {
    // As in Rasa's story trackers, every user message follows an action_listen: one the story
    // leaves out (after a bot action, another message or a slot) is predicted too.
    if (!listened) action(i, s, "action_listen");
    const project::UserStep& u = s.kind == project::Step::Kind::kUser ? s.user : s.alternatives.front();
    json::value parse = parse_data_for(u);
    const std::vector<project::EntityAnnotation>* entities = &u.entities;
    project::UserStep read;
    if (u.text) {
      nlu::ParseResult parsed = bot.nlu->parse(*u.text);
      r.transcript.push_back("user: " + *u.text + " [" + parsed.intent.name + " " + fmt_conf(parsed.intent.confidence) +
                             "]");
      if (u.intent.empty()) {
        // An end-to-end step without an intent: the NLU's reading stands for it.
        read.intent = parsed.intent.name;
        for (const auto& e : parsed.entities) read.entities.push_back({e.entity, e.value, {}, 0, 0, e.role, e.group});
        parse = parse_data_for(read);
        entities = &read.entities;
      } else {
        compare_nlu(i, s, u, parsed);
      }
    } else {
      r.transcript.push_back("user: /" + u.intent);
    }
    apply(Event::user(u.text.value_or(""), std::move(parse), "", 0));
    // As Rasa's test trackers: the slots the message's entities imply are set right after it.
    for (auto& c : implied_slots(bot.domain(), *entities)) apply(Event::slot(c.slot, std::move(c.value), 0));
    since_user = 0;
  }

  void compare_nlu(size_t i, const project::Step& s, const project::UserStep& u, const nlu::ParseResult& parsed) {
    StepCheck c;
    c.kind = StepCheck::Kind::kIntent;
    c.step = i + 1;
    c.at = s.loc;
    c.expected = u.intent;
    c.predicted = parsed.intent.name;
    c.confidence = parsed.intent.confidence;
    c.decides = options.e2e;
    c.correct = parsed.intent.name == u.intent;
    if (s.kind == project::Step::Kind::kOr)
      for (const auto& alt : s.alternatives) c.correct = c.correct || parsed.intent.name == alt.intent;
    if (!c.correct) c.why = "the NLU read \"" + *u.text + "\" as " + parsed.intent.name + " (" + fmt_conf(c.confidence) + ")";
    add(std::move(c));
    std::set<std::pair<std::string, std::string>> want, got;
    for (const auto& e : u.entities) want.emplace(e.entity, e.value);
    for (const auto& e : parsed.entities) got.emplace(e.entity, e.value);
    if (want.empty() && got.empty()) return;
    StepCheck e;
    e.kind = StepCheck::Kind::kEntities;
    e.step = i + 1;
    e.at = s.loc;
    e.expected = entity_list(want);
    e.predicted = entity_list(got);
    e.decides = options.e2e;
    e.correct = want == got;
    if (!e.correct) e.why = "the NLU found " + e.predicted + " in \"" + *u.text + "\"";
    add(std::move(e));
  }
};

// ---- the live way -----------------------------------------------------------------------------

// What a turn did, in order, without the bookkeeping actions.
struct Observed {
  enum Kind { kAction, kSlot, kLoop, kError } kind;
  std::string name;
  json::value value;
  std::string policy;
};

std::vector<Observed> observe(const std::vector<Event>& events) {
  std::vector<Observed> out;
  bool after_user = false;
  for (const auto& e : events) {
    if (e.type == EventType::kUser) {
      after_user = true;
      continue;
    }
    if (!after_user) continue;
    if (e.type == EventType::kAction && e.name != "action_listen")
      out.push_back({Observed::kAction, e.name, nullptr, action_policy_label(e)});
    else if (e.type == EventType::kSlot)
      out.push_back({Observed::kSlot, e.name, e.value, {}});
    else if (e.type == EventType::kActiveLoop)
      out.push_back({Observed::kLoop, e.name, nullptr, {}});
    else if (e.type == EventType::kError)
      out.push_back({Observed::kError, e.name, json::value(e.text), {}});
  }
  return out;
}

std::string user_text_for(const project::UserStep& u) {
  if (u.text) return *u.text;
  // Stories without text: send the intent as a payload, as Rasa's test does for intent-only steps.
  std::string s = "/" + u.intent;
  if (!u.entities.empty()) {
    json::object o;
    for (const auto& e : u.entities) o[e.entity] = e.value;
    s += json::serialize(o);
  }
  return s;
}

// One story being run: its tracker, what the latest turn did that no step has matched yet, and
// the result so far.
struct StoryRun {
  StoryRun(const std::shared_ptr<const Agent>& agent, ActionClient* actions, const project::Story& story)
      : bot(agent), client(actions), tracker("test-" + story.name, &agent->domain()) {
    r.name = story.name;
    r.loc = story.loc;
  }

  const std::shared_ptr<const Agent>& bot;
  ActionClient* client;
  Tracker tracker;
  std::vector<Observed> pending;
  size_t cursor = 0;
  StoryResult r;

  void check(size_t i, const project::Step& s, StepCheck::Kind kind, std::string expected, std::string predicted,
             std::string policy = {}, std::string why = {}) {
    StepCheck c;
    c.kind = kind;
    c.step = i + 1;
    c.at = s.loc;
    c.correct = expected == predicted;
    c.expected = std::move(expected);
    c.predicted = std::move(predicted);
    c.policy = std::move(policy);
    // A wrong action that follows a failed call names the failure.
    if (!c.correct && why.empty())
      for (const auto& o : pending)
        if (o.kind == Observed::kError) why = o.value.as_string().c_str();
    c.why = std::move(why);
    if (!c.correct) r.passed = false;
    r.checks.push_back(std::move(c));
  }
  const Observed* leftover_action() const {
    for (size_t k = cursor; k < pending.size(); ++k)
      if (pending[k].kind == Observed::kAction) return &pending[k];
    return nullptr;
  }
};

// A user step (or an `or` of them): the bot must have listened, NLU must find the intent and the
// entities, then the turn runs.
void user_step(StoryRun& run, size_t i, const project::Step& step) {
  StoryResult& r = run.r;
  if (const Observed* extra = run.leftover_action()) {
    run.check(i, step, StepCheck::Kind::kAction, "action_listen", extra->name, extra->policy);
    return;
  }
  const project::UserStep& u = step.kind == project::Step::Kind::kUser ? step.user : step.alternatives.front();
  std::string text = user_text_for(u);
  nlu::ParseResult parsed = run.bot->nlu->parse(text);
  r.transcript.push_back("user: " + text + " [" + parsed.intent.name + " " + fmt_conf(parsed.intent.confidence) + "]");
  // A user step without an intent is an end-to-end message: only the actions are checked.
  bool intent_ok = u.intent.empty() || parsed.intent.name == u.intent;
  if (step.kind == project::Step::Kind::kOr)
    for (const auto& alt : step.alternatives) intent_ok = intent_ok || parsed.intent.name == alt.intent;
  if (!intent_ok) {
    run.check(i, step, StepCheck::Kind::kIntent, u.intent, parsed.intent.name, {},
              "the NLU read \"" + text + "\" as " + parsed.intent.name + " (" + fmt_conf(parsed.intent.confidence) + ")");
    return;
  }
  for (const auto& want : u.entities) {
    std::set<std::pair<std::string, std::string>> got;
    bool found = false;
    for (const auto& e : parsed.entities) {
      got.emplace(e.entity, e.value);
      if (e.entity == want.entity && (want.value.empty() || e.value == want.value)) found = true;
    }
    if (!found) {
      run.check(i, step, StepCheck::Kind::kEntities, want.entity + "=" + want.value, entity_list(got));
      return;
    }
  }
  TurnInput in;
  in.text = text;
  in.message_id = "m" + std::to_string(i);
  TurnRunner turn(run.bot, run.tracker, in);
  turn.run_blocking(run.client);
  run.pending = observe(turn.new_events());
  run.cursor = 0;
  for (const auto& m : turn.messages()) r.transcript.push_back("bot: " + m.text);
}

// An action step: the next action the latest turn ran must be this one.
void action_step(StoryRun& run, size_t i, const project::Step& step) {
  const Observed* next = nullptr;
  while (run.cursor < run.pending.size()) {
    if (run.pending[run.cursor].kind == Observed::kAction) {
      next = &run.pending[run.cursor];
      break;
    }
    ++run.cursor;
  }
  if (!next) {
    run.check(i, step, StepCheck::Kind::kAction, step.name, "action_listen", "default");
    return;
  }
  run.r.transcript.push_back("action: " + next->name + " (" + next->policy + ")");
  run.check(i, step, StepCheck::Kind::kAction, step.name, next->name, next->policy);
  ++run.cursor;
}

// A slot_was_set step: the latest turn set each slot to its value (or any value), or the tracker
// holds it (a later action of the same turn, action_restart for one, may have reset it since).
void slot_step(StoryRun& run, size_t i, const project::Step& step) {
  auto matches = [](const project::SlotValue& sv, const json::value& v) {
    return sv.any_value ? !v.is_null() : v == sv.value;
  };
  for (const auto& sv : step.slots) {
    bool ok = matches(sv, run.tracker.slot(sv.name));
    for (const auto& o : run.pending) ok = ok || (o.kind == Observed::kSlot && o.name == sv.name && matches(sv, o.value));
    if (!ok) {
      run.check(i, step, StepCheck::Kind::kState,
                "slot " + sv.name + " = " + (sv.any_value ? "<any>" : json::serialize(sv.value)),
                "slot " + sv.name + " = " + json::serialize(run.tracker.slot(sv.name)));
      return;
    }
  }
}

// An active_loop step: the latest turn set this loop, or it is the active one.
void loop_step(StoryRun& run, size_t i, const project::Step& step) {
  bool seen = false;
  for (const auto& o : run.pending)
    if (o.kind == Observed::kLoop && o.name == step.name) seen = true;
  const std::string& active = run.tracker.active_loop();
  if (!seen && active != step.name)
    run.check(i, step, StepCheck::Kind::kState, "active_loop " + (step.name.empty() ? std::string("null") : step.name),
              "active_loop " + (active.empty() ? std::string("null") : active));
}

// ---- failed_test_stories.yml ------------------------------------------------------------------

// The user's text with its entities annotated again, `[text](entity)` or `[text](entity:value)`.
std::string annotated(const project::UserStep& u) {
  const std::string& text = *u.text;
  std::string out;
  size_t at = 0;
  for (const auto& e : u.entities) {
    if (e.end <= e.start || e.start < at || e.end > text.size()) continue;
    out += text.substr(at, e.start - at);
    std::string shown = text.substr(e.start, e.end - e.start);
    out += "[" + shown + "](" + e.entity + (e.value != shown ? ":" + e.value : "") + ")";
    at = e.end;
  }
  return out + text.substr(at);
}

std::string predicted_comment(const StepCheck& c) {
  return "  # predicted: " + c.predicted + (c.kind == StepCheck::Kind::kAction && !c.policy.empty()
                                                ? " (" + policy_label(c.policy, c.confidence) + ")"
                                                : "");
}

}  // namespace

const StepCheck* StoryResult::first_failure() const {
  for (const auto& c : checks)
    if (!c.correct && c.decides) return &c;
  return nullptr;
}

size_t StoryResult::actions() const {
  size_t n = 0;
  for (const auto& c : checks) n += c.kind == StepCheck::Kind::kAction;
  return n;
}

size_t StoryResult::actions_correct() const {
  size_t n = 0;
  for (const auto& c : checks) n += c.kind == StepCheck::Kind::kAction && c.correct;
  return n;
}

StoryResult evaluate_story(const Agent& bot, const project::Story& story, const EvalOptions& options) {
  Evaluation ev(bot, story, options);
  for (size_t i = 0; i < story.steps.size(); ++i) {
    const project::Step& step = story.steps[i];
    switch (step.kind) {
      case project::Step::Kind::kUser:
      case project::Step::Kind::kOr:
        ev.user(i, step);
        break;
      case project::Step::Kind::kAction:
        ev.action(i, step, step.name);
        break;
      case project::Step::Kind::kSlotWasSet:
        for (const auto& sv : step.slots)
          ev.apply(Event::slot(sv.name, story_slot_value(bot.domain(), sv), 0));
        break;
      case project::Step::Kind::kActiveLoop:
        ev.apply(Event::active_loop(step.name, 0));
        break;
      default:
        break;
    }
  }
  return std::move(ev.r);
}

StoryResult run_test_story(const std::shared_ptr<const Agent>& bot, const project::Story& story,
                           ActionClient* client) {
  StoryRun run(bot, client, story);
  StoryResult& r = run.r;
  for (size_t i = 0; i < story.steps.size() && r.passed; ++i) {
    const project::Step& step = story.steps[i];
    switch (step.kind) {
      case project::Step::Kind::kUser:
      case project::Step::Kind::kOr:
        user_step(run, i, step);
        break;
      case project::Step::Kind::kAction:
        action_step(run, i, step);
        break;
      case project::Step::Kind::kSlotWasSet:
        slot_step(run, i, step);
        break;
      case project::Step::Kind::kActiveLoop:
        loop_step(run, i, step);
        break;
      default:
        break;
    }
  }
  if (r.passed)
    if (const Observed* extra = run.leftover_action()) {
      project::Step end_of_story;
      end_of_story.loc = story.steps.empty() ? story.loc : story.steps.back().loc;
      run.check(story.steps.size(), end_of_story, StepCheck::Kind::kAction,
                "action_listen", extra->name, extra->policy, "the story ends but the bot went on");
    }
  return std::move(r);
}

StoryResult malformed_story(const std::string& name, const project::SourceLoc& loc, std::string error) {
  StoryResult r;
  r.name = name;
  r.loc = loc;
  r.passed = false;
  r.error = std::move(error);
  return r;
}

json::object story_results_json(const std::vector<StoryResult>& results) {
  json::array stories;
  size_t passed = 0, actions = 0, correct = 0;
  for (const auto& r : results) {
    passed += r.passed;
    actions += r.actions();
    correct += r.actions_correct();
    json::object o{{"story", r.name}, {"file", r.loc.to_string()}, {"passed", r.passed}};
    if (!r.error.empty()) o["error"] = r.error;
    if (const StepCheck* f = r.first_failure()) {
      o["failed_step"] = f->step;
      o["failed_at"] = f->at.to_string();
      o["expected"] = f->expected;
      o["predicted"] = f->predicted;
    }
    json::array checks;
    for (const auto& c : r.checks) {
      const char* kind = c.kind == StepCheck::Kind::kAction   ? "action"
                         : c.kind == StepCheck::Kind::kIntent ? "intent"
                         : c.kind == StepCheck::Kind::kState  ? "state"
                                                              : "entities";
      json::object co{{"kind", kind},         {"step", c.step},           {"at", c.at.to_string()},
                      {"expected", c.expected}, {"predicted", c.predicted}, {"correct", c.correct}};
      if (!c.policy.empty()) co["policy"] = c.policy;
      if (c.kind == StepCheck::Kind::kAction || c.kind == StepCheck::Kind::kIntent) co["confidence"] = c.confidence;
      if (!c.why.empty()) co["why"] = c.why;
      if (!c.decides) co["counted"] = false;
      checks.push_back(std::move(co));
    }
    o["checks"] = std::move(checks);
    json::array t;
    for (const auto& line : r.transcript) t.push_back(json::value(line));
    o["transcript"] = std::move(t);
    stories.push_back(std::move(o));
  }
  json::object totals{{"total", actions}, {"correct", correct},
                      {"accuracy", actions == 0 ? 1.0 : static_cast<double>(correct) / static_cast<double>(actions)}};
  return {{"passed", passed},
          {"failed", results.size() - passed},
          {"actions", std::move(totals)},
          {"stories", std::move(stories)}};
}

std::string failed_story_yaml(const project::Story& story, const StoryResult& result) {
  std::string out = "- story: " + quoted(story.name) + "  # " + story.loc.to_string() + "\n";
  if (!result.error.empty()) out += "  # could not run: " + result.error + "\n";
  out += "  steps:\n";
  auto wrong = [&](size_t step, StepCheck::Kind kind, bool listen) -> const StepCheck* {
    for (const auto& c : result.checks)
      if (c.step == step && c.kind == kind && !c.correct && (kind != StepCheck::Kind::kAction || (c.expected == "action_listen") == listen))
        return &c;
    return nullptr;
  };
  for (size_t i = 0; i < story.steps.size(); ++i) {
    const project::Step& s = story.steps[i];
    const size_t n = i + 1;
    switch (s.kind) {
      case project::Step::Kind::kUser:
      case project::Step::Kind::kOr: {
        if (const StepCheck* c = wrong(n, StepCheck::Kind::kAction, true))
          out += "  - action: action_listen" + predicted_comment(*c) + "\n";
        const project::UserStep& u = s.kind == project::Step::Kind::kUser ? s.user : s.alternatives.front();
        const StepCheck* ci = wrong(n, StepCheck::Kind::kIntent, false);
        const StepCheck* ce = wrong(n, StepCheck::Kind::kEntities, false);
        const std::string& intent = u.full_retrieval_intent.empty() ? u.intent : u.full_retrieval_intent;
        if (u.text) {
          out += "  - user: " + quoted(annotated(u)) + (ce ? "  # predicted entities: " + ce->predicted : "") + "\n";
          if (!intent.empty()) out += "    intent: " + intent + (ci ? "  # predicted: " + ci->predicted : "") + "\n";
        } else {
          out += "  - intent: " + intent + "\n";
          if (!u.entities.empty()) {
            out += "    entities:\n";
            for (const auto& e : u.entities) out += "    - " + e.entity + ": " + quoted(e.value) + "\n";
          }
        }
        break;
      }
      case project::Step::Kind::kAction: {
        const StepCheck* c = wrong(n, StepCheck::Kind::kAction, s.name == "action_listen");
        out += "  - action: " + s.name + (c ? predicted_comment(*c) : "") + "\n";
        break;
      }
      case project::Step::Kind::kSlotWasSet:
        out += "  - slot_was_set:\n";
        for (const auto& sv : s.slots)
          out += sv.any_value ? "    - " + sv.name + "\n" : "    - " + sv.name + ": " + json::serialize(sv.value) + "\n";
        break;
      case project::Step::Kind::kActiveLoop:
        out += "  - active_loop: " + (s.name.empty() ? std::string("null") : s.name) + "\n";
        break;
      case project::Step::Kind::kCheckpoint:
        out += "  - checkpoint: " + s.name + "\n";
        break;
      default:
        break;
    }
  }
  // A wrong prediction after the last step (the live way: the bot went on).
  for (const auto& c : result.checks)
    if (!c.correct && c.step > story.steps.size())
      out += "  - action: action_listen" + predicted_comment(c) + "\n";
  return out;
}

}  // namespace parley::dialogue
