// The message path every channel shares: the body read and its credential checked, then
// draining, the rate limits (per conversation, per bot), the turn on the engine's seam, and the
// message metrics and turn log. A channel only shapes the reply.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "channels/channel.h"
#include "channels/http/message_body.h"
#include "channels/http/router.h"
#include "ops/metrics.h"
#include "ops/rate_limiter.h"

namespace parley::channels {

struct SubmitOptions {
  MessageLimits limits;
  unsigned retry_after_s = kDefaultRetryAfterS;  // Retry-After on 503
  ops::RateLimitOptions conversation_rate;  // per (bot, conversation)
  ops::RateLimitOptions bot_rate;           // per bot
};

// A message's outcome: the turn's reply, or the error to answer with.
using Submitted = std::variant<runtime::MessageReply, ApiError>;

// Thread-safe.
class Submitter {
 public:
  // `draining` (true while the server shuts down: 503) must outlive the Submitter.
  Submitter(SubmitOptions options, std::shared_ptr<Conversations> conversations, ops::ServerMetrics& metrics,
            const std::atomic<bool>& draining);

  // Reads a message body of `shape` into `out` for `bot` (and the path's `conversation`, when it
  // names one) and checks `who` may send to the conversation it names: the error otherwise.
  std::optional<ApiError> read(std::string_view body, MessageShape shape, const Router& router, const Identity& who,
                               const std::string& bot, const std::string* conversation,
                               runtime::MessageRequest& out) const;
  // Runs the message as a turn unless the server is draining or a rate limit is reached; `done`
  // is called exactly once, on any thread.
  void submit(runtime::MessageRequest msg, std::function<void(Submitted)> done);

  ops::ServerMetrics& metrics() { return metrics_; }

 private:
  std::optional<ApiError> check_rate(const std::string& bot, const std::string& conversation);

  SubmitOptions options_;
  std::shared_ptr<Conversations> conversations_;
  ops::ServerMetrics& metrics_;
  const std::atomic<bool>& draining_;
  ops::RateLimiter conversation_limiter_;
  ops::RateLimiter bot_limiter_;
};

}  // namespace parley::channels
