// The shared message path: checks before the turn, the turn, and what is counted and logged.
#include "channels/http/submit.h"

#include <algorithm>
#include <chrono>

#include "core/clock.h"
#include "core/log.h"

namespace parley::channels {

Submitter::Submitter(SubmitOptions options, std::shared_ptr<Conversations> conversations,
                     ops::ServerMetrics& metrics, const std::atomic<bool>& draining)
    : options_(std::move(options)),
      conversations_(std::move(conversations)),
      metrics_(metrics),
      draining_(draining),
      conversation_limiter_(options_.conversation_rate),
      bot_limiter_(options_.bot_rate) {}

std::optional<ApiError> Submitter::read(std::string_view body, MessageShape shape, const Router& router,
                                        const Identity& who, const std::string& bot,
                                        const std::string* conversation, runtime::MessageRequest& out) const {
  if (auto e = parse_message_body(body, shape, options_.limits, out)) return e;
  out.bot = bot;
  if (conversation) out.conversation = *conversation;
  // The Rasa and WebSocket shapes name their conversation in the body: a user token is checked against it.
  return router.authorize(who, Access::kMessage, out.bot, &out.conversation);
}

std::optional<ApiError> Submitter::check_rate(const std::string& bot, const std::string& conversation) {
  auto retry = [](std::chrono::milliseconds wait) {
    return static_cast<unsigned>(std::max<int64_t>(1, (wait.count() + 999) / 1000));
  };
  if (conversation_limiter_.enabled()) {
    std::string key = bot;
    key += '\0';
    key += conversation;
    if (auto wait = conversation_limiter_.acquire(key); wait.count() > 0) {
      metrics_.rate_limited("conversation");
      return ApiError{429, "rate_limited", "too many messages in conversation '" + conversation + "'",
                      retry(wait)};
    }
  }
  if (bot_limiter_.enabled()) {
    if (auto wait = bot_limiter_.acquire(bot); wait.count() > 0) {
      metrics_.rate_limited("bot");
      return ApiError{429, "rate_limited", "too many messages for bot '" + bot + "'", retry(wait)};
    }
  }
  return std::nullopt;
}

void Submitter::submit(runtime::MessageRequest msg, std::function<void(Submitted)> done) {
  if (draining_.load()) {
    ApiError e{503, "draining", "the server is shutting down", options_.retry_after_s};
    metrics_.message(msg.bot, e.code, 0);
    return done(std::move(e));
  }
  if (auto e = check_rate(msg.bot, msg.conversation)) {
    metrics_.message(msg.bot, e->code, 0);
    return done(std::move(*e));
  }
  auto start = std::chrono::steady_clock::now();
  std::string bot = msg.bot, conversation = msg.conversation, message_id = msg.message_id;
  conversations_->submit(std::move(msg), [this, start, bot, conversation, message_id, done = std::move(done)](
                                             Result<runtime::MessageReply> r) {
    double secs = seconds_since(start);
    std::string outcome = r.ok() ? (r->replayed ? "replayed" : "ok") : code_name(r.status().code());
    metrics_.message(bot, outcome, secs);
    if (spdlog::should_log(spdlog::level::debug) || !r.ok())
      log(r.ok() ? spdlog::level::debug : spdlog::level::info, "turn",
          {{"bot", bot},
           {"conversation", conversation},
           {"message_id", message_id},
           {"turn", r.ok() ? r->turn : 0},
           {"outcome", outcome},
           {"ms", secs * 1000},
           {"error", r.ok() ? std::string() : r.status().message()}});
    if (r.ok()) return done(std::move(*r));
    ApiError e = error_from_status(r.status(), options_.retry_after_s);
    if (r.status().code() == Code::kNotFound) e.code = "unknown_bot";
    done(std::move(e));
  });
}

}  // namespace parley::channels
