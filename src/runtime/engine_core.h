// Internals of the Engine shared by its files: engine.cc (admission, mailboxes, drain),
// turn_job.cc (one message through the pipeline) and views.cc (tracker views). Turns in flight
// hold a shared_ptr to the core, so it outlives the Engine object until they are done.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/bot_registry.h"
#include "runtime/conversation_table.h"
#include "runtime/engine.h"
#include "runtime/stats.h"
#include "store/conversation_store.h"

namespace parley::runtime {

class EngineCore : public std::enable_shared_from_this<EngineCore> {
 public:
  EngineCore(EngineOptions options, std::shared_ptr<store::ConversationStore> store,
             std::shared_ptr<dialogue::AsyncActionClient> actions, boost::asio::any_io_executor executor,
             boost::asio::any_io_executor watchdog);

  void handle_message(MessageRequest request, ReplyHandler done);
  // Runs the next queued message of a running conversation (posted to the executor).
  void run_next(std::shared_ptr<Conversation> c);
  // A turn answered its caller: frees the mailbox for the next message.
  void turn_finished(const std::shared_ptr<Conversation>& c);

  Result<json::object> conversation_view(const std::string& bot, const std::string& conversation);
  Result<json::object> rasa_tracker_view(const std::string& bot, const std::string& conversation,
                                         std::string_view include_events);

  void drain(std::function<void()> done);
  Status ready() const;
  Status store_ready() const;

  const EngineOptions options;
  const std::shared_ptr<store::ConversationStore> store;
  // Other processes write the same store (replicas on Redis: it has leases): a cached tracker may
  // be behind, so views read the store; a turn keeps its cached tracker only when the version the
  // store returns at the turn's start matches it (ConversationStore::begin_turn), and the append's
  // version check catches a write in between (the turn then runs again on the stored state).
  const bool shared_store;
  const std::shared_ptr<dialogue::AsyncActionClient> actions;
  const boost::asio::any_io_executor executor;
  const boost::asio::any_io_executor watchdog;  // timers of turn budgets (Engine's constructor)
  EngineStats stats;
  BotRegistry bots{stats, {options.model_cache, {options.max_project_bytes}}};
  ConversationTable table;

 private:
  // Answers a message that never reached a mailbox.
  void reject(MessageRequest& request, ReplyHandler& done, Status status);
  void maybe_drained();

  std::atomic<bool> draining_{false};
  std::mutex drain_mu_;
  std::vector<std::function<void()>> drain_waiters_;  // guarded by drain_mu_
};

}  // namespace parley::runtime
