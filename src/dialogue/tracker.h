// A conversation's state, derived from its events. A Tracker holds the events of the current
// session in memory (at most `window` of them; the full history stays in the store) and the
// state derived from every event it was given: slots, active loop, latest message and action.
// Not thread-safe: a conversation is only touched by its own mailbox (G1).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "dialogue/event.h"
#include "project/project.h"

namespace parley::dialogue {

using SlotMap = std::map<std::string, json::value, std::less<>>;

class Tracker {
 public:
  // `domain` gives slot initial values; it must outlive the tracker (bots are kept alive by the
  // caller while their trackers are used). `window` bounds the events kept in memory.
  Tracker(std::string sender_id, const project::Domain* domain, size_t window = 512);

  const std::string& sender_id() const { return sender_id_; }
  const project::Domain& domain() const { return *domain_; }
  // Switches to another version of the bot's domain (after a reload) and re-derives state.
  void rebind(const project::Domain* domain);

  // Applies one event to the derived state and keeps it in the in-memory window.
  void apply(const Event& e);
  // Number of events ever applied, including ones loaded from the store: the store version.
  uint64_t version() const { return version_; }
  // Marks events loaded from storage: sets the version without re-applying anything.
  void set_version(uint64_t v) { version_ = v; }

  // Events of the current session (since the last session_started or restart), oldest first,
  // at most `window` of them.
  const std::deque<Event>& events() const { return events_; }
  // True when the oldest events of this session were dropped from memory.
  bool window_truncated() const { return truncated_; }

  const json::value& slot(std::string_view name) const;
  const SlotMap& slots() const { return cur_.slots; }
  const std::string& active_loop() const { return cur_.active_loop; }  // "" when none
  bool loop_rejected() const { return cur_.loop_rejected; }
  // The value of `requested_slot`, "" when none.
  std::string_view requested_slot() const;
  // The latest user event of the session, or nullptr.
  const Event* latest_message() const { return cur_.has_message ? &cur_.latest_message : nullptr; }
  const std::string& latest_action() const { return cur_.latest_action; }
  const std::string& followup_action() const { return cur_.followup; }
  double latest_event_time() const { return latest_event_time_; }
  // True once a session_started event was applied and no restart came after it.
  bool session_started() const { return cur_.session_started; }
  // Bytes this tracker holds in memory (approximate), for the byte-bounded cache.
  size_t memory_bytes() const;

  // Re-derives the whole state from the in-memory events (after rewind/undo or a rebind).
  void rebuild();

  // A bounded summary for storage: the derived state, the version, and the last `keep_events`
  // events of the session. Loading = from_snapshot + apply the events stored after its version.
  json::object snapshot(size_t keep_events = 64) const;
  static Result<Tracker> from_snapshot(std::string sender_id, const project::Domain* domain,
                                       const json::object& snapshot, size_t window = 512);

  // The state derived from events; `base` is the state before the first in-memory event.
  struct Derived {
    SlotMap slots;
    std::string active_loop;
    bool loop_rejected = false;
    bool has_message = false;
    Event latest_message;
    std::string latest_action;
    std::string followup;
    bool session_started = false;
  };
  const Derived& base_state() const { return base_; }
  // Applies one event to a derived state (no rewinds: those are resolved on the event list).
  static void apply_to(Derived& d, const Event& e, const project::Domain& domain);
  // The state a new session starts from: slots at their initial values.
  static Derived initial_state(const project::Domain& domain);

 private:
  void push(const Event& e);
  void drop_oldest();

  std::string sender_id_;
  const project::Domain* domain_;
  size_t window_;
  std::deque<Event> events_;
  size_t event_bytes_ = 0;
  bool truncated_ = false;
  uint64_t version_ = 0;
  double latest_event_time_ = 0;
  Derived base_;
  Derived cur_;
};

}  // namespace parley::dialogue
