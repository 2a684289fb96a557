// The tracker is a list of events; everything else about a conversation is derived from them.
// Event is a plain value type with Rasa's event names and JSON shapes (to_json / event_from_json),
// so trackers, stored records and the action-server protocol all speak the same language.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace parley::dialogue {

enum class EventType : uint8_t {
  kUser,                     // "user": text, parse_data in `value`, message_id, input_channel
  kBot,                      // "bot": text, `value` = data object (buttons, image, custom, attachment)
  kAction,                   // "action": name, policy, confidence
  kSlot,                     // "slot": name, value
  kActiveLoop,               // "active_loop": name ("" = deactivated)
  kSessionStarted,           // "session_started"
  kRestarted,                // "restart"
  kFollowup,                 // "followup": name
  kUserUtteranceReverted,    // "rewind"
  kActionReverted,           // "undo"
  kActionExecutionRejected,  // "action_execution_rejected": name
  kLoopInterrupted,          // "loop_interrupted": value = is_interrupted (bool)
  kError,                    // "parley_error": name = code, text = message (Parley's own)
  kActionCall,               // "parley_action_call": name = action, text = outcome (ok, error,
                             // timeout, rejected), value = duration in ms (Parley's own)
};

struct Event {
  EventType type = EventType::kAction;
  double timestamp = 0;        // seconds since the epoch
  std::string name;
  std::string text;
  json::value value;           // slot value, parse_data, bot data, loop_interrupted flag
  std::string policy;          // kAction
  double confidence = 0;       // kAction
  std::string message_id;      // kUser
  std::string input_channel;   // kUser

  static Event user(std::string text, json::value parse_data, std::string message_id, double ts);
  static Event bot(std::string text, json::value data, double ts);
  static Event action(std::string name, double ts, std::string policy = {}, double confidence = 1.0);
  static Event slot(std::string name, json::value value, double ts);
  static Event active_loop(std::string name, double ts);
  static Event simple(EventType type, double ts);
  static Event error(std::string code, std::string message, double ts);
  static Event action_call(std::string action, std::string outcome, double duration_ms, double ts);
};

// Rasa's name for the type ("user", "bot", "action", "slot", ...).
const char* event_type_name(EventType type);

// Rasa's JSON shape: {"event": "...", "timestamp": ..., ...}.
json::object to_json(const Event& e);
// The same shape written straight to text (what the store keeps): appends to `out`.
void append_event_json(std::string& out, const Event& e);
// Parses the Rasa JSON shape (as stored, or as returned by an action server).
Result<Event> event_from_json(const json::value& v);

// Which policy chose an action event, for debug output: "rule", or with the confidence when it
// is below 1, "TEDPolicy 0.87"; "" when the event names no policy.
std::string action_policy_label(const Event& e);

// The intent name of a user event's parse_data, "" when there is none.
std::string_view user_intent(const Event& e);

}  // namespace parley::dialogue
