// The pizza reference conversation against a real server, word for word, over the native route,
// the Rasa REST routes and WebSocket; trackers in both shapes; retried ids answered from the
// store, also after a restart.
#include <gtest/gtest.h>

#include <filesystem>

#include "server/server_process.h"

namespace parley::testing {
namespace {

namespace json = boost::json;

using Turns = std::vector<std::pair<std::string, std::string>>;

const Turns kOrder = {{"hi", "Hi! What is your name?"},
                      {"Alice", "Nice to meet you, Alice. Which size: small, medium or large?"},
                      {"large", "A large pizza for Alice. Confirm? (yes/no)"},
                      {"yes", "Order placed. Bye!"}};
const Turns kCancelled = {{"hi", "Hi! What is your name?"},
                          {"Bob", "Nice to meet you, Bob. Which size: small, medium or large?"},
                          {"small", "A small pizza for Bob. Confirm? (yes/no)"},
                          {"no", "Cancelled."}};

std::string native(const std::string& conv) { return "/v1/bots/pizza/conversations/" + conv + "/messages"; }

std::string first_text(const json::value& reply) {
  const auto& messages = reply.at("messages").as_array();
  return messages.empty() ? std::string() : std::string(messages.at(0).at("text").as_string());
}

class ServeTranscript : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(ServerOptions{.data = dir_.sub("store")});
    ASSERT_TRUE(server_->start()) << server_->log();
  }
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServeTranscript, native_route_order_and_cancel_word_for_word) {
  HttpClient c(server_->port());
  for (const auto& [conv, turns] : {std::pair{"order", kOrder}, std::pair{"cancel", kCancelled}}) {
    int n = 0;
    for (const auto& [text, expected] : turns) {
      auto r = c.post_json(native(conv), {{"id", std::string(conv) + std::to_string(++n)}, {"text", text}});
      ASSERT_EQ(r.status, 200u) << r.body;
      json::value v = r.json();
      EXPECT_EQ(first_text(v), expected) << "after '" << text << "'";
      EXPECT_EQ(v.at("conversation").as_string(), conv);
      EXPECT_EQ(v.at("turn").to_number<int>(), n);
    }
  }
}

TEST_F(ServeTranscript, rasa_rest_route_word_for_word_with_recipient) {
  HttpClient c(server_->port());
  for (const auto& [text, expected] : kOrder) {
    if (text == "yes") {
      // Before the last turn, the Rasa tracker shape holds the filled slots.
      auto t = c.get("/bots/pizza/conversations/rasa-user/tracker");
      ASSERT_EQ(t.status, 200u) << t.body;
      json::value tracker = t.json();
      EXPECT_EQ(tracker.at("sender_id").as_string(), "rasa-user");
      EXPECT_EQ(tracker.at("slots").at("name"), json::value("Alice")) << t.body;
      EXPECT_EQ(tracker.at("slots").at("size"), json::value("large")) << t.body;
      EXPECT_EQ(tracker.at("active_loop").at("name"), json::value("pizza_form")) << t.body;
      EXPECT_TRUE(tracker.at("latest_message").is_object());
    }
    auto r = c.post_json("/bots/pizza/webhooks/rest/webhook", {{"sender", "rasa-user"}, {"message", text}});
    ASSERT_EQ(r.status, 200u) << r.body;
    json::value v = r.json();
    const auto& arr = v.as_array();
    ASSERT_EQ(arr.size(), 1u) << r.body;
    EXPECT_EQ(arr[0].at("recipient_id").as_string(), "rasa-user");
    EXPECT_EQ(arr[0].at("text").as_string(), expected);
  }
  // The bot restarts after the order: Rasa's default view starts after the restart, ALL keeps
  // the whole conversation.
  auto t = c.get("/bots/pizza/conversations/rasa-user/tracker?include_events=ALL");
  ASSERT_EQ(t.status, 200u) << t.body;
  json::value tracker = t.json();
  size_t users = 0;
  for (const auto& e : tracker.at("events").as_array()) users += e.at("event").as_string() == "user";
  EXPECT_EQ(users, kOrder.size());
  EXPECT_TRUE(tracker.at("slots").at("name").is_null());
}

