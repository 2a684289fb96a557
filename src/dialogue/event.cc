// Event constructors and the Rasa JSON shapes of events.
#include "dialogue/event.h"

#include <cstdio>
#include <string_view>

namespace parley::dialogue {

Event Event::user(std::string text, json::value parse_data, std::string message_id, double ts) {
  Event e;
  e.type = EventType::kUser;
  e.text = std::move(text);
  e.value = std::move(parse_data);
  e.message_id = std::move(message_id);
  e.timestamp = ts;
  return e;
}

Event Event::bot(std::string text, json::value data, double ts) {
  Event e;
  e.type = EventType::kBot;
  e.text = std::move(text);
  e.value = std::move(data);
  e.timestamp = ts;
  return e;
}

Event Event::action(std::string name, double ts, std::string policy, double confidence) {
  Event e;
  e.type = EventType::kAction;
  e.name = std::move(name);
  e.policy = std::move(policy);
  e.confidence = confidence;
  e.timestamp = ts;
  return e;
}

Event Event::slot(std::string name, json::value value, double ts) {
  Event e;
  e.type = EventType::kSlot;
  e.name = std::move(name);
  e.value = std::move(value);
  e.timestamp = ts;
  return e;
}

Event Event::active_loop(std::string name, double ts) {
  Event e;
  e.type = EventType::kActiveLoop;
  e.name = std::move(name);
  e.timestamp = ts;
  return e;
}

Event Event::simple(EventType type, double ts) {
  Event e;
  e.type = type;
  e.timestamp = ts;
  return e;
}

Event Event::error(std::string code, std::string message, double ts) {
  Event e;
  e.type = EventType::kError;
  e.name = std::move(code);
  e.text = std::move(message);
  e.timestamp = ts;
  return e;
}

Event Event::action_call(std::string action, std::string outcome, double duration_ms, double ts) {
  Event e;
  e.type = EventType::kActionCall;
  e.name = std::move(action);
  e.text = std::move(outcome);
  e.value = duration_ms;
  e.timestamp = ts;
  return e;
}

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::kUser: return "user";
    case EventType::kBot: return "bot";
    case EventType::kAction: return "action";
    case EventType::kSlot: return "slot";
    case EventType::kActiveLoop: return "active_loop";
    case EventType::kSessionStarted: return "session_started";
    case EventType::kRestarted: return "restart";
    case EventType::kFollowup: return "followup";
    case EventType::kUserUtteranceReverted: return "rewind";
    case EventType::kActionReverted: return "undo";
    case EventType::kActionExecutionRejected: return "action_execution_rejected";
    case EventType::kLoopInterrupted: return "loop_interrupted";
    case EventType::kError: return "parley_error";
    case EventType::kActionCall: return "parley_action_call";
  }
  return "unknown";
}

namespace {

json::value name_or_null(const std::string& name) {
  return name.empty() ? json::value(nullptr) : json::value(name);
}

std::string string_field(const json::object& o, std::string_view key) {
  auto s = json_str(o, key);
  return s ? std::string(*s) : std::string();
}

}  // namespace

json::object to_json(const Event& e) {
  json::object o;
  o["event"] = event_type_name(e.type);
  o["timestamp"] = e.timestamp;
  switch (e.type) {
    case EventType::kUser:
      o["text"] = e.text;
      o["parse_data"] = e.value.is_null() ? json::value(json::object()) : e.value;
      o["input_channel"] = name_or_null(e.input_channel);
      o["message_id"] = name_or_null(e.message_id);
      break;
    case EventType::kBot:
      o["text"] = name_or_null(e.text);
      o["data"] = e.value.is_null() ? json::value(json::object()) : e.value;
      break;
    case EventType::kAction:
      o["name"] = e.name;
      o["policy"] = name_or_null(e.policy);
      o["confidence"] = e.confidence;
      break;
    case EventType::kSlot:
      o["name"] = e.name;
      o["value"] = e.value;
      break;
    case EventType::kActiveLoop:
      o["name"] = name_or_null(e.name);
      break;
    case EventType::kFollowup:
    case EventType::kActionExecutionRejected:
      o["name"] = e.name;
      break;
    case EventType::kLoopInterrupted:
      o["is_interrupted"] = e.value.is_bool() && e.value.get_bool();
      break;
    case EventType::kError:
      o["code"] = e.name;
      o["message"] = e.text;
      break;
    case EventType::kActionCall:
      o["name"] = e.name;
      o["outcome"] = e.text;
      o["duration_ms"] = e.value.is_number() ? e.value : json::value(0);
      break;
    default:
      break;
  }
  return o;
}

namespace {

void append_key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;  // keys are fixed names, nothing to escape
  out += "\":";
}

void append_name_or_null(std::string& out, std::string_view key, const std::string& name) {
  append_key(out, key);
  if (name.empty())
    out += "null";
  else
    append_json_string(out, name);
}

void append_object_or_empty(std::string& out, std::string_view key, const json::value& v) {
  append_key(out, key);
  if (v.is_null())
    out += "{}";
  else
    append_json_value(out, v);
}

}  // namespace

