// Test-story evaluation.
#include "dialogue/story_eval.h"

#include <cstdio>

#include "dialogue/turn.h"

namespace parley::dialogue {

namespace {

std::string fmt_conf(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", c);
  return buf;
}

// What a turn did, in order, without the bookkeeping actions.
struct Observed {
  enum Kind { kAction, kSlot, kLoop } kind;
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

  void fail(size_t i, const project::Step& s, std::string expected, std::string predicted) {
    r.passed = false;
    r.failed_step = i + 1;
    r.failed_at = s.loc;
    r.expected = std::move(expected);
    r.predicted = std::move(predicted);
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
    run.fail(i, step, "the bot to listen", "action " + extra->name + " (" + extra->policy + ")");
    return;
  }
  const project::UserStep& u = step.kind == project::Step::Kind::kUser ? step.user : step.alternatives.front();
  std::string text = user_text_for(u);
  nlu::ParseResult parsed = run.bot->nlu->parse(text);
  r.transcript.push_back("user: " + text + " [" + parsed.intent.name + " " +
                         fmt_conf(parsed.intent.confidence) + "]");
  // A user step without an intent is an end-to-end message: only the actions are checked.
  bool intent_ok = u.intent.empty() || parsed.intent.name == u.intent;
  if (step.kind == project::Step::Kind::kOr)
    for (const auto& alt : step.alternatives) intent_ok = intent_ok || parsed.intent.name == alt.intent;
  if (!intent_ok) {
    run.fail(i, step, "intent " + u.intent, "intent " + parsed.intent.name + " (" +
                                                fmt_conf(parsed.intent.confidence) + ") for \"" + text + "\"");
    return;
  }
  for (const auto& want : u.entities) {
    bool found = false;
    for (const auto& got : parsed.entities)
      if (got.entity == want.entity && (want.value.empty() || got.value == want.value)) found = true;
    if (!found) {
      std::string got_list;
      for (const auto& got : parsed.entities) got_list += (got_list.empty() ? "" : ", ") + got.entity + "=" + got.value;
      run.fail(i, step, "entity " + want.entity + "=" + want.value,
               got_list.empty() ? std::string("no entities") : "entities " + got_list);
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
    run.fail(i, step, "action " + step.name, "action_listen");
    return;
  }
  run.r.transcript.push_back("action: " + next->name + " (" + next->policy + ")");
  if (next->name != step.name) {
    run.fail(i, step, "action " + step.name, "action " + next->name + " (" + next->policy + ")");
    return;
  }
  ++run.cursor;
}

// A slot_was_set step: the tracker holds each slot's value (or any value).
void slot_step(StoryRun& run, size_t i, const project::Step& step) {
  for (const auto& sv : step.slots) {
    const json::value& actual = run.tracker.slot(sv.name);
    bool ok = sv.any_value ? !actual.is_null() : actual == sv.value;
    if (!ok) {
      run.fail(i, step, "slot " + sv.name + " = " + (sv.any_value ? "<any>" : json::serialize(sv.value)),
               "slot " + sv.name + " = " + json::serialize(actual));
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
    run.fail(i, step, "active_loop " + (step.name.empty() ? std::string("null") : step.name),
             "active_loop " + (active.empty() ? std::string("null") : active));
}

}  // namespace

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
      r.passed = false;
      r.failed_step = story.steps.size();
      r.failed_at = story.steps.empty() ? story.loc : story.steps.back().loc;
      r.expected = "the bot to listen (end of story)";
      r.predicted = "action " + extra->name + " (" + extra->policy + ")";
    }
  return std::move(r);
}

json::object story_results_json(const std::vector<StoryResult>& results) {
  json::array stories;
  size_t passed = 0;
  for (const auto& r : results) {
    passed += r.passed;
    json::object o{{"story", r.name}, {"file", r.loc.to_string()}, {"passed", r.passed}};
    if (!r.passed) {
      o["failed_step"] = r.failed_step;
      o["failed_at"] = r.failed_at.to_string();
      o["expected"] = r.expected;
      o["predicted"] = r.predicted;
    }
    json::array t;
    for (const auto& line : r.transcript) t.push_back(json::value(line));
    o["transcript"] = std::move(t);
    stories.push_back(std::move(o));
  }
  return {{"passed", passed}, {"failed", results.size() - passed}, {"stories", std::move(stories)}};
}

}  // namespace parley::dialogue
