// Compiling stories and rules into lookup structures, and predicting from them.
#include "dialogue/policy.h"

#include <algorithm>
#include <map>
#include <deque>
#include <functional>
#include <set>
#include <utility>

#include "dialogue/learned_policy.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/tracker.h"
#include "dialogue/training_data.h"

namespace parley::dialogue {

bool RuleState::matches(const State& s) const {
  for (Feature f : required)
    if (!s.has(f)) return false;
  for (Feature f : forbidden)
    if (s.has(f)) return false;
  return true;
}

namespace {

using Path = StepPath;

// ---- rules ----

struct RuleBuilder {
  const Featurizer& fz;
  std::map<std::string, std::pair<std::vector<Feature>, std::vector<Feature>>> slots;  // slot -> (req, forb)
  std::vector<Feature> loop_req, loop_forb, user;
  std::string prev;

  void set_loop(const std::string& name) {
    loop_req.clear();
    loop_forb.clear();
    if (name.empty()) {
      loop_forb.push_back(feature("loop"));
    } else {
      loop_req.push_back(feature("loop"));
      loop_req.push_back(feature("loop:" + name));
    }
  }
  void set_slot(const project::SlotValue& sv) {
    auto& [req, forb] = slots[sv.name];
    req.clear();
    forb.clear();
    const project::Slot* slot = fz.domain().find_slot(sv.name);
    if (!sv.any_value && sv.value.is_null()) {
      forb.push_back(feature(slot_feature_name(sv.name)));
    } else if (sv.any_value || !slot) {
      req.push_back(feature(slot_feature_name(sv.name)));
    } else {
      fz.slot_features(*slot, sv.value, req, /*always=*/true);
    }
  }
  void set_user(const project::UserStep& u) {
    user.clear();
    user.push_back(feature("intent:" + u.intent));
    for (const auto& e : u.entities) add_entity_features(user, e.entity, e.role, e.group);
    // The slots the message's entities imply, as Rasa's rule trackers have them (only those that
    // reach the state: slots that influence the conversation).
    for (auto& c : implied_slots(fz.domain(), u.entities)) {
      const project::Slot* slot = fz.domain().find_slot(c.slot);
      if (slot && slot->influence_conversation) set_slot(project::SlotValue{c.slot, false, std::move(c.value)});
    }
  }
  RuleState state() const {
    RuleState s;
    s.required = user;
    s.required.insert(s.required.end(), loop_req.begin(), loop_req.end());
    s.forbidden = loop_forb;
    for (const auto& [name, rf] : slots) {
      s.required.insert(s.required.end(), rf.first.begin(), rf.first.end());
      s.forbidden.insert(s.forbidden.end(), rf.second.begin(), rf.second.end());
    }
    if (!prev.empty()) s.required.push_back(feature("prev:" + prev));
    for (auto* v : {&s.required, &s.forbidden}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    return s;
  }
};

// Not FNV-1a over bytes (core/hash.h), though it starts from its constants: a word-wise mix of
// the 64-bit features, with a marker word after each list. Part of the compiled rule table.
uint64_t rule_states_hash(const std::vector<RuleState>& states) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& s : states) {
    for (Feature f : s.required) h = (h ^ f) * 1099511628211ull;
    h = (h ^ 0xabcdefull) * 1099511628211ull;
    for (Feature f : s.forbidden) h = (h ^ f) * 1099511628211ull;
    h = (h ^ 0x123457ull) * 1099511628211ull;
  }
  return h;
}

void compile_rule(const project::Story& rule, const Path& steps, const Featurizer& fz,
                  std::vector<RulePattern>& out) {
  RuleBuilder b{fz, {}, {}, {}, {}, {}};
  for (const auto& c : rule.condition) {
    if (c.kind == project::Step::Kind::kActiveLoop) b.set_loop(c.name);
    if (c.kind == project::Step::Kind::kSlotWasSet)
      for (const auto& sv : c.slots) b.set_slot(sv);
  }
  std::vector<RuleState> states;
  bool wait = rule.wait_for_user_input;
  auto emit = [&](const std::string& action, const project::SourceLoc& loc) {
    states.push_back(b.state());
    RulePattern p;
    p.states = states;
    p.action = action;
    p.conversation_start = rule.conversation_start;
    p.rule_name = rule.name;
    p.loc = loc;
    for (const auto& s : p.states) p.specificity += s.required.size() + s.forbidden.size();
    p.loop_condition = !b.loop_req.empty();
    out.push_back(std::move(p));
  };
  bool last_was_action = false;
  // As in Rasa, a rule that starts with an action (the form-submit rule's `- action: <form>`)
  // only requires it as the previous action: the states before it are not part of the rule, so
  // the rule never predicts it. A conversation_start rule has no states before it to drop.
  bool at_start = !rule.conversation_start;
  for (size_t i = 0; i < steps.size(); ++i) {
    const project::Step& s = *steps[i];
    switch (s.kind) {
      case project::Step::Kind::kAnyHistory:
        if (i + 1 == steps.size()) wait = false;
        break;
      case project::Step::Kind::kUser:
        if (last_was_action) emit("action_listen", s.loc);
        b.set_user(s.user);
        b.prev = "action_listen";
        last_was_action = false;
        at_start = false;
        break;
      case project::Step::Kind::kAction:
        if (!std::exchange(at_start, false)) emit(s.name, s.loc);
        b.prev = s.name;
        last_was_action = true;
        break;
      case project::Step::Kind::kSlotWasSet:
        for (const auto& sv : s.slots) b.set_slot(sv);
        break;
      case project::Step::Kind::kActiveLoop:
        b.set_loop(s.name);
        break;
      default:
        break;
    }
  }
  if (wait && last_was_action) emit("action_listen", rule.loc);
}

LearnedPolicy train_learned(const project::Project& project, const std::vector<LearnedExample>& examples) {
  LearnedPolicyOptions options;
  options.component = project.config.learned_policy_component;
  options.max_history = project.config.learned_policy_max_history;
  options.epochs = project.config.learned_policy_epochs;
  options.seed = project.config.learned_policy_seed;
  std::vector<Feature> intents;
  for (const auto& intent : project.domain.intents) intents.push_back(feature("intent:" + intent.name));
  return LearnedPolicy::train(examples, intents, options);
}

}  // namespace

