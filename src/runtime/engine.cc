// Admission (bounded mailboxes), running mailboxes on the executor, drain and readiness; the
// Engine facade over EngineCore.
#include "runtime/engine.h"


#include <boost/asio/post.hpp>

#include "events/record.h"
#include "runtime/engine_core.h"
#include "runtime/turn_job.h"

namespace parley::runtime {

EngineCore::EngineCore(EngineOptions opts, std::shared_ptr<store::ConversationStore> st,
                       std::shared_ptr<dialogue::AsyncActionClient> acts, boost::asio::any_io_executor ex,
                       boost::asio::any_io_executor dog)
    : options(std::move(opts)),
      store(std::move(st)),
      shared_store(store->leases() != nullptr),
      actions(std::move(acts)),
      executor(ex),
      watchdog(dog ? std::move(dog) : std::move(ex)),
      table(options.cache_bytes, stats) {
  stats.store = store ? store->stats() : nullptr;
}

void EngineCore::reject(MessageRequest& request, ReplyHandler& done, Status status) {
  stats.count_turn(request.bot, status.code() == Code::kUnavailable ? TurnOutcome::kRejected : TurnOutcome::kFailed);
  boost::asio::post(executor, [done = std::move(done), status = std::move(status)]() mutable { done(std::move(status)); });
}

void EngineCore::handle_message(MessageRequest request, ReplyHandler done) {
  if (request.conversation.empty()) return reject(request, done, Status::invalid("the conversation id is empty"));
  if (!bots.find(request.bot)) return reject(request, done, Status::not_found("unknown bot '" + request.bot + "'"));
  // Count the message before looking at `draining_`, so drain() never misses it.
  int64_t pending = stats.pending_turns.fetch_add(1, std::memory_order_acq_rel);
  auto unreserve = [this] {
    stats.pending_turns.fetch_sub(1, std::memory_order_acq_rel);
    maybe_drained();
  };
  if (draining_.load(std::memory_order_acquire)) {
    unreserve();
    return reject(request, done, Status::unavailable("the server is shutting down"));
  }
  if (pending >= static_cast<int64_t>(options.max_pending_turns)) {
    unreserve();
    return reject(request, done, Status::unavailable("too many messages waiting (" +
                                                     std::to_string(options.max_pending_turns) + ")"));
  }
  store::ConversationKey key{request.bot, request.conversation};
  PendingMessage message{std::move(request), std::move(done), std::chrono::steady_clock::now()};
  std::shared_ptr<Conversation> conv;
  auto admit = table.enqueue(key, message, options.max_queue_per_conversation, &conv);
  if (admit == ConversationTable::Admit::kFull) {
    // `message` was not moved from when refused.
    unreserve();
    return reject(message.request, message.done,
                  Status::unavailable("too many messages waiting for this conversation (" +
                                      std::to_string(options.max_queue_per_conversation) + ")"));
  }
  if (admit == ConversationTable::Admit::kStart)
    boost::asio::post(executor, [self = shared_from_this(), conv = std::move(conv)]() mutable {
      self->run_next(std::move(conv));
    });
}

void EngineCore::run_next(std::shared_ptr<Conversation> c) {
  PendingMessage message = table.take_next(*c);
  std::make_shared<TurnJob>(shared_from_this(), std::move(c), std::move(message))->start();
}

void EngineCore::turn_finished(const std::shared_ptr<Conversation>& c) {
  if (table.finish_turn(c)) {
    // Post rather than loop, so one busy conversation does not hold a thread.
    boost::asio::post(executor, [self = shared_from_this(), c]() mutable { self->run_next(std::move(c)); });
  }
  stats.pending_turns.fetch_sub(1, std::memory_order_acq_rel);
  maybe_drained();
}

void EngineCore::maybe_drained() {
  if (!draining_.load(std::memory_order_acquire) || stats.pending_turns.load(std::memory_order_acquire) != 0)
    return;
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard<std::mutex> lock(drain_mu_);
    waiters.swap(drain_waiters_);
  }
  if (waiters.empty()) return;
  boost::asio::post(executor, [self = shared_from_this(), waiters = std::move(waiters)] {
    // Whatever the durability, what was answered is on disk before drain completes.
    if (self->store) self->store->sync();
    for (const auto& w : waiters) w();
  });
}

