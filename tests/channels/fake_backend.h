// The engine's seams (Conversations and Admin) for channel tests: echoes messages, counts turns per conversation, deduplicates by
// message id, and can be told to be slow for a conversation, overloaded or not ready. Plus an
// in-process server (Api + Server on a small thread pool) around it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "channels/api.h"
#include "channels/http/server.h"

namespace parley::testing {

class FakeBackend : public channels::Conversations, public channels::Admin {
 public:
  explicit FakeBackend(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Knobs.
  std::set<std::string> served = {"echo"};
  std::atomic<bool> overloaded{false};
  std::atomic<bool> is_ready{true};
  std::map<std::string, std::chrono::milliseconds> slow;  // conversation -> delay before the reply

  bool has_bot(std::string_view bot) const override {
    std::lock_guard l(mu_);
    return served.count(std::string(bot)) > 0;
  }
  std::vector<runtime::BotInfo> bots() const override {
    std::lock_guard l(mu_);
    std::vector<runtime::BotInfo> out;
    for (const auto& b : served) out.push_back({b, 1, "/bots/" + b});
    return out;
  }
  void submit(runtime::MessageRequest r, runtime::ReplyHandler done) override {
    runtime::MessageReply reply;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard l(mu_);
      if (!served.count(r.bot)) return post(std::move(done), Status::not_found("no bot " + r.bot));
      if (overloaded) return post(std::move(done), Status::unavailable("queue full"));
      std::string key = r.bot + "/" + r.conversation;
      if (!r.message_id.empty()) {
        auto it = replies_.find(key + "#" + r.message_id);
        if (it != replies_.end()) {
          reply = it->second;
          reply.replayed = true;
          return post(std::move(done), std::move(reply));
        }
      }
      reply.conversation = r.conversation;
      reply.turn = ++turns_[key];
      reply.messages.push_back({"echo: " + r.text, {}});
      log_[key].push_back(r.text);
      if (!r.message_id.empty()) replies_[key + "#" + r.message_id] = reply;
      if (auto s = slow.find(r.conversation); s != slow.end()) delay = s->second;
    }
    if (delay.count() == 0) return post(std::move(done), std::move(reply));
    auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay);
    timer->async_wait([timer, done = std::move(done), reply = std::move(reply)](auto) mutable { done(std::move(reply)); });
  }
  // Nothing is pushed in channel tests: the handle only keeps the sink.
  std::unique_ptr<channels::Subscription> subscribe(std::string, std::shared_ptr<channels::BotMessageSink>) override {
    return std::make_unique<channels::Subscription>();
  }
  Result<json::object> conversation(const std::string& bot, const std::string& conv) override {
    std::lock_guard l(mu_);
    json::array events;
    for (const auto& t : log_[bot + "/" + conv]) events.push_back(json::string(t));
    return json::object{{"conversation", conv}, {"bot", bot}, {"events", std::move(events)}};
  }
  Result<json::object> rasa_tracker(const std::string& bot, const std::string& conv,
                                    std::string_view include) override {
    return json::object{{"sender_id", conv}, {"include", std::string(include)}};
  }
  Result<std::vector<std::string>> event_records(const std::string&, const std::string& conv, uint64_t after,
                                    size_t limit) override {
    std::vector<std::string> out;
    for (uint64_t seq = after + 1; seq <= std::min<uint64_t>(3, after + limit); ++seq)
      out.push_back(json::serialize(json::object{{"conversation", conv}, {"seq", seq}}));
    return out;
  }
  Result<std::vector<project::Diagnostic>> reload_bot(const std::string& bot) override {
    std::lock_guard l(mu_);
    if (bot == "broken") return Status::invalid("domain.yml:3: error: bad slot\ndomain.yml:9: error: bad form");
    if (!served.count(bot)) return Status::not_found("no bot folder " + bot);
    ++reloads;
    return std::vector<project::Diagnostic>{};
  }
  Status reload_all() override { return Status::ok(); }
  Status ready() const override { return is_ready ? Status::ok() : Status::unavailable("store not writable"); }
  void render_metrics(ops::PromWriter& w) const override {
    w.family("fake_backend_up", "Fake.", "gauge");
    w.sample("fake_backend_up", 1);
  }

  std::vector<std::string> texts(const std::string& bot, const std::string& conv) {
    std::lock_guard l(mu_);
    return log_[bot + "/" + conv];
  }
  int reloads = 0;

 private:
  void post(runtime::ReplyHandler done, Result<runtime::MessageReply> r) {
    boost::asio::post(executor_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

  boost::asio::any_io_executor executor_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> turns_;
  std::map<std::string, std::vector<std::string>> log_;
  std::map<std::string, runtime::MessageReply> replies_;
};

// Api + Server on loopback, port 0, over a FakeBackend, on `threads` threads.
class InProcessServer {
 public:
  explicit InProcessServer(channels::ServerOptions server_options = {}, channels::ApiOptions api_options = {},
                           int threads = 2)
      : guard_(ioc_.get_executor()), backend_(std::make_shared<FakeBackend>(ioc_.get_executor())) {
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    api_ = std::make_unique<channels::Api>(api_options, backend_, backend_, metrics_);
    server_ = std::make_unique<channels::Server>(ioc_, server_options, *api_, metrics_);
    ok_ = server_->listen();
    server_->start();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~InProcessServer() {
    ioc_.stop();
    for (auto& t : threads_) t.join();
    server_.reset();
    api_.reset();
  }

  const Status& status() const { return ok_; }
  uint16_t port() const { return server_->port(); }
  FakeBackend& backend() { return *backend_; }
  channels::Server& server() { return *server_; }
  channels::Api& api() { return *api_; }
  ops::ServerMetrics& metrics() { return metrics_; }

 private:
  ops::ServerMetrics metrics_;  // outlives the io_context: connection slots count into it
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::shared_ptr<FakeBackend> backend_;
  std::unique_ptr<channels::Api> api_;
  std::unique_ptr<channels::Server> server_;
  std::vector<std::thread> threads_;
  Status ok_;
};

}  // namespace parley::testing
