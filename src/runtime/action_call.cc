// The call races its own timer; whichever finishes first completes the turn, the other is
// ignored. The timer lives on a strand so cancelling it from the client's thread is safe.
#include "runtime/action_call.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <memory>

namespace parley::runtime {

namespace {

struct CallState {
  explicit CallState(boost::asio::any_io_executor ex)
      : executor(ex), strand(boost::asio::make_strand(ex)), timer(strand) {}

  boost::asio::any_io_executor executor;
  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::steady_timer timer;
  std::atomic<bool> finished{false};
  std::atomic<size_t>* in_flight = nullptr;
  EngineStats* stats = nullptr;
  std::function<void(dialogue::ActionReply)> done;

  // The first caller completes the turn; later ones do nothing.
  void finish(dialogue::ActionReply r, ActionCallStat outcome) {
    if (finished.exchange(true)) return;
    in_flight->fetch_sub(1, std::memory_order_relaxed);
    stats->actions_in_flight.fetch_sub(1, std::memory_order_relaxed);
    stats->count_action(outcome);
    boost::asio::post(executor, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
};

ActionCallStat stat_of(const dialogue::ActionReply& r) {
  switch (r.outcome) {
    case dialogue::ActionOutcome::kOk: return ActionCallStat::kOk;
    case dialogue::ActionOutcome::kTimedOut: return ActionCallStat::kTimeout;
    case dialogue::ActionOutcome::kRejected:
    case dialogue::ActionOutcome::kFailed: break;
  }
  return ActionCallStat::kError;
}

}  // namespace

void call_action(dialogue::AsyncActionClient* client, boost::asio::any_io_executor executor,
                 dialogue::ActionRequest request, ActionCallLimits limits, EngineStats& stats,
                 std::function<void(dialogue::ActionReply)> done) {
  auto fail_now = [&](Status s, ActionCallStat o) {
    stats.count_action(o);
    boost::asio::post(executor, [done = std::move(done), s = std::move(s)]() mutable {
      done(dialogue::ActionReply::failed(std::move(s)));
    });
  };
  if (!client) return fail_now(Status::unavailable("no action client is configured"), ActionCallStat::kError);
  if (limits.in_flight->fetch_add(1, std::memory_order_relaxed) >= limits.max_in_flight) {
    limits.in_flight->fetch_sub(1, std::memory_order_relaxed);
    return fail_now(Status::unavailable("too many custom action calls in flight for this bot (" +
                                        std::to_string(limits.max_in_flight) + ")"),
                    ActionCallStat::kRejected);
  }
  stats.actions_in_flight.fetch_add(1, std::memory_order_relaxed);

  auto state = std::make_shared<CallState>(executor);
  state->in_flight = limits.in_flight;
  state->stats = &stats;
  state->done = std::move(done);
  if (request.timeout > limits.timeout || request.timeout.count() <= 0) request.timeout = limits.timeout;
  std::string action = request.action;
  auto timeout = limits.timeout;

  boost::asio::post(state->strand, [state, timeout, action] {
    state->timer.expires_after(timeout);
    state->timer.async_wait([state, action, timeout](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the call answered first
      state->finish(dialogue::ActionReply::timed_out(Status::timeout("custom action '" + action +
                                                                     "' did not answer within " +
                                                                     std::to_string(timeout.count()) + " ms")),
                    ActionCallStat::kTimeout);
    });
  });
  client->call(std::move(request), [state](dialogue::ActionReply r) {
    ActionCallStat o = stat_of(r);
    state->finish(std::move(r), o);
    boost::asio::post(state->strand, [state] { state->timer.cancel(); });
  });
}

}  // namespace parley::runtime
