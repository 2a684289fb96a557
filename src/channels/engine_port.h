// The seam over the turn pipeline, runtime::Engine: Conversations for the channels, Admin for the
// administration routes, and the list of pushed-message subscribers per bot.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/admin/admin.h"
#include "channels/channel.h"
#include "runtime/engine.h"

namespace parley::channels {

class PushSubscribers;

// Thread-safe; forwards to the engine, plus the engine's /metrics families.
class EnginePort : public Conversations, public Admin {
 public:
  explicit EnginePort(std::shared_ptr<runtime::Engine> engine);
  ~EnginePort() override;

  bool has_bot(std::string_view bot) const override;
  void submit(runtime::MessageRequest m, runtime::ReplyHandler done) override;
  // The handle may outlive the port (dropping it then does nothing).
  std::unique_ptr<Subscription> subscribe(std::string bot, std::shared_ptr<BotMessageSink> sink) override;

  std::vector<runtime::BotInfo> bots() const override;
  Result<json::object> conversation(const std::string& bot, const std::string& conversation) override;
  Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                    std::string_view include_events) override;
  Result<std::vector<std::string>> event_records(const std::string& bot, const std::string& conversation,
                                                 uint64_t after, size_t limit) override;
  Result<std::vector<project::Diagnostic>> reload_bot(const std::string& bot) override;
  Status reload_all() override;
  Status ready() const override;
  Status store_ready() const override;
  void render_metrics(ops::PromWriter& w) const override;

  // Offers `m` to the sinks subscribed to m.bot, in subscription order, on the caller's thread; a
  // sink that declined m.conversation (deliver returned false) is not offered it again. Each sink's
  // last kMaxDeclined declined conversations are remembered (G5: memory stays bounded however many
  // conversations a channel drops); an older one is offered once more, and declined again. The engine
  // calls this once a pushed message's turn is committed (nothing produces pushes yet). A delivery
  // already under way when its subscription is dropped still finishes; none starts after.
  void publish(const PushedMessage& m);

  static constexpr size_t kMaxDeclined = 4096;

 private:
  std::shared_ptr<runtime::Engine> engine_;
  std::shared_ptr<PushSubscribers> subscribers_;
};

}  // namespace parley::channels
