// G1 against a real server: 64 concurrent clients, most on their own conversation and some
// sharing one; every tracker holds each acknowledged message once, in acknowledgement order.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "server/echo_bot.h"
#include "server/server_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;

struct Ack {
  uint64_t turn = 0;
  std::string text;
};

TEST(ServeOrder, sixty_four_clients_each_tracker_holds_messages_in_acknowledgement_order) {
  TempDir dir;
  write_echo_bot(dir.sub("bots"));
  ServerProcess server({.bots = dir.sub("bots"),
                        .data = dir.sub("store"),
                        .env = {{"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}});
  ASSERT_TRUE(server.start()) << server.log();

  constexpr int kClients = 64;
  constexpr int kShared = 16;  // clients 0-7 share "shared-0", 8-15 share "shared-1"
  constexpr int kMessages = 25;
  auto conversation_of = [](int client) {
    return client < kShared ? "shared-" + std::to_string(client / 8) : "own-" + std::to_string(client);
  };
  std::mutex mu;
  std::map<std::string, std::vector<Ack>> acks;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(server.port());
      std::string conv = conversation_of(c);
      for (int m = 1; m <= kMessages; ++m) {
        std::string text = "c" + std::to_string(c) + " m" + std::to_string(m);
        auto r = client.post_json("/v1/bots/echo/conversations/" + conv + "/messages",
                                  {{"id", text}, {"text", text}});
        std::lock_guard<std::mutex> lock(mu);
        if (r.status != 200) {
          failures.push_back(text + ": " + std::to_string(r.status) + " " + r.body + r.error);
          continue;
        }
        json::value v = r.json();
        std::string reply(v.at("messages").at(0).at("text").as_string());
        if (reply != "Got " + text + ".") failures.push_back(text + " answered with " + reply);
        acks[conv].push_back({v.at("turn").to_number<uint64_t>(), text});
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();

  HttpClient reader(server.port());
  for (auto& [conv, list] : acks) {
    std::sort(list.begin(), list.end(), [](const Ack& a, const Ack& b) { return a.turn < b.turn; });
    std::vector<std::string> expected;
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(list[i].turn, i + 1) << conv << ": turn numbers are not 1..n";
      expected.push_back(list[i].text);
    }
    auto view = reader.get("/v1/bots/echo/conversations/" + conv);
    ASSERT_EQ(view.status, 200u) << view.body;
    EXPECT_EQ(user_texts(view.json()), expected) << conv;
    size_t clients = conv.rfind("shared-", 0) == 0 ? 8 : 1;
    EXPECT_EQ(list.size(), clients * kMessages) << conv;
  }
  EXPECT_EQ(acks.size(), size_t{kClients - kShared + 2});
}

}  // namespace
}  // namespace parley::testing
