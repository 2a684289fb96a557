// The channel seam over the real engine (channels::EnginePort): messages go to the engine, and
// pushed messages reach the sinks subscribed to their bot until the subscription is dropped.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <future>
#include <mutex>
#include <set>

#include "channels/engine_port.h"
#include "store/rocksdb/rocksdb_store.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

// Records what it is offered; declines the conversations in `refuse`.
class FakeSink : public channels::BotMessageSink {
 public:
  explicit FakeSink(std::set<std::string> refuse = {}) : refuse_(std::move(refuse)) {}
  bool deliver(const channels::PushedMessage& m) override {
    std::lock_guard l(mu_);
    got_.push_back(m.conversation + ":" + m.message.text);
    return !refuse_.count(m.conversation);
  }
  std::vector<std::string> got() {
    std::lock_guard l(mu_);
    return got_;
  }

 private:
  std::mutex mu_;
  std::set<std::string> refuse_;
  std::vector<std::string> got_;
};

channels::PushedMessage pushed(const std::string& bot, const std::string& conv, const std::string& text) {
  return {bot, conv, 1, {text, {}}};
}

// An engine with no bots over a fresh store, and the port over it.
class ConversationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::RocksDbStore::open(dir_.sub("data"));
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    engine_ = std::make_shared<runtime::Engine>(runtime::EngineOptions{}, store.value(), nullptr, pool_.get_executor());
    port_ = std::make_unique<channels::EnginePort>(engine_);
  }
  void TearDown() override {
    port_.reset();
    if (engine_) {
      std::promise<void> drained;
      engine_->drain([&] { drained.set_value(); });
      drained.get_future().wait();
    }
    engine_.reset();
    pool_.join();
  }

  testing::TempDir dir_;
  boost::asio::thread_pool pool_{1};
  std::shared_ptr<runtime::Engine> engine_;
  std::unique_ptr<channels::EnginePort> port_;
};

TEST_F(ConversationsTest, submit_goes_to_the_engine_which_knows_no_bot_here) {
  EXPECT_FALSE(port_->has_bot("echo"));
  std::promise<Result<runtime::MessageReply>> reply;
  runtime::MessageRequest m;
  m.bot = "echo";
  m.conversation = "c1";
  m.text = "hi";
  port_->submit(std::move(m), [&](Result<runtime::MessageReply> r) { reply.set_value(std::move(r)); });
  auto r = reply.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

TEST_F(ConversationsTest, a_pushed_message_reaches_the_sinks_of_its_bot_only) {
  auto echo_a = std::make_shared<FakeSink>(), echo_b = std::make_shared<FakeSink>(), other = std::make_shared<FakeSink>();
  auto sa = port_->subscribe("echo", echo_a);
  auto sb = port_->subscribe("echo", echo_b);
  auto so = port_->subscribe("other", other);
  port_->publish(pushed("echo", "c1", "reminder"));
  EXPECT_EQ(echo_a->got(), std::vector<std::string>{"c1:reminder"});
  EXPECT_EQ(echo_b->got(), std::vector<std::string>{"c1:reminder"});
  EXPECT_TRUE(other->got().empty());
  port_->publish(pushed("nobody", "c1", "lost"));  // no subscriber: dropped
  EXPECT_EQ(echo_a->got().size(), 1u);
}

TEST_F(ConversationsTest, a_dropped_subscription_stops_delivery) {
  auto kept = std::make_shared<FakeSink>(), dropped = std::make_shared<FakeSink>();
  auto sk = port_->subscribe("echo", kept);
  auto sd = port_->subscribe("echo", dropped);
  port_->publish(pushed("echo", "c1", "one"));
  sd.reset();
  port_->publish(pushed("echo", "c1", "two"));
  EXPECT_EQ(dropped->got(), std::vector<std::string>{"c1:one"});
  EXPECT_EQ(kept->got(), (std::vector<std::string>{"c1:one", "c1:two"}));
  sk.reset();
  port_->publish(pushed("echo", "c1", "three"));
  EXPECT_EQ(kept->got().size(), 2u);
  // Subscribing again after the bot's list emptied works as the first time.
  auto again = port_->subscribe("echo", kept);
  port_->publish(pushed("echo", "c2", "four"));
  EXPECT_EQ(kept->got().back(), "c2:four");
}

TEST_F(ConversationsTest, a_sink_that_declines_a_conversation_is_not_offered_it_again) {
  auto sink = std::make_shared<FakeSink>(std::set<std::string>{"gone"});
  auto s = port_->subscribe("echo", sink);
  port_->publish(pushed("echo", "gone", "a"));
  port_->publish(pushed("echo", "gone", "b"));
  port_->publish(pushed("echo", "here", "c"));
  EXPECT_EQ(sink->got(), (std::vector<std::string>{"gone:a", "here:c"}));
}

// A sink may drop its own subscription while it is being offered a message (no lock is held then).
class SelfDroppingSink : public channels::BotMessageSink {
 public:
  bool deliver(const channels::PushedMessage&) override {
    ++calls;
    handle.reset();
    return true;
  }
  std::unique_ptr<channels::Subscription> handle;
  int calls = 0;
};

TEST_F(ConversationsTest, a_sink_may_unsubscribe_from_its_delivery_and_a_handle_may_outlive_the_port) {
  auto sink = std::make_shared<SelfDroppingSink>();
  sink->handle = port_->subscribe("echo", sink);
  port_->publish(pushed("echo", "c1", "one"));
  port_->publish(pushed("echo", "c1", "two"));
  EXPECT_EQ(sink->calls, 1);
  auto late = port_->subscribe("echo", std::make_shared<FakeSink>());
  port_.reset();
  late.reset();  // the port is gone: nothing to unsubscribe from
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

TEST_F(ConversationsTest, a_sink_remembers_only_its_latest_declined_conversations) {
  std::set<std::string> refuse;
  for (size_t i = 0; i <= channels::EnginePort::kMaxDeclined; ++i) refuse.insert("c" + std::to_string(i));
  auto sink = std::make_shared<FakeSink>(refuse);
  auto s = port_->subscribe("echo", sink);
  for (size_t i = 0; i <= channels::EnginePort::kMaxDeclined; ++i) port_->publish(pushed("echo", "c" + std::to_string(i), "x"));
  size_t offered = sink->got().size();
  EXPECT_EQ(offered, channels::EnginePort::kMaxDeclined + 1);
  // c0 was forgotten when the list was full: it is offered again (and declined again); the latest is not.
  port_->publish(pushed("echo", "c0", "again"));
  port_->publish(pushed("echo", "c" + std::to_string(channels::EnginePort::kMaxDeclined), "again"));
  auto got = sink->got();
  ASSERT_EQ(got.size(), offered + 1);
  EXPECT_EQ(got.back(), "c0:again");
}

}  // namespace
}  // namespace parley
