// `stories:` and `rules:` lists (in data/ and, for test stories, in tests/): steps, rule conditions
// and rule options. Shapes only; what the steps refer to is checked in validate_stories.cc.
#include <algorithm>
#include <cctype>

#include "project/loader.h"
#include "project/readers.h"

namespace parley::project {

namespace {

// Reports problems of one story, all prefixed with what the story is.
struct StoryContext {
  const yaml::Doc& doc;
  Diags& diags;
  std::string what;  // "story 'happy path'"
  bool ok = true;
  void error(const SourceLoc& at, const std::string& message) {
    diags.error(at, what + ": " + message);
    ok = false;
  }
};

void read_step_entities(StoryContext& ctx, const YAML::Node& node, UserStep& u) {
  SourceLoc at = yaml::loc(ctx.doc, node);
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    ctx.error(at, "'entities' must be a list, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) {
    if (auto name = yaml::text(item)) {
      EntityAnnotation a;
      a.entity = *name;
      u.entities.push_back(std::move(a));
      continue;
    }
    if (!yaml::is_map(item)) {
      ctx.error(yaml::loc(ctx.doc, item), "an item of 'entities' must be an entity name or {entity: value}, not " +
                                              yaml::describe(item));
      continue;
    }
    if (auto entity = yaml::get(item, "entity")) {  // {entity: e, value: v, role: r, group: g}
      EntityAnnotation a;
      auto name = yaml::text(*entity);
      if (!name) {
        ctx.error(yaml::loc(ctx.doc, item), "'entity' must be an entity name, not " + yaml::describe(*entity));
        continue;
      }
      a.entity = *name;
      if (auto v = yaml::get(item, "value")) a.value = yaml::text(*v).value_or("");
      if (auto r = yaml::get(item, "role"); r && yaml::text(*r)) a.role = yaml::text(*r);
      if (auto g = yaml::get(item, "group"); g && yaml::text(*g)) a.group = yaml::text(*g);
      u.entities.push_back(std::move(a));
      continue;
    }
    for (const auto& e : yaml::entries(item)) {
      EntityAnnotation a;
      a.entity = e.key;
      if (auto s = yaml::text(e.value)) {
        a.value = *s;
      } else if (!yaml::is_null(e.value)) {
        auto j = yaml::to_json(e.value);
        a.value = j ? json::serialize(*j) : std::string();
      }
      u.entities.push_back(std::move(a));
    }
  }
}

// `intent:` / `user:` / `entities:` of a user step (or of an `or:` alternative).
void read_user(StoryContext& ctx, const YAML::Node& map, const SourceLoc& at, UserStep& u) {
  if (auto intent = yaml::get(map, "intent")) {
    auto name = yaml::text(*intent);
    if (!name) {
      ctx.error(at, "'intent' must be an intent name, not " + yaml::describe(*intent));
      return;
    }
    u.intent = *name;
    // As Rasa reads `intent: faq/ask_name`: the conversation sees the base intent (what the
    // intent classifier predicts), the response selector the full one.
    if (is_retrieval_intent(*name)) {
      u.full_retrieval_intent = *name;
      u.intent = std::string(base_intent(*name));
    }
  }
  if (auto user = yaml::get(map, "user")) {
    auto raw = yaml::text(*user);
    if (!raw) {
      ctx.error(at, "'user' must be the message text, not " + yaml::describe(*user));
      return;
    }
    std::string text, error;
    if (!parse_annotated_text(trim(*raw), text, u.entities, error)) {
      ctx.error(at, "malformed annotation in the user message: " + error);
      return;
    }
    u.text = text;
  }
  if (auto entities = yaml::get(map, "entities")) read_step_entities(ctx, *entities, u);
}

bool read_slot_values(StoryContext& ctx, const YAML::Node& node, const SourceLoc& at, std::vector<SlotValue>& out) {
  auto add_pairs = [&](const YAML::Node& map) {
    for (const auto& e : yaml::entries(map)) {
      SlotValue sv;
      sv.name = e.key;
      auto v = yaml::to_json(e.value);
      if (!v) {
        ctx.error(yaml::loc(ctx.doc, e.key_node), "the value of slot '" + yaml::excerpt(e.key) + "' is nested too deeply or too large");
        continue;
      }
      sv.value = std::move(*v);
      out.push_back(std::move(sv));
    }
  };
  if (yaml::is_map(node)) {
    add_pairs(node);
  } else if (yaml::is_seq(node)) {
    for (const auto& item : node) {
      if (auto name = yaml::text(item)) {
        SlotValue sv;
        sv.name = *name;
        sv.any_value = true;
        out.push_back(std::move(sv));
      } else if (yaml::is_map(item)) {
        add_pairs(item);
      } else {
        ctx.error(yaml::loc(ctx.doc, item), "an item of 'slot_was_set' must be a slot name or {slot: value}, not " +
                                                yaml::describe(item));
      }
    }
  } else {
    ctx.error(at, "'slot_was_set' must be a list of slot names or {slot: value}, not " + yaml::describe(node));
    return false;
  }
  if (out.empty()) ctx.error(at, "'slot_was_set' names no slot");
  return !out.empty();
}

bool read_active_loop(StoryContext& ctx, const YAML::Node& node, const SourceLoc& at, std::string& out) {
  if (yaml::is_null(node)) {
    out.clear();
    return true;
  }
  if (auto s = yaml::text(node)) {
    out = *s;
    return true;
  }
  ctx.error(at, "'active_loop' must be a form name or null, not " + yaml::describe(node));
  return false;
}

const char* const kStepKeys[] = {"intent", "user", "or", "action", "bot", "slot_was_set", "active_loop", "checkpoint"};

// One item of `steps:`; false when it could not be read (already reported).
bool read_step(StoryContext& ctx, const YAML::Node& item, Step& step) {
  step.loc = yaml::loc(ctx.doc, item);
  if (auto s = yaml::text(item); s && *s == "...") {
    step.kind = Step::Kind::kAnyHistory;
    return true;
  }
  if (!yaml::is_map(item)) {
    ctx.error(step.loc, "a step must be a mapping such as {intent: ...} or {action: ...}, or '...', not " +
                            yaml::describe(item));
    return false;
  }
  std::vector<std::string> kinds;
  for (const auto& e : yaml::entries(item)) {
    bool known = std::find_if(std::begin(kStepKeys), std::end(kStepKeys), [&](const char* k) { return e.key == k; }) !=
                 std::end(kStepKeys);
    if (known) {
      if (!(e.key == "user" && !kinds.empty() && kinds.back() == "intent") &&
          !(e.key == "intent" && !kinds.empty() && kinds.back() == "user"))
        kinds.push_back(e.key);
    } else if (e.key != "entities" && e.key != "metadata") {
      ctx.error(yaml::loc(ctx.doc, e.key_node), "unknown step key '" + e.key +
                                                    "' (expected intent, user, or, action, bot, slot_was_set, "
                                                    "active_loop or checkpoint)");
      return false;
    }
  }
  if (kinds.size() != 1) {
    ctx.error(step.loc, kinds.empty() ? std::string("a step has no intent, user, or, action, bot, slot_was_set, "
                                                    "active_loop or checkpoint")
                                      : "a step has both '" + kinds[0] + "' and '" + kinds[1] + "'; write them as two steps");
    return false;
  }
  const std::string& kind = kinds[0];
  const YAML::Node value = *yaml::get(item, kind);
  size_t errors_before = ctx.diags.error_count();
  if (kind == "intent" || kind == "user") {
    step.kind = Step::Kind::kUser;
    read_user(ctx, item, step.loc, step.user);
  } else if (kind == "or") {
    step.kind = Step::Kind::kOr;
    if (!yaml::is_seq(value) || value.size() == 0) {
      ctx.error(step.loc, "'or' must be a non-empty list of {intent: ...} alternatives, not " + yaml::describe(value));
      return false;
    }
    for (const auto& alt : value) {
      if (!yaml::get(alt, "intent")) {
        ctx.error(yaml::loc(ctx.doc, alt), "an alternative of 'or' must be {intent: name}; Parley supports only "
                                           "intents under 'or', not " + yaml::describe(alt));
        continue;
      }
      UserStep u;
      read_user(ctx, alt, yaml::loc(ctx.doc, alt), u);
      step.alternatives.push_back(std::move(u));
    }
  } else if (kind == "action" || kind == "bot" || kind == "checkpoint") {
    step.kind = kind == "action" ? Step::Kind::kAction : kind == "bot" ? Step::Kind::kBot : Step::Kind::kCheckpoint;
    auto name = yaml::text(value);
    if (!name) {
      ctx.error(step.loc, "'" + kind + "' must be " + (kind == "bot" ? "text" : "a name") + ", not " +
                              yaml::describe(value));
      return false;
    }
    step.name = kind == "bot" ? trim(*name) : *name;
  } else if (kind == "slot_was_set") {
    step.kind = Step::Kind::kSlotWasSet;
    read_slot_values(ctx, value, step.loc, step.slots);
  } else {
    step.kind = Step::Kind::kActiveLoop;
    read_active_loop(ctx, value, step.loc, step.name);
  }
  if (step.kind == Step::Kind::kUser && step.user.intent.empty() && !step.user.text) {
    ctx.error(step.loc, "a user step has no intent");
    return false;
  }
  return ctx.diags.error_count() == errors_before;
}

void read_condition(StoryContext& ctx, const YAML::Node& node, const SourceLoc& at, std::vector<Step>& out) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    ctx.error(at, "'condition' must be a list of active_loop and slot_was_set items, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) {
    Step step;
    step.loc = yaml::loc(ctx.doc, item);
    auto loop = yaml::get(item, "active_loop");
    auto slots = yaml::get(item, "slot_was_set");
    if (loop && !slots && yaml::entries(item).size() == 1) {
      step.kind = Step::Kind::kActiveLoop;
      if (read_active_loop(ctx, *loop, step.loc, step.name)) out.push_back(std::move(step));
    } else if (slots && !loop && yaml::entries(item).size() == 1) {
      step.kind = Step::Kind::kSlotWasSet;
      if (read_slot_values(ctx, *slots, step.loc, step.slots)) out.push_back(std::move(step));
    } else {
      ctx.error(step.loc, "an item of 'condition' must be {active_loop: ...} or {slot_was_set: [...]}, not " +
                              yaml::describe(item));
    }
  }
}

void read_story(const yaml::Doc& doc, const YAML::Node& item, bool is_rule, bool test, std::vector<Story>& out,
                Diags& diags) {
  const std::string key = is_rule ? "rule" : "story";
  SourceLoc at = yaml::loc(doc, item);
  auto name_node = yaml::get(item, key);
  auto name = name_node ? yaml::text(*name_node) : std::nullopt;
  if (name_node && yaml::is_null(*name_node)) {
    // `- story:` with no name: Rasa reads it (its name is empty); so does Parley, with a warning.
    diags.warning(at, "a " + key + " without a name (" + key + ": is empty)");
    name = "";
  }
  if (!name) {
    const char* other = is_rule ? "story" : "rule";
    if (yaml::get(item, other))
      diags.error(at, std::string("a ") + other + " is listed under '" + (is_rule ? "rules" : "stories") + "'");
    else
      diags.error(at, "an item of '" + std::string(is_rule ? "rules" : "stories") + "' must be a mapping with '" +
                          key + ": name' and 'steps', not " + yaml::describe(item));
    return;
  }
  Story story;
  story.name = *name;
  story.is_rule = is_rule;
  story.loc = at;
  StoryContext ctx{doc, diags, (test ? "test story '" : key + " '") + story.name + "'"};
  bool has_steps = false;
  for (const auto& e : yaml::entries(item)) {
    SourceLoc key_at = yaml::loc(doc, e.key_node);
    if (e.key == key || e.key == "metadata") continue;
    if (e.key == "steps") {
      has_steps = true;
      if (!yaml::is_seq(e.value)) {
        ctx.error(key_at, "'steps' must be a list, not " + yaml::describe(e.value));
        continue;
      }
      for (const auto& s : e.value) {
        Step step;
        if (read_step(ctx, s, step)) story.steps.push_back(std::move(step));
      }
    } else if (is_rule && e.key == "condition") {
      read_condition(ctx, e.value, key_at, story.condition);
    } else if (is_rule && (e.key == "conversation_start" || e.key == "wait_for_user_input")) {
      auto b = yaml::boolean(e.value);
      if (!b) {
        ctx.error(key_at, "'" + yaml::excerpt(e.key) + "' must be true or false, not " + yaml::describe(e.value));
        continue;
      }
      (e.key == "conversation_start" ? story.conversation_start : story.wait_for_user_input) = *b;
    } else {
      diags.warning(key_at, ctx.what + ": unknown key '" + yaml::excerpt(e.key) + "'");
    }
  }
  if (!has_steps || (story.steps.empty() && ctx.ok)) {
    // As Rasa does: an empty story or rule is skipped with a warning.
    diags.warning(at, ctx.what + (has_steps ? " has an empty list of steps" : " has no 'steps'") + "; it is skipped");
    return;
  }
  if (ctx.ok) out.push_back(std::move(story));
}

}  // namespace

void read_stories(const yaml::Doc& doc, const YAML::Node& node, bool is_rule, bool test, std::vector<Story>& out,
                  Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node),
                std::string("'") + (is_rule ? "rules" : "stories") + "' must be a list, not " + yaml::describe(node));
    return;
  }
  for (const auto& item : node) read_story(doc, item, is_rule, test, out, diags);
}

}  // namespace parley::project
