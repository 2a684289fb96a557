// Deriving a conversation's state from its events. Rewinds and undos are resolved on the in-memory
// event list (the reverted events leave it) and the state is re-derived from the base state.
#include "dialogue/tracker.h"

namespace parley::dialogue {

namespace {

size_t json_bytes(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return 16 + v.get_string().size();
    case json::kind::array: {
      size_t n = 16;
      for (const auto& x : v.get_array()) n += json_bytes(x);
      return n;
    }
    case json::kind::object: {
      size_t n = 32;
      for (const auto& kv : v.get_object()) n += 24 + kv.key().size() + json_bytes(kv.value());
      return n;
    }
    default: return 16;
  }
}

size_t event_bytes(const Event& e) {
  return sizeof(Event) + e.name.capacity() + e.text.capacity() + e.policy.capacity() +
         e.message_id.capacity() + e.input_channel.capacity() + json_bytes(e.value);
}

const json::value kNull;

}  // namespace

Tracker::Tracker(std::string sender_id, const project::Domain* domain, size_t window)
    : sender_id_(std::move(sender_id)), domain_(domain), window_(window < 8 ? 8 : window) {
  base_ = initial_state(*domain_);
  cur_ = base_;
}

Tracker::Derived Tracker::initial_state(const project::Domain& domain) {
  Derived d;
  for (const auto& s : domain.slots) d.slots[s.name] = s.initial_value;
  return d;
}

void Tracker::apply_to(Derived& d, const Event& e, const project::Domain& domain) {
  switch (e.type) {
    case EventType::kUser:
      d.has_message = true;
      d.latest_message = e;
      d.loop_rejected = false;
      break;
    case EventType::kAction:
      d.latest_action = e.name;
      d.followup.clear();
      if (!d.active_loop.empty() && d.active_loop == e.name) d.loop_rejected = false;
      break;
    case EventType::kSlot:
      if (domain.find_slot(e.name)) d.slots[e.name] = e.value;
      break;
    case EventType::kActiveLoop:
      d.active_loop = e.name;
      d.loop_rejected = false;
      break;
    case EventType::kSessionStarted: {
      Derived fresh = initial_state(domain);
      fresh.session_started = true;
      fresh.latest_action = d.latest_action;
      d = std::move(fresh);
      break;
    }
    case EventType::kRestarted:
      d = initial_state(domain);
      break;
    case EventType::kFollowup:
      d.followup = e.name;
      break;
    case EventType::kActionExecutionRejected:
      if (!d.active_loop.empty() && d.active_loop == e.name) d.loop_rejected = true;
      break;
    default:
      break;
  }
}

void Tracker::push(const Event& e) {
  event_bytes_ += event_bytes(e);
  events_.push_back(e);
  while (events_.size() > window_) drop_oldest();
}

void Tracker::drop_oldest() {
  apply_to(base_, events_.front(), *domain_);
  event_bytes_ -= event_bytes(events_.front());
  events_.pop_front();
  truncated_ = true;
}

void Tracker::apply(const Event& e) {
  ++version_;
  if (e.timestamp > latest_event_time_) latest_event_time_ = e.timestamp;
  switch (e.type) {
    case EventType::kSessionStarted:
    case EventType::kRestarted:
      // A new session: earlier events no longer shape the conversation.
      apply_to(cur_, e, *domain_);
      events_.clear();
      event_bytes_ = 0;
      truncated_ = false;
      base_ = cur_;
      if (e.type == EventType::kSessionStarted) push(e);
      return;
    case EventType::kUserUtteranceReverted: {
      // Everything back to and including the latest user message is reverted.
      while (!events_.empty()) {
        bool was_user = events_.back().type == EventType::kUser;
        event_bytes_ -= event_bytes(events_.back());
        events_.pop_back();
        if (was_user) break;
      }
      rebuild();
      return;
    }
    case EventType::kActionReverted: {
      // Everything back to and including the latest executed action (other than listening).
      while (!events_.empty()) {
        const Event& last = events_.back();
        bool stop = last.type == EventType::kAction && last.name != "action_listen";
        event_bytes_ -= event_bytes(last);
        events_.pop_back();
        if (stop) break;
      }
      rebuild();
      return;
    }
    default:
      apply_to(cur_, e, *domain_);
      push(e);
  }
}

void Tracker::rebuild() {
  cur_ = base_;
  for (const auto& e : events_) apply_to(cur_, e, *domain_);
}

