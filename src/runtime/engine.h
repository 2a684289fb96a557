// The turn pipeline (shared/ARCHITECTURE.md): route to the bot, run the conversation's turns one at
// a time in arrival order (mailbox), dedup by client message id, load the tracker (cache or
// store), run the turn (NLU, policies, actions; custom actions asynchronously), commit the turn's
// events + dedup record + outbox in one atomic write, then reply. Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/bot.h"
#include "core/json.h"
#include "core/status.h"
#include "dialogue/turn.h"

namespace parley::runtime {

struct MessageRequest {
  std::string bot;
  std::string conversation;
  std::string message_id;     // client message id; "" = no dedup
  std::string text;
  std::string input_channel = "rest";
  json::value metadata;
};

struct MessageReply {
  std::string conversation;
  uint64_t turn = 0;                          // the conversation's turn number (1-based)
  std::vector<dialogue::BotMessage> messages;
  bool replayed = false;                      // true when served from the dedup record (G3)
};

using ReplyHandler = std::function<void(Result<MessageReply>)>;

}  // namespace parley::runtime

namespace parley::store {
class ConversationStore;
}
namespace parley::dialogue {
class AsyncActionClient;
}

namespace parley::runtime {

struct EngineOptions {
  size_t cache_bytes = 256u << 20;          // tracker cache bound, in bytes
  size_t tracker_window = 512;              // events of a session kept in memory per tracker
  size_t snapshot_every = 16;               // turns between tracker snapshots in the store
  size_t max_queue_per_conversation = 64;   // mailbox bound; beyond it: Code::kUnavailable
  size_t max_pending_turns = 20000;         // all mailboxes together; beyond it: kUnavailable
  std::chrono::milliseconds action_timeout{5000};
  size_t action_max_in_flight_per_bot = 64; // bulkhead per bot's action server
};

struct BotInfo {
  std::string name;
  uint64_t version = 0;
  std::string dir;
};

// Counters and gauges the engine keeps, read by ops/ to render /metrics.
struct EngineStats;

class Engine {
 public:
  // `executor` runs turns (a small fixed pool shared with the network code).
  Engine(EngineOptions options, std::shared_ptr<store::ConversationStore> store,
         std::shared_ptr<dialogue::AsyncActionClient> actions, boost::asio::any_io_executor executor);
  ~Engine();

  // Loads every subfolder of `bots_dir` as a bot named after the folder. Bots that fail to
  // load are reported in the diagnostics and not served; fails only when none loaded.
  Result<std::vector<bot::Diagnostic>> load_bots(const std::string& bots_dir);
  // Loads a new version beside the old one and swaps atomically. A broken version is refused
  // with its diagnostics (Code::kInvalidArgument) and the old one keeps serving.
  Result<std::vector<bot::Diagnostic>> reload_bot(const std::string& name);
  Status reload_all();
  std::vector<BotInfo> bots() const;
  std::shared_ptr<const bot::Bot> find_bot(std::string_view name) const;

  // Runs one message through the pipeline; `done` is called exactly once, on an executor thread.
  // Errors: kNotFound (bot), kInvalidArgument, kUnavailable (queue full, draining), kIOError.
  void handle_message(MessageRequest request, ReplyHandler done);

  // Native tracker view: {"conversation", "bot", "version", "slots", "active_loop", "events"}.
  Result<json::object> conversation(const std::string& bot, const std::string& conversation);
  // Rasa tracker shape (shared/rasa/COMPAT.md); include_events: ALL|AFTER_RESTART|APPLIED|NONE.
  Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                    std::string_view include_events);

  // Stops taking new messages (kUnavailable) and calls `done` once every turn in flight is
  // committed and answered.
  void drain(std::function<void()> done);
  Status ready() const;
  const EngineStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::runtime
