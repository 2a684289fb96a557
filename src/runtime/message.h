// One user message in, the turn's reply out: the shapes every channel and the engine share.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "dialogue/message.h"

namespace parley::runtime {

struct MessageRequest {
  std::string bot;
  std::string conversation;
  std::string message_id;     // client message id; "" = no dedup
  std::string text;
  std::string input_channel = "rest";
  json::value metadata{};
};

struct MessageReply {
  std::string conversation;
  uint64_t turn = 0;                          // the conversation's turn number (1-based)
  std::vector<dialogue::BotMessage> messages;
  bool replayed = false;                      // true when served from the dedup record (G3)
};

using ReplyHandler = std::function<void(Result<MessageReply>)>;

}  // namespace parley::runtime