void Tracker::rebind(const project::Domain* domain) {
  domain_ = domain;
  // Keep slot values the new domain still has; add the new slots at their initial values.
  Derived fresh = initial_state(*domain_);
  for (auto& [name, value] : fresh.slots) {
    auto it = base_.slots.find(name);
    if (it != base_.slots.end()) value = it->second;
  }
  base_.slots = std::move(fresh.slots);
  rebuild();
}

const json::value& Tracker::slot(std::string_view name) const {
  auto it = cur_.slots.find(name);
  return it == cur_.slots.end() ? kNull : it->second;
}

std::string_view Tracker::requested_slot() const {
  const auto& v = slot("requested_slot");
  return v.is_string() ? std::string_view(v.get_string()) : std::string_view();
}

size_t Tracker::memory_bytes() const {
  size_t n = sizeof(Tracker) + sender_id_.capacity() + event_bytes_;
  for (const auto* d : {&base_, &cur_}) {
    n += d->latest_message.text.capacity() + json_bytes(d->latest_message.value);
    for (const auto& [k, v] : d->slots) n += 48 + k.size() + json_bytes(v);
  }
  return n;
}

namespace {

json::object derived_to_json(const Tracker::Derived& d) {
  json::object o;
  json::object slots;
  for (const auto& [k, v] : d.slots) slots[k] = v;
  o["slots"] = std::move(slots);
  o["active_loop"] = d.active_loop;
  o["loop_rejected"] = d.loop_rejected;
  o["latest_message"] = d.has_message ? json::value(to_json(d.latest_message)) : json::value(nullptr);
  o["latest_action"] = d.latest_action;
  o["followup"] = d.followup;
  o["session_started"] = d.session_started;
  return o;
}

Status derived_from_json(const json::value& v, Tracker::Derived& d) {
  if (!v.is_object()) return Status(Code::kCorruption, "tracker snapshot state is not an object");
  const auto& o = v.as_object();
  if (auto s = json_get(o, "slots"); s && s->is_object())
    for (const auto& kv : s->as_object()) d.slots[std::string(kv.key())] = kv.value();
  if (auto s = json_str(o, "active_loop")) d.active_loop = *s;
  if (auto b = json_get(o, "loop_rejected"); b && b->is_bool()) d.loop_rejected = b->get_bool();
  if (auto m = json_get(o, "latest_message"); m && m->is_object()) {
    auto e = event_from_json(*m);
    if (!e.ok()) return Status(Code::kCorruption, "tracker snapshot: " + e.status().message());
    d.has_message = true;
    d.latest_message = std::move(e).value();
  }
  if (auto s = json_str(o, "latest_action")) d.latest_action = *s;
  if (auto s = json_str(o, "followup")) d.followup = *s;
  if (auto b = json_get(o, "session_started"); b && b->is_bool()) d.session_started = b->get_bool();
  return Status::ok();
}

}  // namespace

json::object Tracker::snapshot(size_t keep_events) const {
  size_t skip = events_.size() > keep_events ? events_.size() - keep_events : 0;
  Derived base = base_;
  for (size_t i = 0; i < skip; ++i) apply_to(base, events_[i], *domain_);
  json::array events;
  for (size_t i = skip; i < events_.size(); ++i) events.push_back(to_json(events_[i]));
  json::object o;
  o["version"] = version_;
  o["latest_event_time"] = latest_event_time_;
  o["truncated"] = truncated_ || skip > 0;
  o["base"] = derived_to_json(base);
  o["events"] = std::move(events);
  return o;
}

Result<Tracker> Tracker::from_snapshot(std::string sender_id, const project::Domain* domain,
                                       const json::object& snapshot, size_t window) {
  Tracker t(std::move(sender_id), domain, window);
  if (auto b = json_get(snapshot, "base")) {
    Status s = derived_from_json(*b, t.base_);
    if (!s.is_ok()) return s;
  }
  // Slots the domain no longer has are dropped; new ones start at their initial value.
  t.rebind(domain);
  if (auto ev = json_get(snapshot, "events"); ev && ev->is_array()) {
    for (const auto& item : ev->as_array()) {
      auto e = event_from_json(item);
      if (!e.ok()) return Status(Code::kCorruption, "tracker snapshot: " + e.status().message());
      t.push(e.value());
    }
  }
  t.rebuild();
  if (auto v = json_get(snapshot, "version"); v && v->is_number()) t.version_ = v->to_number<uint64_t>();
  if (auto v = json_get(snapshot, "latest_event_time"); v && v->is_number())
    t.latest_event_time_ = v->to_number<double>();
  if (auto v = json_get(snapshot, "truncated"); v && v->is_bool()) t.truncated_ = v->get_bool();
  return t;
}

}  // namespace parley::dialogue
