// The turn pipeline, step by step.
#include "runtime/turn_job.h"


#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>

#include "core/clock.h"
#include "core/log.h"
#include "runtime/action_call.h"
#include "runtime/records.h"
#include "runtime/tracker_loader.h"

namespace parley::runtime {

namespace {

constexpr uint64_t kStopped = UINT64_MAX;
// The watchdog waits this long past the budget, so that a turn that notices its budget itself
// (a regex search looks at it between calls) ends as usual, committing before it answers.
constexpr auto kWatchdogGrace = std::chrono::milliseconds(100);
constexpr const char* kOverBudgetReply =
    "the bot went over its compute budget for this message and stopped; nothing of the turn was saved";

}  // namespace

TurnJob::TurnJob(std::shared_ptr<EngineCore> core, std::shared_ptr<Conversation> conversation, PendingMessage message)
    : core_(std::move(core)), conv_(std::move(conversation)), msg_(std::move(message)) {}

template <typename F>
void TurnJob::guarded(F&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    computing_.store(0);  // no watchdog for a stretch that threw
    if (!finished_) fail(Status::internal(std::string("turn failed: ") + e.what()));
  }
}

void TurnJob::start() {
  guarded([this] { begin(); });
}

void TurnJob::begin() {
  const auto& key = conv_->key;
  // G3: a message id seen before gets the stored reply and changes nothing. Checked inside the
  // mailbox, so a retry that races its original waits for it and then finds its record.
  // Replicas on a shared store: the turn runs under the conversation's lease, so two replicas do
  // not run turns of one conversation at once (the append's version and fence checks make a
  // lapsed holder's write fail; correctness never rests on the lease alone). One store call gives
  // both; a store only this process opens takes no lease (fence 0).
  auto started = core_->store->begin_turn(key, core_->options.lease_ttl, fence_, msg_.request.message_id);
  if (!started.ok() && started.status().code() == Code::kConflict) return wait_for_lease();
  if (!started.ok()) return fail(started.status());
  if (started->reply) {
    fence_ = 0;
    return replay(*started->reply);
  }
  fence_ = started->fence;
  // The cached tracker is used only if no other replica moved the conversation on meanwhile.
  if (conv_->tracker && started->version && *started->version != conv_->tracker->version()) {
    conv_->tracker.reset();
    conv_->bot.reset();
  }
  Status s = ensure_tracker();
  if (!s.is_ok()) return fail(s);
  start_version_ = conv_->tracker->version();
  dialogue::TurnInput input;
  input.text = msg_.request.text;
  input.message_id = msg_.request.message_id;
  input.input_channel = msg_.request.input_channel;
  input.metadata = msg_.request.metadata;
  runner_.emplace(entry_->bot, *conv_->tracker, std::move(input));
  drive();
}

void TurnJob::replay(const std::string& stored) {
  auto reply = parse_reply(stored);
  if (!reply.ok()) return fail(reply.status());
  answer(std::move(reply).value(), TurnOutcome::kReplayed);
}

Status TurnJob::ensure_tracker() {
  entry_ = core_->bots.find(conv_->key.bot);
  if (!entry_) return Status::not_found("unknown bot '" + conv_->key.bot + "'");
  const auto& bot = entry_->bot;
  if (conv_->tracker) {
    core_->stats.cache_hits.fetch_add(1, std::memory_order_relaxed);
    if (conv_->bot != bot) {  // the bot was reloaded: keep the conversation, use the new domain
      conv_->tracker->rebind(&bot->domain());
      conv_->bot = bot;
    }
    return Status::ok();
  }
  core_->stats.cache_misses.fetch_add(1, std::memory_order_relaxed);
  auto loaded = load_tracker(*core_->store, conv_->key, *bot, core_->options.tracker_window);
  if (!loaded.ok()) return loaded.status();
  conv_->tracker = std::move(loaded->tracker);
  conv_->turns = loaded->turns;
  conv_->bot = bot;
  return Status::ok();
}

void TurnJob::drive() {
  advance([this] { return runner_->run(); });
}

