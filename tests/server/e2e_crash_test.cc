// G2 and G3 under kill -9: clients send numbered messages with ids and record every
// acknowledgement; the server is killed with SIGKILL mid-load several times and restarted on the
// same data; clients retry unacknowledged ids. At the end every acknowledged message is in its
// tracker exactly once, in order, and a retried acknowledged id gets its stored reply back.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "server/echo_bot.h"
#include "server/server_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;

struct Sent {
  std::string text;
  bool acked = false;
  uint64_t turn = 0;
  std::string reply;
};

// The clients' side of a crash run: what each sent and what was acknowledged.
struct CrashLoad {
  std::atomic<uint16_t> port{0};  // the server's, updated on each restart
  std::atomic<bool> stop{false};
  std::atomic<int> failed_attempts{0};
  std::atomic<int> acked{0};
  std::mutex mu;
  std::map<std::string, std::vector<Sent>> sent;  // by conversation, in send order

  // Client `c` walks its conversations one message at a time; a failed send is retried with the
  // same id until it is acknowledged (the server may be down for a while).
  void client(int c, int conversations, int messages) {
    std::unique_ptr<HttpClient> http;
    uint16_t used_port = 0;
    for (int m = 1; m <= messages && !stop; ++m) {
      for (int k = 0; k < conversations && !stop; ++k) {
        std::string conv = "c" + std::to_string(c) + "-" + std::to_string(k);
        std::string text = conv + " m" + std::to_string(m);
        {
          std::lock_guard<std::mutex> lock(mu);
          sent[conv].push_back({text});
        }
        for (int attempt = 0; !stop; ++attempt) {
          if (!http || used_port != port.load()) {
            used_port = port.load();
            http = std::make_unique<HttpClient>(used_port, std::chrono::milliseconds(3000));
          }
          auto r = http->post_json("/v1/bots/echo/conversations/" + conv + "/messages", {{"id", text}, {"text", text}});
          if (r.status == 200) {
            json::value v = r.json();
            std::lock_guard<std::mutex> lock(mu);
            Sent& s = sent[conv].back();
            s.acked = true;
            s.turn = v.at("turn").to_number<uint64_t>();
            s.reply = std::string(v.at("messages").at(0).at("text").as_string());
            ++acked;
            break;
          }
          ++failed_attempts;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    }
  }
};

void crash_run(const std::string& durability) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .extra_args = {"--durability", durability},
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}});
  ASSERT_TRUE(server.start()) << server.log();

  constexpr int kClients = 16;
  constexpr int kConversationsPerClient = 2;
  constexpr int kMessages = 150;  // per conversation
  CrashLoad load;
  load.port = server.port();
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c)
    threads.emplace_back([&load, c] { load.client(c, kConversationsPerClient, kMessages); });

  // Kill when a quarter, a half and three quarters of the messages are acknowledged, so each
  // kill lands mid-load, with turns in flight.
  constexpr int kTotal = kClients * kConversationsPerClient * kMessages;
  for (int kill = 1; kill <= 3; ++kill) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (load.acked.load() < kTotal * kill / 4 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    int before = load.acked.load();
    server.kill_now();  // SIGKILL
    EXPECT_LT(before, kTotal) << "the load ended before kill " << kill;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(server.start()) << server.log();
    load.port = server.port();
  }
  for (auto& t : threads) t.join();
  load.stop = true;
  EXPECT_GT(load.failed_attempts.load(), 0) << "no request was interrupted by the kills";

  HttpClient reader(server.port());
  size_t acked_total = 0;
  for (auto& [conv, list] : load.sent) {
    auto view = reader.get("/v1/bots/echo/conversations/" + conv);
    ASSERT_EQ(view.status, 200u) << view.body;
    std::vector<std::string> texts = user_texts(view.json());
    // Every message was retried until acknowledged, so the tracker holds exactly the sent
    // messages, each once, in order.
    std::vector<std::string> expected;
    for (const auto& s : list) {
      ASSERT_TRUE(s.acked) << s.text << " was never acknowledged";
      EXPECT_EQ(s.reply, "Got " + s.text + ".");
      expected.push_back(s.text);
      ++acked_total;
    }
    EXPECT_EQ(texts, expected) << conv;
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].turn, i + 1) << list[i].text;
    // A retry of an acknowledged id, after all the crashes: the stored reply, nothing applied.
    const Sent& first = list.front();
    auto again = reader.post_json("/v1/bots/echo/conversations/" + conv + "/messages",
                                  {{"id", first.text}, {"text", first.text}});
    ASSERT_EQ(again.status, 200u) << again.body;
    EXPECT_EQ(again.json().at("turn").to_number<uint64_t>(), first.turn);
    EXPECT_EQ(again.json().at("messages").at(0).at("text").as_string(), first.reply);
  }
  EXPECT_EQ(acked_total, size_t{kClients * kConversationsPerClient * kMessages});
  for (auto& [conv, list] : load.sent) {
    auto view = reader.get("/v1/bots/echo/conversations/" + conv);
    EXPECT_EQ(user_texts(view.json()).size(), list.size()) << conv << ": a retry was applied twice";
  }
}

TEST(ServeCrash, kill_9_mid_load_loses_no_acknowledged_message_fsync) { crash_run("fsync"); }

TEST(ServeCrash, kill_9_mid_load_loses_no_acknowledged_message_flush) { crash_run("flush"); }

}  // namespace
}  // namespace parley::testing
