// Slot mappings (Rasa's action_extract_slots): values that the domain's mappings take from the
// latest user message, given the active loop and the requested slot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dialogue/tracker.h"
#include "project/project.h"

namespace parley::dialogue {

struct SlotCandidate {
  std::string slot;
  json::value value;
  bool trigger = false;  // from a from_trigger_intent mapping: filled when its form activates
};

// Candidates for every slot with a mapping that applies to the latest user message, in domain
// order, the first applying mapping of a slot winning. `activating_form` names a form being
// activated by this message: its from_trigger_intent mappings apply, and conditions on
// active_loop see that form as active. Unchanged values are included.
std::vector<SlotCandidate> extract_slots(const project::Domain& domain, const Tracker& tracker,
                                         std::string_view activating_form = {});

// The slot values a story's user step implies (Rasa's Domain.slots_for_entities, which Rasa applies
// right after each user message in training and in `rasa test`): each slot with a from_entity
// mapping that no active loop conditions takes the step's values of that entity (same role and
// group): the last one, or all for a list slot. Domain order; intent conditions do not apply.
std::vector<SlotCandidate> implied_slots(const project::Domain& domain,
                                         const std::vector<project::EntityAnnotation>& entities);

// Coerces a value to the slot's type where Rasa would (e.g. "true" for a bool slot, a number
// text for a float slot); other values are returned unchanged.
json::value coerce_slot_value(const project::Slot& slot, const json::value& value);

}  // namespace parley::dialogue