template <typename F>
void TurnJob::advance(F&& step) {
  auto state = dialogue::TurnRunner::State::kDone;
  const bool in_time = compute([&] { state = step(); });
  if (std::string why = over_budget(!in_time); !why.empty()) return stop_over_budget(why);
  if (state == dialogue::TurnRunner::State::kDone) return commit();
  // A custom action call may be slow: renew the lease for a whole ttl from here (a lease lost
  // anyway makes the commit fail its fence check, and the turn runs again on the stored state).
  if (fence_ != 0) (void)core_->store->leases()->acquire_lease(conv_->key, core_->options.lease_ttl, fence_);
  ActionCallLimits limits{&entry_->shared->actions_in_flight, core_->options.action_max_in_flight_per_bot,
                          core_->options.action_timeout};
  call_action(core_->actions.get(), core_->executor, runner_->pending_action(), limits, core_->stats,
              [self = shared_from_this()](dialogue::ActionReply r) {
                self->guarded([&] { self->on_action(std::move(r)); });
              });
}

void TurnJob::on_action(dialogue::ActionReply reply) {
  advance([&] {
    runner_->resume(std::move(reply));
    return runner_->run();
  });
}

template <typename F>
bool TurnJob::compute(F&& work) {
  const auto budget = core_->options.turn_budget;
  const auto start = Budget::Clock::now();
  const uint64_t stretch = ++stretches_;
  computing_.store(stretch);
  if (budget.count() > 0) {
    const auto deadline = start + (budget - computed_);
    budget_.set_deadline(deadline);
    arm_watchdog(stretch, deadline + kWatchdogGrace);
  }
  {
    BudgetScope scope(budget_);
    work();
  }
  computed_ += Budget::Clock::now() - start;
  uint64_t expected = stretch;
  return computing_.compare_exchange_strong(expected, 0);
}

void TurnJob::arm_watchdog(uint64_t stretch, Budget::Clock::time_point deadline) {
  // The timer does not keep the job alive: a turn that ended in time is gone when it fires.
  auto timer = std::make_shared<boost::asio::steady_timer>(core_->watchdog, deadline);
  timer->async_wait([weak = weak_from_this(), timer, stretch](const boost::system::error_code&) {
    if (auto self = weak.lock()) self->on_watchdog(stretch);
  });
}

void TurnJob::on_watchdog(uint64_t stretch) {
  if (!computing_.compare_exchange_strong(stretch, kStopped)) return;  // it ended in time
  log(spdlog::level::warn, "turn over budget, still computing",
      {{"bot", conv_->key.bot}, {"conversation", conv_->key.conversation}, {"message_id", msg_.request.message_id},
       {"budget_ms", core_->options.turn_budget.count()}});
  respond(Status(Code::kBudgetExceeded, kOverBudgetReply), TurnOutcome::kOverBudget);
}

std::string TurnJob::over_budget(bool stopped) const {
  if (!budget_.reason().empty()) return budget_.reason();
  const auto budget = core_->options.turn_budget;
  if (stopped || (budget.count() > 0 && computed_ > budget))
    return "the turn computed for more than " + std::to_string(budget.count()) + " ms";
  return {};
}

void TurnJob::stop_over_budget(const std::string& why) {
  log(spdlog::level::warn, "turn stopped over budget",
      {{"bot", conv_->key.bot}, {"conversation", conv_->key.conversation}, {"message_id", msg_.request.message_id},
       {"reason", why}});
  // The tracker holds the stopped turn's events: drop them; only the error event is written.
  runner_.reset();
  conv_->tracker.reset();
  conv_->bot.reset();
  const std::vector<dialogue::Event> events{
      dialogue::Event::error("turn_budget_exceeded", why, unix_seconds())};
  append(make_turn_record({conv_->key, start_version_, conv_->turns + 1, events, "", reply_, outbox_bytes()}),
         &TurnJob::on_stopped);
}

void TurnJob::on_stopped(Status commit_status) {
  if (commit_status.is_ok()) {
    fence_ = 0;  // the append released the lease
  } else {
    log(spdlog::level::warn, "the error event of a turn over budget was not written",
        {{"error", commit_status.to_string()}});
    if (fence_ != 0) (void)core_->store->leases()->release_lease(conv_->key, fence_);
    fence_ = 0;
  }
  answer(Status(Code::kBudgetExceeded, kOverBudgetReply), TurnOutcome::kOverBudget);  // unless the watchdog did
}

