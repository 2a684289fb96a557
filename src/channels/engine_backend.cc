// Backend over runtime::Engine: a thin forwarding layer plus the engine's /metrics families.
#include "channels/engine_backend.h"

#include "ops/engine_metrics.h"

namespace parley::channels {

namespace {

class EngineBackend : public Backend {
 public:
  explicit EngineBackend(std::shared_ptr<runtime::Engine> engine) : engine_(std::move(engine)) {}

  bool has_bot(std::string_view bot) const override { return engine_->find_bot(bot) != nullptr; }
  std::vector<runtime::BotInfo> bots() const override { return engine_->bots(); }
  void handle_message(runtime::MessageRequest request, runtime::ReplyHandler done) override {
    engine_->handle_message(std::move(request), std::move(done));
  }
  Result<json::object> conversation(const std::string& bot, const std::string& conversation) override {
    return engine_->conversation(bot, conversation);
  }
  Result<json::object> rasa_tracker(const std::string& bot, const std::string& conversation,
                                    std::string_view include_events) override {
    return engine_->rasa_tracker(bot, conversation, include_events);
  }
  Result<std::vector<std::string>> event_records(const std::string& bot, const std::string& conversation, uint64_t after,
                                    size_t limit) override {
    return engine_->event_records(bot, conversation, after, limit);
  }
  Result<std::vector<bot::Diagnostic>> reload_bot(const std::string& bot) override {
    return engine_->reload_bot(bot);
  }
  Status reload_all() override { return engine_->reload_all(); }
  Status ready() const override { return engine_->ready(); }
  Status store_ready() const override { return engine_->store_ready(); }
  void render_metrics(ops::PromWriter& w) const override { ops::render_engine_stats(w, engine_->stats()); }

 private:
  std::shared_ptr<runtime::Engine> engine_;
};

}  // namespace

std::shared_ptr<Backend> make_engine_backend(std::shared_ptr<runtime::Engine> engine) {
  return std::make_shared<EngineBackend>(std::move(engine));
}

}  // namespace parley::channels
