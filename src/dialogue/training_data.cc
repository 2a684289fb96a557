// Replaying stories and rules into trackers: the training data of memoization and the learned
// policy.
#include "dialogue/training_data.h"

#include <algorithm>
#include <map>

#include "dialogue/slot_mapping.h"
#include "dialogue/tracker.h"

namespace parley::dialogue {

void expand_or(const StepPath& steps, size_t i, StepPath& current, std::vector<StepPath>& out,
               std::deque<project::Step>& storage, size_t limit) {
  if (out.size() >= limit) return;
  if (i == steps.size()) {
    out.push_back(current);
    return;
  }
  const project::Step* s = steps[i];
  if (s->kind == project::Step::Kind::kOr) {
    for (const auto& alt : s->alternatives) {
      project::Step u;
      u.kind = project::Step::Kind::kUser;
      u.user = alt;
      u.loc = s->loc;
      storage.push_back(std::move(u));
      current.push_back(&storage.back());
      expand_or(steps, i + 1, current, out, storage, limit);
      current.pop_back();
    }
    return;
  }
  current.push_back(s);
  expand_or(steps, i + 1, current, out, storage, limit);
  current.pop_back();
}

namespace {

constexpr size_t kMaxExpandedPaths = 20000;
constexpr size_t kMaxCheckpointDepth = 12;

struct Segment {
  const project::Story* story;
  std::vector<std::string> starts;  // checkpoints the story continues from
  std::vector<std::string> ends;    // checkpoints the story leads to
  StepPath body;
};

Segment split_story(const project::Story& story) {
  Segment seg{&story, {}, {}, {}};
  size_t b = 0, e = story.steps.size();
  while (b < e && story.steps[b].kind == project::Step::Kind::kCheckpoint) seg.starts.push_back(story.steps[b++].name);
  while (e > b && story.steps[e - 1].kind == project::Step::Kind::kCheckpoint) seg.ends.push_back(story.steps[--e].name);
  for (size_t i = b; i < e; ++i)
    if (story.steps[i].kind != project::Step::Kind::kCheckpoint) seg.body.push_back(&story.steps[i]);
  return seg;
}

// Joins story segments through their checkpoints into whole paths from a conversation start.
std::vector<std::pair<std::string, StepPath>> expand_checkpoints(const std::vector<project::Story>& stories,
                                                             std::vector<project::Diagnostic>& diags) {
  std::vector<Segment> segs;
  for (const auto& s : stories) segs.push_back(split_story(s));
  std::multimap<std::string, const Segment*> by_start;
  for (const auto& s : segs)
    for (const auto& c : s.starts) by_start.emplace(c, &s);
  std::vector<std::pair<std::string, StepPath>> out;
  bool cut = false;
  std::function<void(const Segment&, StepPath, std::string, size_t)> walk =
      [&](const Segment& seg, StepPath prefix, std::string name, size_t depth) {
        if (out.size() >= kMaxExpandedPaths) {
          cut = true;
          return;
        }
        prefix.insert(prefix.end(), seg.body.begin(), seg.body.end());
        bool continued = false;
        if (depth < kMaxCheckpointDepth) {
          for (const auto& c : seg.ends) {
            auto [lo, hi] = by_start.equal_range(c);
            for (auto it = lo; it != hi; ++it) {
              continued = true;
              walk(*it->second, prefix, name + " > " + it->second->story->name, depth + 1);
            }
          }
        } else if (!seg.ends.empty()) {
          cut = true;
        }
        if (!continued) out.emplace_back(name, std::move(prefix));
      };
  for (const auto& s : segs)
    if (s.starts.empty()) walk(s, {}, s.story->name, 0);
  if (cut && !stories.empty())
    diags.push_back({project::Diagnostic::Severity::kWarning, stories.front().loc,
                     "stories expand through checkpoints into more than " +
                         std::to_string(kMaxExpandedPaths) + " paths or " +
                         std::to_string(kMaxCheckpointDepth) + " levels; the rest were left out"});
  return out;
}

// Replays one path from a conversation start: `before` (rule conditions) first, then `steps`;
// `listen_at_end`: a bot turn left open at the end is closed by action_listen.
void replay_path(const StepPath& before, const StepPath& steps, bool listen_at_end, const Featurizer& fz,
                 const std::string& name, const RecordStep& record) {
  Tracker t = story_tracker(fz.domain());
  auto record_action = [&](const std::string& action) {
    record(tracker_states(t, fz, /*for_memo=*/true), action, name);
  };
  auto ignore = [](const std::string&) {};
  for (const project::Step* s : before) replay_step(*s, t, ignore);
  for (const project::Step* s : steps) replay_step(*s, t, record_action);
  if (listen_at_end && t.latest_action() != "action_listen" && t.latest_message()) record_action("action_listen");
}

}  // namespace

json::value parse_data_for(const project::UserStep& u) {
  json::object intent{{"name", u.intent}, {"confidence", 1.0}};
  json::array entities;
  for (const auto& e : u.entities) {
    json::object ent{{"entity", e.entity}, {"value", e.value}};
    if (e.role) ent["role"] = *e.role;
    if (e.group) ent["group"] = *e.group;
    entities.push_back(std::move(ent));
  }
  return json::object{{"intent", std::move(intent)}, {"entities", std::move(entities)}};
}

json::value story_slot_value(const project::Domain& domain, const project::SlotValue& sv) {
  if (!sv.any_value) return sv.value;
  const project::Slot* slot = domain.find_slot(sv.name);
  if (slot && slot->type == project::SlotType::kBool) return true;
  if (slot && slot->type == project::SlotType::kList) return json::array{"__set__"};
  return "__set__";
}

Tracker story_tracker(const project::Domain& domain) {
  Tracker t("story", &domain, 1u << 20);
  t.apply(Event::action("action_session_start", 0));
  t.apply(Event::simple(EventType::kSessionStarted, 0));
  t.apply(Event::action("action_listen", 0));
  return t;
}

void replay_step(const project::Step& s, Tracker& t, const std::function<void(const std::string&)>& before_action) {
  const project::Domain& domain = t.domain();
  switch (s.kind) {
    case project::Step::Kind::kUser:
      if (t.latest_action() != "action_listen") {
        before_action("action_listen");
        t.apply(Event::action("action_listen", 0));
      }
      t.apply(Event::user(s.user.text.value_or(""), parse_data_for(s.user), "", 0));
      for (auto& c : implied_slots(domain, s.user.entities)) t.apply(Event::slot(c.slot, std::move(c.value), 0));
      break;
    case project::Step::Kind::kAction:
      before_action(s.name);
      t.apply(Event::action(s.name, 0));
      break;
    case project::Step::Kind::kSlotWasSet:
      for (const auto& sv : s.slots) t.apply(Event::slot(sv.name, story_slot_value(domain, sv), 0));
      break;
    case project::Step::Kind::kActiveLoop:
      t.apply(Event::active_loop(s.name, 0));
      break;
    default:
      break;
  }
}

void replay_stories(const std::vector<project::Story>& stories, const Featurizer& featurizer,
                    std::vector<project::Diagnostic>& diagnostics, const RecordStep& record) {
  std::deque<project::Step> storage;
  for (const auto& [name, path] : expand_checkpoints(stories, diagnostics)) {
    std::vector<StepPath> paths;
    StepPath cur;
    expand_or(path, 0, cur, paths, storage, 4096);
    for (const auto& steps : paths) replay_path({}, steps, true, featurizer, name, record);
  }
}

void replay_rules(const std::vector<project::Story>& rules, const Featurizer& featurizer, const RecordStep& record) {
  std::deque<project::Step> storage;
  for (const auto& rule : rules) {
    StepPath before, steps;
    for (const auto& c : rule.condition) before.push_back(&c);
    for (const auto& s : rule.steps)
      if (s.kind != project::Step::Kind::kAnyHistory) steps.push_back(&s);
    // A leading action is the rule's precondition (see compile_rule): applied, not learned.
    if (!rule.conversation_start) {
      auto first = std::find_if(steps.begin(), steps.end(), [](const project::Step* s) {
        return s->kind == project::Step::Kind::kAction || s->kind == project::Step::Kind::kUser ||
               s->kind == project::Step::Kind::kOr;
      });
      if (first != steps.end() && (*first)->kind == project::Step::Kind::kAction) {
        before.insert(before.end(), steps.begin(), first + 1);
        steps.erase(steps.begin(), first + 1);
      }
    }
    bool ends_open = !rule.steps.empty() && rule.steps.back().kind == project::Step::Kind::kAnyHistory;
    std::vector<StepPath> paths;
    StepPath cur;
    expand_or(steps, 0, cur, paths, storage, 256);
    for (const auto& p : paths)
      replay_path(before, p, rule.wait_for_user_input && !ends_open, featurizer, rule.name, record);
  }
}

}  // namespace parley::dialogue