void append_event_json(std::string& out, const Event& e) {
  out += "{\"event\":\"";
  out += event_type_name(e.type);
  out += '"';
  append_key(out, "timestamp");
  append_json_number(out, e.timestamp);
  switch (e.type) {
    case EventType::kUser:
      append_key(out, "text");
      append_json_string(out, e.text);
      append_object_or_empty(out, "parse_data", e.value);
      append_name_or_null(out, "input_channel", e.input_channel);
      append_name_or_null(out, "message_id", e.message_id);
      break;
    case EventType::kBot:
      append_name_or_null(out, "text", e.text);
      append_object_or_empty(out, "data", e.value);
      break;
    case EventType::kAction:
      append_key(out, "name");
      append_json_string(out, e.name);
      append_name_or_null(out, "policy", e.policy);
      append_key(out, "confidence");
      append_json_number(out, e.confidence);
      break;
    case EventType::kSlot:
      append_key(out, "name");
      append_json_string(out, e.name);
      append_key(out, "value");
      append_json_value(out, e.value);
      break;
    case EventType::kActiveLoop:
      append_name_or_null(out, "name", e.name);
      break;
    case EventType::kFollowup:
    case EventType::kActionExecutionRejected:
      append_key(out, "name");
      append_json_string(out, e.name);
      break;
    case EventType::kLoopInterrupted:
      append_key(out, "is_interrupted");
      out += e.value.is_bool() && e.value.get_bool() ? "true" : "false";
      break;
    case EventType::kError:
      append_key(out, "code");
      append_json_string(out, e.name);
      append_key(out, "message");
      append_json_string(out, e.text);
      break;
    case EventType::kActionCall:
      append_key(out, "name");
      append_json_string(out, e.name);
      append_key(out, "outcome");
      append_json_string(out, e.text);
      append_key(out, "duration_ms");
      append_json_number(out, e.value.is_number() ? e.value.to_number<double>() : 0.0);
      break;
    default:
      break;
  }
  out += '}';
}

Result<Event> event_from_json(const json::value& v) {
  if (!v.is_object()) return Status::invalid("event is not a JSON object");
  const auto& o = v.as_object();
  auto kind = json_str(o, "event");
  if (!kind) return Status::invalid("event has no \"event\" name");
  Event e;
  if (auto ts = json_get(o, "timestamp"); ts && ts->is_number()) e.timestamp = ts->to_number<double>();
  const std::string_view k = *kind;
  if (k == "user") {
    e.type = EventType::kUser;
    e.text = string_field(o, "text");
    if (auto p = json_get(o, "parse_data"); p && p->is_object()) e.value = *p;
    e.message_id = string_field(o, "message_id");
    e.input_channel = string_field(o, "input_channel");
  } else if (k == "bot") {
    e.type = EventType::kBot;
    e.text = string_field(o, "text");
    if (auto d = json_get(o, "data"); d && d->is_object()) e.value = *d;
  } else if (k == "action") {
    e.type = EventType::kAction;
    e.name = string_field(o, "name");
    if (e.name.empty()) return Status::invalid("action event without a name");
    e.policy = string_field(o, "policy");
    if (auto c = json_get(o, "confidence"); c && c->is_number()) e.confidence = c->to_number<double>();
  } else if (k == "slot") {
    e.type = EventType::kSlot;
    e.name = string_field(o, "name");
    if (e.name.empty()) return Status::invalid("slot event without a name");
    if (auto val = json_get(o, "value")) e.value = *val;
  } else if (k == "active_loop" || k == "form") {
    e.type = EventType::kActiveLoop;
    e.name = string_field(o, "name");
  } else if (k == "session_started") {
    e.type = EventType::kSessionStarted;
  } else if (k == "restart") {
    e.type = EventType::kRestarted;
  } else if (k == "followup") {
    e.type = EventType::kFollowup;
    e.name = string_field(o, "name");
  } else if (k == "rewind") {
    e.type = EventType::kUserUtteranceReverted;
  } else if (k == "undo") {
    e.type = EventType::kActionReverted;
  } else if (k == "action_execution_rejected") {
    e.type = EventType::kActionExecutionRejected;
    e.name = string_field(o, "name");
  } else if (k == "loop_interrupted" || k == "form_validation") {
    e.type = EventType::kLoopInterrupted;
    auto b = json_get(o, "is_interrupted");
    e.value = b && b->is_bool() ? b->get_bool() : false;
  } else if (k == "parley_action_call") {
    e.type = EventType::kActionCall;
    e.name = string_field(o, "name");
    e.text = string_field(o, "outcome");
    auto d = json_get(o, "duration_ms");
    boost::system::error_code ec;
    e.value = d && d->is_number() ? d->to_number<double>(ec) : 0.0;
  } else if (k == "parley_error") {
    e.type = EventType::kError;
    e.name = string_field(o, "code");
    e.text = string_field(o, "message");
  } else {
    return Status::invalid("unsupported event type '" + std::string(k) + "'");
  }
  return e;
}

std::string action_policy_label(const Event& e) {
  if (e.policy.empty() || e.confidence >= 1.0) return e.policy;
  char buf[32];
  std::snprintf(buf, sizeof buf, " %.2f", e.confidence);
  return e.policy + buf;
}

std::string_view user_intent(const Event& e) {
  if (e.type != EventType::kUser || !e.value.is_object()) return {};
  const auto* intent = json_get(e.value.as_object(), "intent");
  if (!intent || !intent->is_object()) return {};
  auto name = json_str(intent->as_object(), "name");
  return name ? *name : std::string_view();
}

}  // namespace parley::dialogue