std::shared_ptr<const PolicySet> PolicySet::compile(const project::Project& project,
                                                    std::vector<project::Diagnostic>& diagnostics, LearnerCache* cache) {
  std::shared_ptr<PolicySet> ps(new PolicySet(project.domain));
  ps->config_ = project.config;
  ps->max_history_ = std::max(1, project.config.memoization_max_history);
  std::deque<project::Step> storage;

  // Rules.
  if (project.config.rules_enabled) {
    for (const auto& rule : project.rules) {
      Path steps;
      for (const auto& s : rule.steps) steps.push_back(&s);
      std::vector<Path> paths;
      Path cur;
      expand_or(steps, 0, cur, paths, storage, 256);
      for (const auto& p : paths) compile_rule(rule, p, ps->featurizer_, ps->rules_);
    }
    for (size_t i = 0; i < ps->rules_.size(); ++i) ps->rules_[i].order = i;
    if (project.config.check_for_contradictions) {
      std::unordered_map<uint64_t, const RulePattern*> seen;
      std::set<std::pair<std::string, std::string>> reported;
      for (const auto& p : ps->rules_) {
        uint64_t h = rule_states_hash(p.states) ^ (p.conversation_start ? 0x5555 : 0);
        auto [it, inserted] = seen.emplace(h, &p);
        if (inserted || it->second->action == p.action) continue;
        const RulePattern& other = *it->second;
        if (!reported.insert({other.rule_name, p.rule_name}).second) continue;
        diagnostics.push_back({project::Diagnostic::Severity::kError, p.loc,
                               "contradicting rules: rule '" + p.rule_name + "' predicts '" + p.action +
                                   "' where rule '" + other.rule_name + "' (" + other.loc.to_string() +
                                   ") predicts '" + other.action + "' after the same conversation"});
      }
    }
  }

  // Memoization and the learned policy learn from the same replayed stories (checkpoints joined,
  // `or` expanded); the learned policy also from the rules' snippets. A learned policy from the
  // model cache needs no examples.
  const bool memo = project.config.memoization_enabled;
  bool learn = project.config.learned_policy_enabled;
  constexpr const char* kLearnedPart = "dialogue.learned";
  if (const std::string* bytes = learn && cache ? cache->find(kLearnedPart) : nullptr)
    if (auto loaded = LearnedPolicy::from_bytes(*bytes); loaded.ok()) {
      ps->learned_ = std::make_shared<const LearnedPolicy>(std::move(loaded).value());
      cache->took(kLearnedPart, *bytes);
      learn = false;
    }
  const size_t keep = static_cast<size_t>(std::max(1, project.config.learned_policy_max_history));
  std::vector<LearnedExample> examples;
  auto add_example = [&](const std::vector<State>& states, const std::string& action) {
    size_t from = states.size() > keep ? states.size() - keep : 0;
    examples.push_back({std::vector<State>(states.begin() + static_cast<long>(from), states.end()), action});
  };
  if (memo || learn) {
    replay_stories(project.stories, ps->featurizer_, diagnostics,
                   [&](const std::vector<State>& states, const std::string& action, const std::string& story) {
                     if (learn) add_example(states, action);
                     if (!memo) return;
                     uint64_t key = ps->memo_key(states, states.size());
                     auto [it, inserted] = ps->memo_.emplace(key, MemoEntry{action, story, false});
                     if (!inserted && it->second.action != action) it->second.ambiguous = true;
                   });
  }
  if (learn) {
    replay_rules(project.rules, ps->featurizer_,
                 [&](const std::vector<State>& states, const std::string& action, const std::string&) {
                   add_example(states, action);
                 });
    ps->learned_ = std::make_shared<const LearnedPolicy>(train_learned(project, examples));
    if (cache) cache->made(kLearnedPart, ps->learned_->to_bytes());
  }
  return ps;
}