void EngineCore::drain(std::function<void()> done) {
  draining_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(drain_mu_);
    drain_waiters_.push_back(std::move(done));
  }
  maybe_drained();
}

Status EngineCore::ready() const {
  if (bots.size() == 0) return Status::unavailable("no bot is loaded");
  if (draining_.load(std::memory_order_acquire)) return Status::unavailable("the server is shutting down");
  return Status::ok();
}

Status EngineCore::store_ready() const {
  if (!store) return Status::unavailable("no store");
  return store->check_writable();
}

// ---- Engine ---------------------------------------------------------------------------------

Engine::Engine(EngineOptions options, std::shared_ptr<store::ConversationStore> store,
               std::shared_ptr<dialogue::AsyncActionClient> actions, boost::asio::any_io_executor executor,
               boost::asio::any_io_executor watchdog)
    : core_(std::make_shared<EngineCore>(std::move(options), std::move(store), std::move(actions),
                                         std::move(executor), std::move(watchdog))) {}

Engine::~Engine() = default;

Result<std::vector<project::Diagnostic>> Engine::load_bots(const std::string& bots_dir) {
  return core_->bots.load_all(bots_dir);
}

Result<std::vector<project::Diagnostic>> Engine::reload_bot(const std::string& name) { return core_->bots.reload(name); }

Status Engine::reload_all() {
  std::string errors;
  for (const auto& info : core_->bots.list()) {
    auto r = core_->bots.reload(info.name);
    if (!r.ok()) errors += (errors.empty() ? "" : "; ") + r.status().message();
  }
  return errors.empty() ? Status::ok() : Status::invalid(errors);
}

std::vector<BotInfo> Engine::bots() const { return core_->bots.list(); }

std::shared_ptr<const bot::Bot> Engine::find_bot(std::string_view name) const {
  auto entry = core_->bots.find(name);
  return entry ? entry->bot : nullptr;
}

void Engine::handle_message(MessageRequest request, ReplyHandler done) {
  core_->handle_message(std::move(request), std::move(done));
}

Result<json::object> Engine::conversation(const std::string& bot, const std::string& conversation) {
  return core_->conversation_view(bot, conversation);
}

Result<json::object> Engine::rasa_tracker(const std::string& bot, const std::string& conversation,
                                          std::string_view include_events) {
  return core_->rasa_tracker_view(bot, conversation, include_events);
}

Result<std::vector<std::string>> Engine::event_records(const std::string& bot, const std::string& conversation, uint64_t after,
                                          size_t limit) {
  if (!core_->bots.find(bot)) return Status::not_found("unknown bot '" + bot + "'");
  auto stored = core_->store->read_turn_events({bot, conversation}, after, limit);
  if (!stored.ok()) return stored.status();
  std::vector<std::string> out;
  out.reserve(stored->size());
  uint64_t seq = after;
  for (const auto& e : *stored) {
    ++seq;
    boost::system::error_code ec;
    json::value v = json::parse(e.text, ec);
    if (ec || !v.is_object()) return Status(Code::kCorruption, "stored event " + std::to_string(seq) + " is not JSON");
    const auto& o = v.get_object();
    std::string_view name = json_str(o, "event").value_or("");
    double ts = 0;
    if (auto t = json_get(o, "timestamp"); t && t->is_number()) ts = t->to_number<double>(ec);
    std::string record;
    events::append_event_record(record, {bot, conversation, seq, e.turn, ts, events::event_type(name)}, e.text,
                                core_->options.max_event_bytes);
    out.push_back(std::move(record));
  }
  return out;
}

void Engine::drain(std::function<void()> done) { core_->drain(std::move(done)); }

Status Engine::ready() const { return core_->ready(); }
Status Engine::store_ready() const { return core_->store_ready(); }

const EngineStats& Engine::stats() const { return core_->stats; }

}  // namespace parley::runtime
