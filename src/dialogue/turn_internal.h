// Internals shared by the files of the turn loop (turn.cc, form.cc); not part of the interface.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "dialogue/responses.h"
#include "dialogue/slot_mapping.h"
#include "dialogue/states.h"
#include "dialogue/turn.h"

namespace parley::dialogue {

struct TurnRunner::Impl {
  enum class Pending { kNone, kCustom, kFormValidate, kFormAsk };
  Pending pending = Pending::kNone;
  std::chrono::steady_clock::time_point call_started{};  // of the pending custom action call
  std::string pending_form;
  bool started = false;
  bool done = false;
  int predictions = 0;
  std::string exclude;
  uint64_t seed = 0;
  std::vector<SlotCandidate> extracted;
  StatesCache states;  // the policies' input, extended between the predictions of this turn
};

// Appends events to the tracker and the turn, turning bot events into messages.



struct TurnCtx {
  const Agent& bot;
  Tracker& tracker;
  std::vector<Event>& events;
  std::vector<BotMessage>& messages;
  const TurnInput& input;

  void add(Event e) {
    // One clock per turn: the caller's timestamp when it gave one.
    if (e.timestamp == 0) e.timestamp = input.timestamp > 0 ? input.timestamp : now_seconds();
    if (e.type == EventType::kBot) {
      BotMessage m;
      m.text = e.text;
      if (e.value.is_object()) m.data = e.value.as_object();
      messages.push_back(std::move(m));
    }
    tracker.apply(e);
    events.push_back(std::move(e));
  }
  void utter(const BotMessage& m) {
    add(Event::bot(m.text, m.data.empty() ? json::value(json::object()) : json::value(m.data), 0));
  }
  // Renders a domain response into a bot event; false when there is none.
  bool utter_response(std::string_view name, uint64_t seed, const json::object* extra = nullptr) {
    auto m = render_response(bot.domain(), name, tracker, input.input_channel, seed, extra);
    if (!m) return false;
    utter(*m);
    return true;
  }
};

}  // namespace parley::dialogue
