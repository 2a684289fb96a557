// Rasa's JSON shapes of a tracker and a domain: what the action server receives, and what the
// Rasa-compatible tracker route answers (shared/rasa/COMPAT.md).
#pragma once

#include <vector>

#include "core/json.h"
#include "dialogue/tracker.h"
#include "project/project.h"

namespace parley::dialogue {

// The tracker body: sender_id, slots, latest_message, latest_event_time, followup_action, paused,
// events (`events` as given, or null when nullptr), latest_input_channel, active_loop ({} when
// none), latest_action, latest_action_name.
json::object rasa_tracker_json(const Tracker& tracker, const json::array* events);

// The in-memory events of the tracker's session as Rasa JSON.
json::array session_events_json(const Tracker& tracker);

// The domain as Rasa's action server expects it (intents, entities, slots, responses, actions,
// forms, session_config).
json::object rasa_domain_json(const project::Domain& domain);

}  // namespace parley::dialogue
