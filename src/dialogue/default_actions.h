// Rasa's default actions that the turn runs itself, without the action server: a table from the
// action's name to what it appends to the tracker.
#pragma once

#include <string_view>

#include "dialogue/prediction.h"

namespace parley::dialogue {

struct TurnState;

// Runs one default action for prediction `p`: appends its events (the action event first) and
// marks the turn done when the bot listens after it.
using DefaultAction = void (*)(TurnState&, const Prediction&);

// The handler of `name`: action_listen, action_restart, action_session_start,
// action_default_fallback, action_back, action_deactivate_loop. nullptr for any other name; the
// other default actions of project::is_default_action (action_two_stage_fallback,
// action_extract_slots, ...) go to the action server like a custom action.
DefaultAction find_default_action(std::string_view name);

}  // namespace parley::dialogue
