// Read-only views of a conversation: the native one and Rasa's tracker shape. The state comes
// from the cached tracker when no turn is running (under the cache's lock), else from the store
// (the committed state, which a running turn has not changed yet); event lists come from the
// store, which holds the full history.
#include <cctype>

#include "dialogue/rasa_json.h"
#include "runtime/engine_core.h"
#include "runtime/tracker_loader.h"

namespace parley::runtime {

namespace {

using TrackerFn = std::function<void(const dialogue::Tracker&, uint64_t turns)>;

// Calls fn with the conversation's committed tracker.
Status with_tracker(EngineCore& core, const BotEntry& entry, const store::ConversationKey& key, const TrackerFn& fn) {
  if (!core.shared_store && core.table.with_idle_tracker(key, fn)) return Status::ok();
  auto loaded = load_tracker(*core.store, key, *entry.bot, core.options.tracker_window);
  if (!loaded.ok()) return loaded.status();
  fn(*loaded->tracker, loaded->turns);
  return Status::ok();
}

}  // namespace

Result<json::object> EngineCore::conversation_view(const std::string& bot, const std::string& conversation) {
  auto entry = bots.find(bot);
  if (!entry) return Status::not_found("unknown bot '" + bot + "'");
  store::ConversationKey key{bot, conversation};
  json::object out;
  uint64_t version = 0;
  Status s = with_tracker(*this, *entry, key, [&](const dialogue::Tracker& t, uint64_t turns) {
    version = t.version();
    json::object slots;
    for (const auto& [name, value] : t.slots()) slots[name] = value;
    out["conversation"] = conversation;
    out["bot"] = bot;
    out["version"] = version;
    out["turns"] = turns;
    out["slots"] = std::move(slots);
    out["active_loop"] = t.active_loop().empty() ? json::value(nullptr) : json::value(t.active_loop());
  });
  if (!s.is_ok()) return s;
  auto events = stored_events_json(*store, key, 0, version);
  if (!events.ok()) return events.status();
  out["events"] = std::move(events).value();
  return out;
}

Result<json::object> EngineCore::rasa_tracker_view(const std::string& bot, const std::string& conversation,
                                                   std::string_view include_events) {
  std::string include(include_events.empty() ? std::string_view("AFTER_RESTART") : include_events);
  for (auto& c : include) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (include != "ALL" && include != "AFTER_RESTART" && include != "APPLIED" && include != "NONE")
    return Status::invalid("include_events must be ALL, AFTER_RESTART, APPLIED or NONE");
  auto entry = bots.find(bot);
  if (!entry) return Status::not_found("unknown bot '" + bot + "'");
  store::ConversationKey key{bot, conversation};
  json::object out;
  uint64_t version = 0;
  Status s = with_tracker(*this, *entry, key, [&](const dialogue::Tracker& t, uint64_t) {
    version = t.version();
    if (include == "APPLIED") {
      // The session's events with rewinds and undos resolved: what the tracker keeps in memory.
      json::array applied = dialogue::session_events_json(t);
      out = dialogue::rasa_tracker_json(t, &applied);
    } else {
      out = dialogue::rasa_tracker_json(t, nullptr);
    }
  });
  if (!s.is_ok()) return s;
  if (include == "ALL" || include == "AFTER_RESTART") {
    auto events = stored_events_json(*store, key, 0, version);
    if (!events.ok()) return events.status();
    json::array all = std::move(events).value();
    if (include == "AFTER_RESTART") {
      // Rasa: the events after the latest restart.
      size_t from = 0;
      for (size_t i = all.size(); i-- > 0;) {
        const auto* o = all[i].if_object();
        auto name = o ? json_str(*o, "event") : std::nullopt;
        if (name && *name == "restart") {
          from = i + 1;
          break;
        }
      }
      if (from > 0) all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(from));
    }
    out["events"] = std::move(all);
  }
  return out;
}

}  // namespace parley::runtime
