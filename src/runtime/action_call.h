// One custom action call on behalf of a turn, isolated (G5): at most `max_in_flight` calls per
// bot at once (beyond: fail fast, no call), and a deadline the engine enforces itself, so an
// action server that never answers delays only the conversation waiting for it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <atomic>
#include <chrono>
#include <functional>

#include "core/json.h"
#include "core/status.h"
#include "dialogue/action_client.h"
#include "runtime/stats.h"

namespace parley::runtime {

struct ActionCallLimits {
  std::atomic<size_t>* in_flight;  // the bot's counter of calls in flight
  size_t max_in_flight;
  std::chrono::milliseconds timeout;
};

// Makes the call with `client` (null: a kFailed reply, kUnavailable). `done` is called exactly
// once, posted to `executor`, with the client's reply, a kTimedOut one (kTimeout) after
// limits.timeout, or a kFailed one (kUnavailable) when the bulkhead is full. Counts the outcome
// in `stats`.
void call_action(dialogue::AsyncActionClient* client, boost::asio::any_io_executor executor,
                 dialogue::ActionRequest request, ActionCallLimits limits, EngineStats& stats,
                 std::function<void(dialogue::ActionReply)> done);

}  // namespace parley::runtime
