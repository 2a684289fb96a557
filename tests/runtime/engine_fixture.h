// Test helpers for the engine: a small bot project with a custom action, a fake action client
// that can hang for chosen conversations, a thread pool, and a blocking send.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dialogue/action_client.h"
#include "runtime/engine.h"
#include "store/rocksdb/rocksdb_store.h"
#include "support/temp_dir.h"

namespace parley::testing {

// A bot with a greeting, a custom action (action_tell_time) and a slot that keeps the last text.
inline void write_test_bot(const std::string& dir, const std::string& greeting = "Hello!") {
  auto write = [&](const std::string& path, const std::string& text) {
    auto p = std::filesystem::path(dir) / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  };
  write("domain.yml", R"(version: "3.1"
intents:
  - greet
  - ask_time
  - count
slots:
  last_text:
    type: text
    influence_conversation: false
    mappings:
      - type: from_text
responses:
  utter_greet:
    - text: ")" + greeting + R"("
  utter_count:
    - text: "Got {last_text}."
actions:
  - action_tell_time
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
)");
  write("data/nlu.yml", R"(version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - hey
    - good morning
- intent: ask_time
  examples: |
    - what time is it
    - time please
    - tell me the time
    - what is the time
- intent: count
  examples: |
    - message 1
    - message 2
    - number 3
    - msg 4
    - message 17
    - count 9
)");
  write("data/rules.yml", R"(version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: time
  steps:
  - intent: ask_time
  - action: action_tell_time
- rule: count
  steps:
  - intent: count
  - action: utter_count
)");
  write("config.yml", R"(recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
policies:
  - name: MemoizationPolicy
    max_history: 5
  - name: RulePolicy
)");
  write("endpoints.yml", R"(action_endpoint:
  url: "http://127.0.0.1:9/webhook"
)");
}

// Answers every call at once with one message, except for conversations in `hang`, whose calls
// are held (never answered unless release() is called).
class FakeActions : public dialogue::AsyncActionClient {
 public:
  void call(dialogue::ActionRequest request, std::function<void(dialogue::ActionReply)> done) override {
    std::string sender;
    if (auto s = json_str(request.payload, "sender_id")) sender = *s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      if (hang_.count(sender)) {
        held_.push_back(std::move(done));
        return;
      }
    }
    done(dialogue::ActionReply::ok(json::value(json::object{
        {"events", json::array()}, {"responses", json::array{json::object{{"text", "It is noon."}}}}})));
  }
  void hang(const std::string& conversation) {
    std::lock_guard<std::mutex> lock(mu_);
    hang_.insert(conversation);
  }
  // Answers the held calls late (the engine must ignore answers after its timeout).
  void release() {
    std::vector<std::function<void(dialogue::ActionReply)>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (auto& d : held) d(dialogue::ActionReply::ok(json::value(json::object{{"events", json::array()}})));
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // Drops the held calls unanswered. Their callbacks own timers of the engine's pool, so they
  // must go before the pool does (found by UBSan in `make asan`: a timer destroyed after its
  // io service).
  void drop_held() {
    std::vector<std::function<void(dialogue::ActionReply)>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
  }

 private:
  std::mutex mu_;
  std::set<std::string> hang_;
  std::vector<std::function<void(dialogue::ActionReply)>> held_;
  int calls_ = 0;
};

// A bots folder, a store folder, a pool and an engine over them.
class EngineHarness {
 public:
  explicit EngineHarness(runtime::EngineOptions options = {}, store::RocksDbStoreOptions store_options = {})
      : options_(options), store_options_(store_options) {
    write_test_bot(dir_.sub("bots/clock"));
    actions_ = std::make_shared<FakeActions>();
  }
  ~EngineHarness() { stop(); }

  // Opens the store and builds the engine (again, after stop(): same folders).
  void start() {
    auto store = store::RocksDbStore::open(dir_.sub("data"), store_options_);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    store_ = store.value();
    pool_ = std::make_unique<boost::asio::thread_pool>(4);
    engine_ = std::make_unique<runtime::Engine>(options_, store_, actions_, pool_->get_executor());
    auto loaded = engine_->load_bots(dir_.sub("bots"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  }
  // Drains, then closes the engine, the pool and the store.
  void stop() {
    if (!engine_) return;
    std::promise<void> drained;
    engine_->drain([&] { drained.set_value(); });
    drained.get_future().wait();
    engine_.reset();
    pool_->join();
    actions_->drop_held();
    pool_.reset();
    store_.reset();
  }

  std::future<Result<runtime::MessageReply>> send_async(const std::string& conversation, const std::string& text,
                                                         const std::string& message_id = {},
                                                         const std::string& bot = "clock") {
    auto promise = std::make_shared<std::promise<Result<runtime::MessageReply>>>();
    auto future = promise->get_future();
    runtime::MessageRequest r;
    r.bot = bot;
    r.conversation = conversation;
    r.message_id = message_id;
    r.text = text;
    engine_->handle_message(std::move(r), [promise](Result<runtime::MessageReply> reply) {
      promise->set_value(std::move(reply));
    });
    return future;
  }
  Result<runtime::MessageReply> send(const std::string& conversation, const std::string& text,
                                     const std::string& message_id = {}, const std::string& bot = "clock") {
    auto f = send_async(conversation, text, message_id, bot);
    if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
      return Status::timeout("no reply within 30 s");
    return f.get();
  }

  // The stored events of a conversation, as JSON.
  std::vector<json::object> stored_events(const std::string& conversation, const std::string& bot = "clock") {
    std::vector<json::object> out;
    auto events = store_->read_events({bot, conversation}, 0, SIZE_MAX);
    EXPECT_TRUE(events.ok());
    for (const auto& text : events.value()) out.push_back(json::parse(text).as_object());
    return out;
  }
  // Texts of the stored user events, in order.
  std::vector<std::string> user_texts(const std::string& conversation) {
    std::vector<std::string> out;
    for (const auto& e : stored_events(conversation))
      if (e.at("event") == "user") out.emplace_back(e.at("text").as_string());
    return out;
  }

  runtime::Engine& engine() { return *engine_; }
  store::RocksDbStore& store() { return *store_; }
  FakeActions& actions() { return *actions_; }
  std::string bot_dir(const std::string& name = "clock") const { return dir_.sub("bots/" + name); }
  std::string bots_dir() const { return dir_.sub("bots"); }

 private:
  TempDir dir_;
  runtime::EngineOptions options_;
  store::RocksDbStoreOptions store_options_;
  std::shared_ptr<FakeActions> actions_;
  std::shared_ptr<store::RocksDbStore> store_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::unique_ptr<runtime::Engine> engine_;
};

inline std::vector<std::string> texts(const runtime::MessageReply& r) {
  std::vector<std::string> out;
  for (const auto& m : r.messages) out.push_back(m.text);
  return out;
}

}  // namespace parley::testing
