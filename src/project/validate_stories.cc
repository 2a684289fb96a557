// Cross-reference checks of stories, rules and test stories: every intent, entity, action, slot
// and form they use must be declared (or be one of Rasa's defaults); checkpoints should connect.
#include <map>
#include <set>

#include "project/readers.h"

namespace parley::project {

namespace {

bool action_known(const Domain& d, const std::string& name) {
  return d.has_response(name) || d.find_form(name) || d.has_action(name) || is_default_action(name) ||
         d.is_retrieval_action(name);
}

std::string describe_story(const Story& s, bool test) {
  return (test ? "test story '" : s.is_rule ? "rule '" : "story '") + s.name + "'";
}

void check_user(const Domain& d, const UserStep& u, const std::string& what, const SourceLoc& at, Diags& diags) {
  // Warnings, as in Rasa (which trains on such steps): a typo here shows up in `parley validate`.
  if (!u.intent.empty() && !intent_known(d, u.intent))
    diags.warning(at, what + " uses intent '" + u.intent + "' which is not in the domain (NLU can never predict it)");
  for (const auto& e : u.entities)
    if (!d.has_entity(e.entity))
      diags.warning(at, what + " uses entity '" + e.entity + "' which is not in the domain (NLU can never extract it)");
}

void check_slots(const Domain& d, const Step& step, const std::string& what, const char* where, Diags& diags) {
  for (const auto& sv : step.slots)
    if (!d.find_slot(sv.name))
      diags.error(step.loc, what + " uses slot '" + sv.name + "' " + where + " which is not in the domain");
}

void check_loop(const Domain& d, const Step& step, const std::string& what, const char* where, Diags& diags) {
  // action_two_stage_fallback is Rasa's one loop that is not a form.
  if (!step.name.empty() && !d.find_form(step.name) && step.name != "action_two_stage_fallback")
    diags.error(step.loc, what + " has active_loop '" + step.name + "'" + where + " which is not a form in the domain");
}

}  // namespace

void validate_stories(const Domain& domain, const std::vector<Story>& stories, bool test, Diags& diags) {
  for (const auto& story : stories) {
    const std::string what = describe_story(story, test);
    for (const auto& step : story.condition) {
      if (step.kind == Step::Kind::kSlotWasSet) check_slots(domain, step, what, "in its condition", diags);
      if (step.kind == Step::Kind::kActiveLoop) check_loop(domain, step, what, " in its condition", diags);
    }
    for (const auto& step : story.steps) {
      switch (step.kind) {
        case Step::Kind::kUser:
          check_user(domain, step.user, what, step.loc, diags);
          break;
        case Step::Kind::kOr:
          for (const auto& alt : step.alternatives) check_user(domain, alt, what, step.loc, diags);
          break;
        case Step::Kind::kAction:
          if (!action_known(domain, step.name))
            diags.error(step.loc, what + " uses action '" + step.name +
                                      "' which is not a response, form or action in the domain");
          break;
        case Step::Kind::kSlotWasSet:
          check_slots(domain, step, what, "in slot_was_set", diags);
          break;
        case Step::Kind::kActiveLoop:
          check_loop(domain, step, what, "", diags);
          break;
        default:
          break;
      }
    }
  }
}

void validate_checkpoints(const std::vector<Story>& stories, Diags& diags) {
  // A story starts from the checkpoints before its first other step and ends with all others.
  struct Use {
    const Story* story;
    const Step* step;
  };
  std::map<std::string, std::vector<Use>> starts, ends;
  for (const auto& story : stories) {
    bool leading = true;
    for (const auto& step : story.steps) {
      if (step.kind != Step::Kind::kCheckpoint) {
        leading = false;
        continue;
      }
      (leading ? starts : ends)[step.name].push_back({&story, &step});
    }
  }
  for (const auto& [name, uses] : starts)
    if (!ends.count(name))
      for (const auto& u : uses)
        diags.warning(u.step->loc, describe_story(*u.story, false) + " starts from checkpoint '" + name +
                                       "' which no story ends with");
  for (const auto& [name, uses] : ends)
    if (!starts.count(name))
      for (const auto& u : uses)
        diags.warning(u.step->loc, describe_story(*u.story, false) + " ends with checkpoint '" + name +
                                       "' which no story starts from");
}

}  // namespace parley::project