TEST_F(ServeTranscript, websocket_word_for_word_and_errors_keep_the_connection) {
  WsClient ws(server_->port());
  ASSERT_EQ(ws.connect("/v1/bots/pizza/ws"), "");
  int n = 0;
  for (const auto& [text, expected] : kOrder) {
    json::object msg{{"conversation", "ws-user"}, {"id", "w" + std::to_string(++n)}, {"text", text}};
    auto answer = ws.exchange(json::serialize(msg));
    ASSERT_TRUE(answer) << ws.error();
    json::value v = json::parse(*answer);
    EXPECT_EQ(first_text(v), expected) << *answer;
  }
  auto bad = ws.exchange("{not json");
  ASSERT_TRUE(bad) << ws.error();
  EXPECT_EQ(json::parse(*bad).at("error").at("code").as_string(), "malformed_json") << *bad;
  // Same id again: the stored reply.
  auto again = ws.exchange(R"({"conversation":"ws-user","id":"w1","text":"hi"})");
  ASSERT_TRUE(again) << ws.error();
  EXPECT_EQ(first_text(json::parse(*again)), kOrder[0].second);
}

TEST_F(ServeTranscript, retried_ids_get_the_stored_reply_and_apply_nothing_also_after_a_restart) {
  HttpClient c(server_->port());
  for (size_t i = 0; i < 2; ++i) {
    auto r = c.post_json(native("retry"), {{"id", "r" + std::to_string(i)}, {"text", kOrder[i].first}});
    ASSERT_EQ(r.status, 200u) << r.body;
  }
  auto before = c.get("/v1/bots/pizza/conversations/retry").json();
  auto again = c.post_json(native("retry"), {{"id", "r0"}, {"text", "hi"}});
  ASSERT_EQ(again.status, 200u);
  EXPECT_EQ(first_text(again.json()), kOrder[0].second);
  EXPECT_EQ(again.json().at("turn").to_number<int>(), 1);
  EXPECT_EQ(again.json().at("replayed"), json::value(true));
  EXPECT_EQ(c.get("/v1/bots/pizza/conversations/retry").json().at("version"), before.at("version"));

  EXPECT_EQ(server_->terminate(), 0) << server_->log();
  ASSERT_TRUE(server_->start()) << server_->log();
  HttpClient d(server_->port());
  auto after = d.post_json(native("retry"), {{"id", "r1"}, {"text", "Alice"}});
  ASSERT_EQ(after.status, 200u) << after.body;
  EXPECT_EQ(first_text(after.json()), kOrder[1].second);
  EXPECT_EQ(after.json().at("turn").to_number<int>(), 2);
  auto stored = d.get("/v1/bots/pizza/conversations/retry").json();
  EXPECT_EQ(stored.at("version"), before.at("version"));
  EXPECT_EQ(stored.at("turns").to_number<int>(), 2);
  // The conversation goes on where it was.
  auto next = d.post_json(native("retry"), {{"id", "r2"}, {"text", "large"}});
  EXPECT_EQ(first_text(next.json()), kOrder[2].second);
}

TEST(ServeTranscriptSingleBot, the_plain_rasa_route_works_when_one_bot_is_served) {
  TempDir dir;
  std::filesystem::create_directories(dir.sub("bots"));
  std::filesystem::create_directory_symlink(examples_dir() + "/pizza", dir.sub("bots/pizza"));
  ServerProcess server({.bots = dir.sub("bots"), .data = dir.sub("store")});
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  auto r = c.post_json("/webhooks/rest/webhook", {{"sender", "solo"}, {"message", "hi"}, {"message_id", "m1"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().as_array().at(0).at("text").as_string(), kOrder[0].second);
  // Rasa's optional message_id dedups like the native id.
  auto again = c.post_json("/webhooks/rest/webhook", {{"sender", "solo"}, {"message", "hi"}, {"message_id", "m1"}});
  EXPECT_EQ(again.body, r.body);
  auto bots = c.get("/v1/bots");
  EXPECT_EQ(bots.status, 200u);
  EXPECT_NE(bots.body.find("pizza"), std::string::npos);
}

}  // namespace
}  // namespace parley::testing