// Not FNV-1a over bytes (core/hash.h): a word-wise mix of the state hashes from the published
// FNV offset basis, with an xorshift after each word.
uint64_t PolicySet::memo_key(const std::vector<State>& states, size_t end) const {
  uint64_t h = 0xcbf29ce484222325ull;
  size_t n = static_cast<size_t>(max_history_);
  for (size_t k = 0; k < n; ++k) {
    // Oldest first; positions before the start of the conversation are padding.
    long idx = static_cast<long>(end) - static_cast<long>(n) + static_cast<long>(k);
    uint64_t sh = idx < 0 ? 0x7f4a7c15ull : states[idx].hash();
    h = (h ^ sh) * 0x100000001b3ull;
    h ^= h >> 31;
  }
  return h;
}

std::optional<Prediction> PolicySet::predict_rule(const std::vector<State>& states,
                                                        std::string_view exclude) const {
  const RulePattern* best = nullptr;
  for (const auto& p : rules_) {
    if (p.action == exclude) continue;
    size_t n = p.states.size();
    if (n > states.size()) continue;
    if (p.conversation_start && n != states.size()) continue;
    size_t offset = states.size() - n;
    bool ok = true;
    for (size_t i = n; i-- > 0 && ok;) ok = p.states[i].matches(states[offset + i]);
    if (!ok) continue;
    if (!best || p.specificity > best->specificity ||
        (p.specificity == best->specificity && p.states.size() > best->states.size()))
      best = &p;
  }
  if (!best) return std::nullopt;
  return Prediction{best->action, "rule", 1.0, best->rule_name, best->loop_condition};
}

std::optional<Prediction> PolicySet::predict_memo(const std::vector<State>& states,
                                                        std::string_view exclude) const {
  if (memo_.empty() || states.empty()) return std::nullopt;
  auto it = memo_.find(memo_key(states, states.size()));
  if (it == memo_.end() || it->second.ambiguous || it->second.action == exclude) return std::nullopt;
  return Prediction{it->second.action, "memoization", 1.0, it->second.story};
}

std::optional<Prediction> PolicySet::predict_memo_forgetting(const Tracker& tracker,
                                                            std::string_view exclude) const {
  if (memo_.empty()) return std::nullopt;
  const auto& events = tracker.events();
  std::vector<size_t> cuts;  // the last max_history actions (after the first, which nothing precedes)
  for (size_t i = events.size(); i-- > 0 && cuts.size() < static_cast<size_t>(max_history_);)
    if (events[i].type == EventType::kAction) cuts.push_back(i);
  std::reverse(cuts.begin(), cuts.end());
  std::vector<State> previous;
  for (size_t cut : cuts) {
    std::vector<State> states = tracker_states_from(tracker, cut, featurizer_, /*for_memo=*/true);
    if (states.empty() || states == previous) continue;
    if (auto p = predict_memo(states, exclude)) {
      p->policy = "augmented_memoization";
      return p;
    }
    previous = std::move(states);
  }
  return std::nullopt;
}

std::optional<Prediction> PolicySet::predict_learned(const std::vector<State>& states,
                                                           std::string_view exclude) const {
  if (!learned_) return std::nullopt;
  return learned_->predict(states, exclude);
}

bool PolicySet::has_rule_with_action(std::string_view action) const {
  for (const auto& p : rules_)
    if (p.action == action) return true;
  return false;
}

}  // namespace parley::dialogue
