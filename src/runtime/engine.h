// The turn pipeline (shared/ARCHITECTURE.md): route to the bot, run the conversation's turns one at
// a time in arrival order (mailbox), dedup by client message id, load the tracker (cache or
// store), run the turn (NLU, policies, actions; custom actions asynchronously), commit the turn's
// events + dedup record + outbox in one atomic write, then reply. Thread-safe.
#pragma once

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
