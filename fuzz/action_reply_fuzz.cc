// Fuzzes what Parley reads from an action server's reply: the JSON body, its shape check
// (dialogue/action_reply.h), each event (event_from_json), and the tracker that applies them.
// Events must survive a round trip through their JSON shape and the tracker through a snapshot.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialogue/action_reply.h"
#include "dialogue/event.h"
#include "dialogue/tracker.h"
#include "fuzz_check.h"
#include "project/project.h"

using namespace parley;
using namespace parley::dialogue;

namespace {

const project::Domain& domain() {
  static const project::Domain d = [] {
    project::Domain d;
    project::Intent greet;
    greet.name = "greet";
    d.intents.push_back(greet);
    project::Slot city;
    city.name = "city";
    d.slots.push_back(city);
    project::Slot count;
    count.name = "count";
    count.type = project::SlotType::kFloat;
    d.slots.push_back(count);
    return d;
  }();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return 0;
  if (!check_action_reply(v).is_ok()) return 0;

  Tracker tracker("fuzz", &domain(), 16);
  const json::value* events = v.as_object().if_contains("events");
  if (!events || !events->is_array()) return 0;
  for (const auto& item : events->as_array()) {
    auto e = event_from_json(item);
    if (!e.ok()) continue;
    json::object j = to_json(*e);
    auto again = event_from_json(j);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(to_json(*again) == j);
    std::string text;
    append_event_json(text, *e);
    json::parse(text, ec);
    if (ec) std::fprintf(stderr, "stored text that is not JSON: %s\n", text.c_str());
    FUZZ_CHECK(!ec);
    tracker.apply(*e);
  }
  auto restored = Tracker::from_snapshot("fuzz", &domain(), tracker.snapshot(), 16);
  FUZZ_CHECK(restored.ok());
  return 0;
}
