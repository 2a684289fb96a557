// Test helper for the broker sinks (Kafka, NATS): synthetic events of many conversations, lanes
// that deliver them the way the relay does (a conversation always on the same lane, a failed
// batch retried whole until it is delivered), and a loopback port nobody listens on.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "events/record.h"
#include "support/ports.h"
#include "events/sink.h"

namespace parley::testing {

// `conversations` conversations of `per_conversation` events each, in the order a busy server
// would write them: event 1 of every conversation, then event 2, and so on.
inline std::vector<events::OutEvent> make_events(const std::string& bot, int conversations, int per_conversation) {
  std::vector<events::OutEvent> out;
  out.reserve(static_cast<size_t>(conversations) * per_conversation);
  uint64_t position = 0;
  for (int seq = 1; seq <= per_conversation; ++seq) {
    for (int c = 0; c < conversations; ++c) {
      events::OutEvent e;
      e.position = position++;
      e.bot = bot;
      e.conversation = "conv-" + std::to_string(c);
      e.type = "user";
      e.ts = 1700000000.0 + static_cast<double>(position) / 1000;
      e.id = events::event_id(e.bot, e.conversation, static_cast<uint64_t>(seq));
      events::RecordHeader h{e.bot, e.conversation, static_cast<uint64_t>(seq), static_cast<uint64_t>(seq), e.ts,
                             "user"};
      events::append_event_record(e.record, h,
                                  R"({"event":"user","text":"I would like a large pizza","parse_data":{}})",
                                  64u << 10);
      out.push_back(std::move(e));
    }
  }
  return out;
}

// The record's "seq" field.
inline uint64_t record_seq(std::string_view record) {
  auto p = record.find("\"seq\":");
  if (p == std::string_view::npos) return 0;
  return std::stoull(std::string(record.substr(p + 6, 20)));
}

// The events of each lane (conversation index modulo lanes), in event order.
inline std::vector<std::vector<const events::OutEvent*>> split_lanes(const std::vector<events::OutEvent>& all,
                                                                     size_t lanes) {
  std::vector<std::vector<const events::OutEvent*>> out(lanes);
  for (const auto& e : all) {
    size_t conv = std::stoul(e.conversation.substr(e.conversation.find('-') + 1));
    out[conv % lanes].push_back(&e);
  }
  return out;
}

// Delivers `queue` in batches, each retried (after a short pause) until the sink takes it or
// `give_up` passes. `after_batch(done)` runs after each delivered batch with the events
// delivered so far. Returns false when it gave up.
inline bool deliver_lane(events::Sink& sink, const std::vector<const events::OutEvent*>& queue, size_t batch,
                         std::chrono::milliseconds timeout, std::atomic<int>& failures,
                         std::chrono::steady_clock::time_point give_up,
                         const std::function<void(size_t)>& after_batch = {}) {
  for (size_t at = 0; at < queue.size();) {
    size_t n = std::min(batch, queue.size() - at);
    events::Batch b(queue.begin() + static_cast<long>(at), queue.begin() + static_cast<long>(at + n));
    while (!sink.deliver(b, timeout).is_ok()) {
      ++failures;
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    at += n;
    if (after_batch) after_batch(at);
  }
  return true;
}

}  // namespace parley::testing
