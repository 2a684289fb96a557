// EnginePort: a thin forwarding layer over runtime::Engine, the engine's /metrics families, and
// the pushed-message subscribers (a list per bot under one mutex).
#include "channels/engine_port.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <deque>
#include <unordered_set>

#include "ops/engine_metrics.h"

namespace parley::channels {

class PushSubscribers {
 public:
  uint64_t add(const std::string& bot, std::shared_ptr<BotMessageSink> sink) {
    std::lock_guard l(mu_);
    uint64_t id = next_id_++;
    by_bot_[bot].push_back({id, std::move(sink), {}, {}});
    return id;
  }
  void remove(const std::string& bot, uint64_t id) {
    std::lock_guard l(mu_);
    auto it = by_bot_.find(bot);
    if (it == by_bot_.end()) return;
    std::erase_if(it->second, [id](const Entry& e) { return e.id == id; });
    if (it->second.empty()) by_bot_.erase(it);
  }
  // Under the lock only to pick the sinks: deliver() runs outside it (a sink may unsubscribe there).
  void publish(const PushedMessage& m) {
    std::vector<std::pair<uint64_t, std::shared_ptr<BotMessageSink>>> targets;
    {
      std::lock_guard l(mu_);
      auto it = by_bot_.find(m.bot);
      if (it == by_bot_.end()) return;
      for (const auto& e : it->second)
        if (!e.declined.contains(m.conversation)) targets.emplace_back(e.id, e.sink);
    }
    for (const auto& [id, sink] : targets) {
      if (sink->deliver(m)) continue;
      std::lock_guard l(mu_);
      auto it = by_bot_.find(m.bot);
      if (it == by_bot_.end()) continue;
      for (auto& e : it->second)
        if (e.id == id) e.decline(m.conversation);
    }
  }

 private:
  struct Entry {
    uint64_t id;
    std::shared_ptr<BotMessageSink> sink;
    // Conversations this sink said it no longer serves, the last kMaxDeclined of them.
    std::unordered_set<std::string> declined;
    std::deque<std::string> declined_order;  // oldest first
    void decline(const std::string& conversation) {
      if (!declined.insert(conversation).second) return;
      declined_order.push_back(conversation);
      if (declined_order.size() > EnginePort::kMaxDeclined) {
        declined.erase(declined_order.front());
        declined_order.pop_front();
      }
    }
  };
  std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<std::string, std::vector<Entry>> by_bot_;
};

namespace {

class PortSubscription : public Subscription {
 public:
  PortSubscription(std::weak_ptr<PushSubscribers> subscribers, std::string bot, uint64_t id)
      : subscribers_(std::move(subscribers)), bot_(std::move(bot)), id_(id) {}
  ~PortSubscription() override {
    if (auto s = subscribers_.lock()) s->remove(bot_, id_);
  }

 private:
  std::weak_ptr<PushSubscribers> subscribers_;
  std::string bot_;
  uint64_t id_;
};

}  // namespace

EnginePort::EnginePort(std::shared_ptr<runtime::Engine> engine)
    : engine_(std::move(engine)), subscribers_(std::make_shared<PushSubscribers>()) {}

EnginePort::~EnginePort() = default;

bool EnginePort::has_bot(std::string_view bot) const { return engine_->find_bot(bot) != nullptr; }

void EnginePort::submit(runtime::MessageRequest m, runtime::ReplyHandler done) {
  engine_->handle_message(std::move(m), std::move(done));
}

std::unique_ptr<Subscription> EnginePort::subscribe(std::string bot, std::shared_ptr<BotMessageSink> sink) {
  uint64_t id = subscribers_->add(bot, std::move(sink));
  return std::make_unique<PortSubscription>(subscribers_, std::move(bot), id);
}

void EnginePort::publish(const PushedMessage& m) { subscribers_->publish(m); }

std::vector<runtime::BotInfo> EnginePort::bots() const { return engine_->bots(); }

Result<json::object> EnginePort::conversation(const std::string& bot, const std::string& conversation) {
  return engine_->conversation(bot, conversation);
}

Result<json::object> EnginePort::rasa_tracker(const std::string& bot, const std::string& conversation,
                                              std::string_view include_events) {
  return engine_->rasa_tracker(bot, conversation, include_events);
}

Result<std::vector<std::string>> EnginePort::event_records(const std::string& bot, const std::string& conversation,
                                                           uint64_t after, size_t limit) {
  return engine_->event_records(bot, conversation, after, limit);
}

Result<std::vector<project::Diagnostic>> EnginePort::reload_bot(const std::string& bot) { return engine_->reload_bot(bot); }

Status EnginePort::reload_all() { return engine_->reload_all(); }

Status EnginePort::ready() const { return engine_->ready(); }

Status EnginePort::store_ready() const { return engine_->store_ready(); }

void EnginePort::render_metrics(ops::PromWriter& w) const { ops::render_engine_stats(w, engine_->stats()); }

}  // namespace parley::channels
