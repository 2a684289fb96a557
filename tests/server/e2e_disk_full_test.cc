// A full disk under the embedded store, as a client meets it: turns are refused with 503,
// Retry-After and a JSON error that names no file; /readyz says the store is degraded; reads go
// on; nothing aborts (not the turns, not /readyz, not SIGTERM); once space is freed writes resume
// without a restart; and every acknowledged message is there after a restart. The disk is a
// small tmpfs the test mounts itself (skipped where mounting is not permitted).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "support/client.h"
#include "server/echo_bot.h"
#include "server/server_process.h"
#include "support/eventually.h"
#include "support/tmpfs.h"

namespace parley::testing {
namespace {

struct Sent {
  std::string conv, id, text;
};

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    write_echo_bot(dir_.sub("bots"));
    disk_ = std::make_unique<Tmpfs>(dir_.sub("disk"), 16u << 20);
    if (!disk_->mounted())
      GTEST_SKIP() << "cannot mount a tmpfs at " << disk_->path() << " (" << disk_->error()
                   << "): the disk-full tests need root or CAP_SYS_ADMIN";
  }

  ServerOptions options() const {
    return {.bots = dir_.sub("bots"),
            .data = disk_->path() + "/store",
            .env = {{"PARLEY_MODEL_CACHE", "off"}, {"PARLEY_RATE_LIMIT_CONVERSATION_PER_S", "0"}}};
  }

  // One new message; a 200 is remembered as acknowledged.
  HttpResult send(HttpClient& c) {
    Sent m{"c" + std::to_string(next_ % 4), "m" + std::to_string(next_), "message " + std::to_string(next_)};
    m.text += " and some words so that the log fills sooner";
    ++next_;
    auto r = c.post_json("/v1/bots/echo/conversations/" + m.conv + "/messages", {{"id", m.id}, {"text", m.text}});
    if (r.status == 200) acked_.push_back(m);
    return r;
  }

  // Fills the disk and sends until a turn is refused: that refusal.
  HttpResult fill_and_send_until_refused(HttpClient& c) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(send(c).status, 200u);
    disk_->fill("filler", 128u << 10);
    for (int i = 0; i < 5000; ++i)
      if (auto r = send(c); r.status != 200) return r;
    return {};
  }

  void expect_refused_as_unavailable(const HttpResult& r) {
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty()) << r.body;
    EXPECT_EQ(r.error_code(), "unavailable") << r.body;
    EXPECT_EQ(r.body.find('/'), std::string::npos) << "the error names a file: " << r.body;
    EXPECT_NE(r.body.find("disk space"), std::string::npos) << r.body;
  }

  void expect_store_degraded(HttpClient& c) {
    auto ready = c.get("/readyz");
    EXPECT_EQ(ready.status, 503u) << ready.body;
    EXPECT_EQ(ready.error_code(), "store_degraded") << ready.body;
    ASSERT_TRUE(ready.json().is_object()) << ready.body;
    EXPECT_EQ(ready.json().at("store").as_string(), "degraded") << ready.body;
    EXPECT_EQ(ready.body.find('/'), std::string::npos) << ready.body;
  }

  // Every acknowledged message is in its conversation once, in the order sent.
  void expect_every_acknowledged_message(uint16_t port) {
    HttpClient c(port);
    std::map<std::string, std::vector<std::string>> sent;
    for (const auto& m : acked_) sent[m.conv].push_back(m.text);
    for (const auto& [conv, texts] : sent) {
      auto view = c.get("/v1/bots/echo/conversations/" + conv);
      ASSERT_EQ(view.status, 200u) << view.body;
      auto stored = user_texts(view.json());
      size_t at = 0;
      for (const auto& t : stored) at += at < texts.size() && t == texts[at];
      EXPECT_EQ(at, texts.size()) << conv << ": " << texts.size() - at << " acknowledged messages missing";
      std::set<std::string> once(stored.begin(), stored.end());
      EXPECT_EQ(once.size(), stored.size()) << conv << ": a message was applied twice";
    }
    auto again = c.post_json("/v1/bots/echo/conversations/" + acked_.front().conv + "/messages",
                             {{"id", acked_.front().id}, {"text", acked_.front().text}});
    EXPECT_EQ(again.status, 200u) << again.body;
    EXPECT_TRUE(again.json().as_object().contains("replayed")) << again.body;
  }

  TempDir dir_;
  std::unique_ptr<Tmpfs> disk_;
  std::vector<Sent> acked_;
  size_t next_ = 0;
};

TEST_F(DiskFull, turns_get_503_while_the_disk_is_full_and_resume_without_a_restart) {
  ServerProcess server(options());
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  auto refused = fill_and_send_until_refused(c);
  expect_refused_as_unavailable(refused);
  EXPECT_GT(acked_.size(), 5u);
  expect_store_degraded(c);
  for (int i = 0; i < 3; ++i) expect_refused_as_unavailable(send(c));
  EXPECT_EQ(c.get("/healthz").status, 200u);
  EXPECT_EQ(c.get("/v1/bots/echo/conversations/c0").status, 200u);  // reads go on

  std::filesystem::remove(disk_->path() + "/filler");
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, std::chrono::seconds(30))) << server.log();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(send(c).status, 200u);
  EXPECT_TRUE(server.running()) << server.log();
  EXPECT_EQ(server.terminate(), 0) << server.log();

  ServerProcess again(options());
  ASSERT_TRUE(again.start()) << again.log();
  expect_every_acknowledged_message(again.port());
  EXPECT_EQ(again.terminate(), 0) << again.log();
}

TEST_F(DiskFull, sigterm_on_a_full_disk_exits_zero_and_keeps_every_acknowledged_message) {
  ServerProcess server(options());
  ASSERT_TRUE(server.start()) << server.log();
  HttpClient c(server.port());
  expect_refused_as_unavailable(fill_and_send_until_refused(c));
  expect_store_degraded(c);
  EXPECT_EQ(server.terminate(), 0) << server.log();

  std::filesystem::remove(disk_->path() + "/filler");
  ServerProcess again(options());
  ASSERT_TRUE(again.start()) << again.log();
  expect_every_acknowledged_message(again.port());
  HttpClient after(again.port());
  EXPECT_EQ(send(after).status, 200u);
  EXPECT_EQ(again.terminate(), 0) << again.log();
}

}  // namespace
}  // namespace parley::testing
