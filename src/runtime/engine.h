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
#include "runtime/message.h"
#include "runtime/stats.h"  // EngineStats: the counters ops/ renders in /metrics

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
  size_t snapshot_every = 16;               // turns between tracker snapshots in the store (0: never)
  size_t snapshot_keep_events = 64;         // session events a snapshot keeps (bounds its size)
  size_t max_queue_per_conversation = 64;   // mailbox bound; beyond it: Code::kUnavailable
  size_t max_pending_turns = 20000;         // all mailboxes together; beyond it: kUnavailable
  std::chrono::milliseconds action_timeout = dialogue::ActionRequest{}.timeout;  // per custom action call
  // Compute time of one turn (its NLU and policies; not its waits for the store or action
  // servers). A turn over it, or one whose regex search hit its limit, is stopped: nothing of it
  // is committed but an error event (turn_budget_exceeded), and it is answered with
  // Code::kBudgetExceeded. 0 = no time limit (the regex limits still apply).
  std::chrono::milliseconds turn_budget{1000};
  size_t action_max_in_flight_per_bot = 64; // bulkhead per bot's action server
  bool write_outbox = true;                 // outbox records for the event relay (off: no sinks)
  // With a store shared by replicas (one with leases, store/lease.h) a turn runs under the
  // conversation's lease (ConversationStore::begin_turn, renewed by acquire_lease); it lasts this long unless the turn's commit releases it first. Longer than a
  // turn with its custom action calls; a holder that dies blocks the conversation this long.
  std::chrono::milliseconds lease_ttl{8000};
  size_t max_event_bytes = 64u << 10;       // event records longer than this are truncated
  std::string model_cache;                  // folder of trained models ("" = train at every load)
  uint64_t max_project_bytes = project::LoadOptions{}.max_project_bytes;  // a bot's files together; larger ones are not loaded
};

struct BotInfo {
  std::string name;
  uint64_t version = 0;
  std::string dir;     // the bot's folder as --bots names it
};

class EngineCore;

// Thread-safe. Turns still in flight when the Engine is destroyed finish on the executor (they
// keep the engine's internals alive), so the executor must outlive them: drain() first.
class Engine {
 public:
  // `executor` runs turns (a small fixed pool). `watchdog` runs the timers that stop a turn over
  // its budget even while it keeps its thread busy: threads that never run turns (the network
  // code's); without one, `executor` (then a budget is enforced only when the turn yields).
  // `actions` may be null (custom actions then fail as if their server were down).
  Engine(EngineOptions options, std::shared_ptr<store::ConversationStore> store,
         std::shared_ptr<dialogue::AsyncActionClient> actions, boost::asio::any_io_executor executor,
         boost::asio::any_io_executor watchdog = {});
  ~Engine();

  // Loads every subfolder of `bots_dir` as a bot named after the folder. Bots that fail to
  // load are reported in the diagnostics and not served; fails only when none loaded.
  Result<std::vector<project::Diagnostic>> load_bots(const std::string& bots_dir);
  // Loads a new version beside the old one and swaps atomically. A broken version is refused
  // with its diagnostics (Code::kInvalidArgument) and the old one keeps serving.
  Result<std::vector<project::Diagnostic>> reload_bot(const std::string& name);
  Status reload_all();
  std::vector<BotInfo> bots() const;
  std::shared_ptr<const bot::Bot> find_bot(std::string_view name) const;

  // Runs one message through the pipeline; `done` is called exactly once, on an executor thread,
  // after the turn's records are durably committed (G4). Turns of one conversation run one at a
  // time in arrival order (G1); a message id seen before gets the stored reply, replayed = true,
  // and changes nothing (G3).
  // Errors: kNotFound (bot), kInvalidArgument (empty conversation id), kUnavailable (mailbox
  // or engine queue full, draining), kIOError / kCorruption (store), kInternal.
  void handle_message(MessageRequest request, ReplyHandler done);

  // Native tracker view: {"conversation", "bot", "version", "turns", "slots", "active_loop"
  // (name or null), "events" (the full stored history, Rasa event JSON)}. An unknown
  // conversation gives version 0 and no events. Reads committed state only. Blocking (store).
  Result<json::object> conversation(const std::string& bot, const std::string& conversation);
  // Rasa tracker shape (shared/rasa/COMPAT.md); include_events: ALL|AFTER_RESTART|APPLIED|NONE
  // (case-insensitive; "" = AFTER_RESTART), else kInvalidArgument. Blocking (store).
  Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                    std::string_view include_events);

  // The conversation's event records (events/record.h) with seq > after, at most `limit`, as
  // every sink receives them (JSON text, byte for byte). An unknown conversation gives none.
  // Blocking (store).
  Result<std::vector<std::string>> event_records(const std::string& bot, const std::string& conversation, uint64_t after,
                                    size_t limit);

  // Stops taking new messages (kUnavailable) and calls `done` (on an executor thread) once every
  // turn in flight is committed and answered and the store is synced. May be called again.
  void drain(std::function<void()> done);
  // OK when at least one bot is loaded and the engine is not draining.
  Status ready() const;
  // OK when the store takes writes; kUnavailable saying why not (a full disk, Redis down).
  Status store_ready() const;
  const EngineStats& stats() const;

 private:
  std::shared_ptr<EngineCore> core_;
};

}  // namespace parley::runtime
