// Snapshot + replay of the events after it.
#include "runtime/tracker_loader.h"

namespace parley::runtime {

namespace {

Result<json::value> parse_record(const std::string& text, const char* what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Status(Code::kCorruption, std::string("stored ") + what + " is not JSON: " + ec.message());
  return v;
}

}  // namespace

Result<LoadedTracker> load_tracker(store::ConversationStore& store, const store::ConversationKey& key,
                                   const bot::Bot& bot, size_t window) {
  auto stored = store.load(key, 0);
  if (!stored.ok()) return stored.status();
  LoadedTracker out;
  out.turns = stored->turns;
  if (!stored->snapshot.empty()) {
    auto snap = parse_record(stored->snapshot, "tracker snapshot");
    if (!snap.ok()) return snap.status();
    if (!snap->is_object()) return Status(Code::kCorruption, "stored tracker snapshot is not an object");
    auto t = dialogue::Tracker::from_snapshot(key.conversation, &bot.domain(), snap->get_object(), window);
    if (!t.ok()) return t.status();
    out.tracker = std::make_unique<dialogue::Tracker>(std::move(t).value());
    out.tracker->set_version(stored->snapshot_version);
  } else {
    out.tracker = std::make_unique<dialogue::Tracker>(key.conversation, &bot.domain(), window);
  }
  for (const auto& text : stored->events) {
    auto v = parse_record(text, "event");
    if (!v.ok()) return v.status();
    auto e = dialogue::event_from_json(*v);
    if (!e.ok()) return Status(Code::kCorruption, "stored event cannot be decoded: " + e.status().message());
    out.tracker->apply(*e);
  }
  out.tracker->set_version(stored->version);
  return out;
}

Result<json::array> stored_events_json(store::ConversationStore& store, const store::ConversationKey& key,
                                       uint64_t from, uint64_t to) {
  json::array out;
  if (to <= from) return out;
  auto events = store.read_events(key, from, to - from);
  if (!events.ok()) return events.status();
  out.reserve(events->size());
  for (const auto& text : *events) {
    auto v = parse_record(text, "event");
    if (!v.ok()) return v.status();
    out.push_back(std::move(v).value());
  }
  return out;
}

}  // namespace parley::runtime