void TurnJob::commit() {
  dialogue::Tracker& tracker = *conv_->tracker;
  uint64_t turn = conv_->turns + 1;
  reply_.conversation = conv_->key.conversation;
  reply_.turn = turn;
  reply_.messages = runner_->messages();
  store::TurnRecord record = make_turn_record(
      {conv_->key, start_version_, turn, runner_->new_events(), msg_.request.message_id, reply_, outbox_bytes()});
  const size_t every = core_->options.snapshot_every;
  if (every > 0 && turn % every == 0)
    record.snapshot = json::serialize(tracker.snapshot(core_->options.snapshot_keep_events));
  append(std::move(record), &TurnJob::on_commit);
}

size_t TurnJob::outbox_bytes() const { return core_->options.write_outbox ? core_->options.max_event_bytes : 0; }

void TurnJob::append(store::TurnRecord record, void (TurnJob::*then)(Status)) {
  record.fence = fence_;
  core_->store->append_if_version_async(conv_->key, std::move(record), [self = shared_from_this(), then](Status s) {
    // On the store's committer thread: hand the rest to the executor at once.
    boost::asio::post(self->core_->executor, [self, then, s = std::move(s)]() mutable {
      self->guarded([&] { ((*self).*then)(std::move(s)); });
    });
  });
}

void TurnJob::on_commit(Status status) {
  if (status.is_ok()) {
    fence_ = 0;  // the append released the lease
    conv_->turns = reply_.turn;
    runner_.reset();
    return answer(std::move(reply_), TurnOutcome::kOk);
  }
  runner_.reset();
  conv_->tracker.reset();
  conv_->bot.reset();
  if (status.code() == Code::kConflict && !retried_) {
    // Someone else wrote this conversation: run the turn again on the stored state.
    retried_ = true;
    core_->stats.conflicts_retried.fetch_add(1, std::memory_order_relaxed);
    return begin();
  }
  fail(status);
}

void TurnJob::wait_for_lease() {
  auto now = std::chrono::steady_clock::now();
  if (lease_wait_started_ == std::chrono::steady_clock::time_point{}) lease_wait_started_ = now;
  if (now - lease_wait_started_ > core_->options.lease_ttl + std::chrono::seconds(1))
    return fail(Status::unavailable("conversation '" + conv_->key.conversation +
                                    "' is busy on another replica; retry"));
  auto timer = std::make_shared<boost::asio::steady_timer>(core_->executor, std::chrono::milliseconds(5));
  timer->async_wait([self = shared_from_this(), timer](const boost::system::error_code&) {
    self->guarded([&] { self->begin(); });
  });
}

void TurnJob::fail(Status status) {
  if (fence_ != 0) {
    (void)core_->store->leases()->release_lease(conv_->key, fence_);
    fence_ = 0;
  }
  runner_.reset();
  conv_->tracker.reset();
  conv_->bot.reset();
  log(spdlog::level::warn, "turn failed",
      {{"bot", conv_->key.bot}, {"conversation", conv_->key.conversation}, {"message_id", msg_.request.message_id},
       {"error", status.to_string()}});
  answer(std::move(status), TurnOutcome::kFailed);
}

void TurnJob::answer(Result<MessageReply> result, TurnOutcome outcome) {
  if (finished_) return;
  finished_ = true;
  respond(std::move(result), outcome);
  core_->turn_finished(conv_);
}

void TurnJob::respond(Result<MessageReply> result, TurnOutcome outcome) {
  if (answered_.exchange(true)) return;
  if (outcome != TurnOutcome::kFailed && outcome != TurnOutcome::kOverBudget)
    core_->stats.turn_seconds.observe(seconds_since(msg_.arrived));
  if (entry_) {
    entry_->shared->counters->by_outcome[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  } else {
    core_->stats.count_turn(conv_->key.bot, outcome);
  }
  try {
    msg_.done(std::move(result));
  } catch (const std::exception& e) {
    log(spdlog::level::err, "reply handler threw", {{"error", e.what()}});
  }
}

}  // namespace parley::runtime
