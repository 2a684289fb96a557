// The seam between the channels and the turn pipeline: what every channel (native REST and
// WebSocket, Rasa REST; later socket.io, Direct Line, XMPP) needs from the engine. The server runs
// on runtime::Engine (channels/engine_port.h), channel tests on a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dialogue/message.h"
#include "runtime/message.h"

namespace parley::channels {

// A bot message that reaches a conversation outside a request (reminders, external events: later issues).
struct PushedMessage {
  std::string bot;
  std::string conversation;
  uint64_t turn = 0;  // the turn that produced it
  dialogue::BotMessage message;
};

// Implemented by a channel that can reach its clients on its own (WebSocket, socket.io, XMPP, Direct Line).
class BotMessageSink {
 public:
  virtual ~BotMessageSink() = default;
  // Called on an engine thread after the message's turn is committed. Must not block: queue and return.
  // false: this channel no longer serves `m.conversation` (the engine stops offering it here).
  virtual bool deliver(const PushedMessage& m) = 0;
};

// Unsubscribes when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// Thread-safe. Nothing here blocks on I/O, so it may be called from an I/O thread.
class Conversations {
 public:
  virtual ~Conversations() = default;

  virtual bool has_bot(std::string_view bot) const = 0;
  // Runs `m` as one turn in its conversation's order; `done` exactly once, on any thread, after the
  // turn is durable (G4). Errors as runtime::Engine::handle_message.
  virtual void submit(runtime::MessageRequest m, runtime::ReplyHandler done) = 0;
  // Pushed messages of `bot`'s conversations go to `sink` until the handle is dropped. No producer
  // exists yet (reminders are a later issue).
  virtual std::unique_ptr<Subscription> subscribe(std::string bot, std::shared_ptr<BotMessageSink> sink) = 0;
};

}  // namespace parley::channels
