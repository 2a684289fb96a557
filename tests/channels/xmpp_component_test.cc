// The XEP-0114 component against a fake XMPP server on loopback: the handshake, the stream errors
// it reports, the stanza round trip, reconnects, keep-alives, the read timeout and a clean stop.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "channels/xmpp/component.h"
#include "core/digest.h"
#include "support/eventually.h"
#include "support/loopback_server.h"

namespace parley::channels::xmpp {
namespace {

using namespace std::chrono_literals;
using parley::testing::eventually;

constexpr const char* kFakeXmppSecret = "s3cret";
constexpr const char* kFakeXmppDomain = "bots.example.test";

// The server side of XEP-0114, enough to drive the component: it checks the handshake digest and
// answers as `mode` says.
class FakeXmppServer {
 public:
  enum class Mode { kAccept, kConflict, kHostUnknown, kCloseAfterHandshake, kRefuse };

  explicit FakeXmppServer(Mode mode, bool answer_pings = true)
      : mode_(mode), answer_pings_(answer_pings), server_(0, [this](boost::asio::ip::tcp::socket& s) { serve(s); }) {}
  ~FakeXmppServer() { server_.stop(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

  // Writes to the component's current connection (after its handshake).
  bool send(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    return fd_ >= 0 && ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

  int connections() const { std::lock_guard<std::mutex> l(mu_); return connections_; }
  std::string to() const { std::lock_guard<std::mutex> l(mu_); return to_; }
  std::vector<XmlElement> stanzas() const { std::lock_guard<std::mutex> l(mu_); return stanzas_; }
  std::string raw_after_handshake() const { std::lock_guard<std::mutex> l(mu_); return raw_; }
  bool stream_ended() const { std::lock_guard<std::mutex> l(mu_); return ended_; }

 private:
  void write(boost::asio::ip::tcp::socket& s, const std::string& text) {
    boost::system::error_code ec;
    boost::asio::write(s, boost::asio::buffer(text), ec);
  }

  void serve(boost::asio::ip::tcp::socket& s) {
    std::string id;
    {
      std::lock_guard<std::mutex> l(mu_);
      id = "stream-" + std::to_string(++connections_);
      raw_.clear();
    }
    if (mode_ == Mode::kRefuse) return;
    XmlStreamReader reader;
    bool accepted = false;
    char buf[4096];
    while (!server_.stopping()) {
      boost::system::error_code ec;
      size_t n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      if (accepted) {
        std::lock_guard<std::mutex> l(mu_);
        raw_.append(buf, n);
      }
      Status fed = reader.feed(std::string_view(buf, n));
      XmlStreamEvent ev;
      while (reader.next(&ev)) {
        if (ev.kind == XmlStreamEvent::Kind::kHeader) {
          {
            std::lock_guard<std::mutex> l(mu_);
            to_ = ev.header.to;
          }
          write(s, "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                   "xmlns='jabber:component:accept' from='" + ev.header.to + "' id='" + id + "'>");
        } else if (ev.kind == XmlStreamEvent::Kind::kEnd) {
          std::lock_guard<std::mutex> l(mu_);
          ended_ = true;
        } else if (!accepted) {
          if (ev.stanza.name != "handshake" || ev.stanza.text != handshake_digest(id, kFakeXmppSecret))
            return stream_error(s, "not-authorized");
          if (mode_ == Mode::kConflict) return stream_error(s, "conflict");
          if (mode_ == Mode::kHostUnknown) return stream_error(s, "host-unknown");
          write(s, "<handshake/>");
          if (mode_ == Mode::kCloseAfterHandshake) return;
          accepted = true;
          std::lock_guard<std::mutex> l(mu_);
          fd_ = s.native_handle();
        } else {
          const XmlElement* ping = ev.stanza.child("ping", "urn:xmpp:ping");
          if (ping && answer_pings_)
            write(s, "<iq type='result' id='" + *ev.stanza.attribute("id") + "' to='" + kFakeXmppDomain + "'/>");
          std::lock_guard<std::mutex> l(mu_);
          stanzas_.push_back(ev.stanza);
        }
      }
      if (!fed.is_ok()) break;
    }
    std::lock_guard<std::mutex> l(mu_);
    fd_ = -1;
  }

  void stream_error(boost::asio::ip::tcp::socket& s, const std::string& condition) {
    write(s, "<stream:error><" + condition + " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>fake says " + condition + "</text></stream:error>"
             "</stream:stream>");
  }

  Mode mode_;
  bool answer_pings_;
  mutable std::mutex mu_;
  int connections_ = 0;
  int fd_ = -1;
  std::string to_;
  std::string raw_;
  bool ended_ = false;
  std::vector<XmlElement> stanzas_;
  parley::testing::LoopbackServer server_;  // last: its threads stop before the members above go
};

// A component on its own I/O thread, recording what its callbacks saw.
class XmppComponentHarness {
 public:
  explicit XmppComponentHarness(ComponentOptions options) : work_(ioc_.get_executor()) {
    ComponentConnection::Callbacks cb;
    cb.on_stanza = [this](XmlElement e) {
      std::lock_guard<std::mutex> l(mu_);
      stanzas_.push_back(std::move(e));
    };
    cb.on_state = [this](ComponentState s, const Status& why) {
      std::lock_guard<std::mutex> l(mu_);
      states_.push_back(s);
      if (!why.is_ok()) errors_.push_back(why);
    };
    auto created = ComponentConnection::create(ioc_.get_executor(), std::move(options), std::move(cb));
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    if (created.ok()) component = std::move(created).value();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~XmppComponentHarness() {
    if (component) {
      component->stop();
      eventually([&] { return stopped(); }, 5s);
    }
    work_.reset();
    ioc_.stop();
    thread_.join();
    // Its timers and socket belong to ioc_: the connection goes first (ioc_, declared after it, would
    // otherwise be destroyed before it: UBSan saw the timer service gone).
    component.reset();
  }

  bool stopped() {
    std::lock_guard<std::mutex> l(mu_);
    return !states_.empty() && states_.back() == ComponentState::kStopped;
  }
  std::vector<XmlElement> stanzas() { std::lock_guard<std::mutex> l(mu_); return stanzas_; }
  std::vector<Status> errors() { std::lock_guard<std::mutex> l(mu_); return errors_; }
  bool has_error(Code code, const std::string& words) {
    for (const auto& e : errors())
      if (e.code() == code && e.message().find(words) != std::string::npos) return true;
    return false;
  }

  std::unique_ptr<ComponentConnection> component;

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<XmlElement> stanzas_;
  std::vector<ComponentState> states_;
  std::vector<Status> errors_;
};

ComponentOptions xmpp_test_options(const FakeXmppServer& server, std::string secret = kFakeXmppSecret) {
  ComponentOptions o;
  o.server = server.address();
  o.domain = kFakeXmppDomain;
  o.secret = std::move(secret);
  o.connect_timeout = 2s;
  o.backoff_initial = 20ms;
  o.backoff_max = 100ms;
  return o;
}

TEST(XmppComponent, HandshakeDigestIsLowercaseSha1OfIdAndSecret) {
  // XEP-0114's example values; the digest computed independently (Python's hashlib).
  EXPECT_EQ(handshake_digest("3BF96D32", "Calli0pe"), "8b94cc5c235519be4871b3a17be65c5538d88f63");
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(XmppComponent, ReconnectDelayIsFullJitterUnderAnExponentialCap) {
  ComponentOptions o;
  o.backoff_initial = std::chrono::milliseconds(100);
  o.backoff_max = std::chrono::milliseconds(5000);
  EXPECT_EQ(reconnect_delay(o, 1, 1.0).count(), 100);
  EXPECT_EQ(reconnect_delay(o, 2, 1.0).count(), 200);
  EXPECT_EQ(reconnect_delay(o, 4, 1.0).count(), 800);
  EXPECT_EQ(reconnect_delay(o, 7, 1.0).count(), 5000);
  EXPECT_EQ(reconnect_delay(o, 1000, 1.0).count(), 5000);
  EXPECT_EQ(reconnect_delay(o, 4, 0.0).count(), 0);
  EXPECT_EQ(reconnect_delay(o, 4, 0.5).count(), 400);
}

TEST(XmppComponent, HandshakeAcceptedAndStanzasRoundTrip) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  XmppComponentHarness h(xmpp_test_options(server));
  ASSERT_TRUE(h.component);
  EXPECT_EQ(h.component->send("<message/>").code(), Code::kUnavailable);  // not connected yet
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.component->state() == ComponentState::kConnected; }, 5s));
  EXPECT_EQ(server.to(), kFakeXmppDomain);
  EXPECT_EQ(h.component->connects(), 1u);

  ASSERT_TRUE(server.send("<message from='ann@example.test/phone' to='pizza@bots.example.test' type='chat' "
                          "id='m1'><body>hi &amp; bye</body></message>"));
  ASSERT_TRUE(eventually([&] { return h.stanzas().size() == 1; }, 5s));
  XmlElement in = h.stanzas()[0];
  EXPECT_EQ(in.name, "message");
  EXPECT_EQ(*in.attribute("from"), "ann@example.test/phone");
  ASSERT_NE(in.child("body", kComponentNs), nullptr);
  EXPECT_EQ(in.child("body", kComponentNs)->text, "hi & bye");

  ASSERT_TRUE(h.component
                  ->send("<message from='pizza@bots.example.test' to='ann@example.test/phone' type='chat'><body>" +
                         xml_escape("re: <hi> & 'bye'") + "</body></message>")
                  .is_ok());
  ASSERT_TRUE(eventually([&] { return server.stanzas().size() == 1; }, 5s));
  XmlElement out = server.stanzas()[0];
  EXPECT_EQ(*out.attribute("to"), "ann@example.test/phone");
  EXPECT_EQ(out.child("body", kComponentNs)->text, "re: <hi> & 'bye'");
  EXPECT_TRUE(h.errors().empty());
}

TEST(XmppComponent, WrongSecretIsReportedAsNotAuthorizedAndRetried) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  XmppComponentHarness h(xmpp_test_options(server, "not-the-secret"));
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.has_error(Code::kInvalidArgument, "not-authorized"); }, 5s));
  EXPECT_TRUE(h.has_error(Code::kInvalidArgument, "the secret differs"));
  EXPECT_TRUE(h.has_error(Code::kInvalidArgument, "fake says not-authorized"));
  EXPECT_TRUE(eventually([&] { return server.connections() >= 2; }, 5s));
  EXPECT_EQ(h.component->connects(), 0u);
}

TEST(XmppComponent, ConflictAndHostUnknownAreReported) {
  {
    FakeXmppServer server(FakeXmppServer::Mode::kConflict);
    XmppComponentHarness h(xmpp_test_options(server));
    h.component->start();
    EXPECT_TRUE(eventually([&] { return h.has_error(Code::kConflict, "another connection holds that name"); }, 5s));
  }
  {
    FakeXmppServer server(FakeXmppServer::Mode::kHostUnknown);
    XmppComponentHarness h(xmpp_test_options(server));
    h.component->start();
    EXPECT_TRUE(eventually([&] { return h.has_error(Code::kInvalidArgument, "host-unknown"); }, 5s));
  }
}

TEST(XmppComponent, ReconnectsWithBoundedBackoffWhenTheServerCloses) {
  FakeXmppServer server(FakeXmppServer::Mode::kCloseAfterHandshake);
  XmppComponentHarness h(xmpp_test_options(server));
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.component->connects() >= 3; }, 5s));
  EXPECT_TRUE(h.has_error(Code::kUnavailable, "closed the"));

  // A server that drops every connection at once: failures grow, the wait stays under backoff_max.
  FakeXmppServer refusing(FakeXmppServer::Mode::kRefuse);
  XmppComponentHarness r(xmpp_test_options(refusing));
  auto begin = std::chrono::steady_clock::now();
  r.component->start();
  ASSERT_TRUE(eventually([&] { return refusing.connections() >= 8; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 8 * 100ms + 1s);
  EXPECT_EQ(r.component->connects(), 0u);
}

TEST(XmppComponent, SendsWhitespaceKeepAlives) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  ComponentOptions o = xmpp_test_options(server);
  o.keepalive_interval = 50ms;
  o.read_timeout = 60s;
  XmppComponentHarness h(o);
  h.component->start();
  ASSERT_TRUE(eventually([&] { return server.raw_after_handshake().size() >= 3; }, 5s));
  EXPECT_EQ(server.raw_after_handshake().find_first_not_of(" "), std::string::npos);
  EXPECT_TRUE(server.stanzas().empty());
}

TEST(XmppComponent, ReadTimeoutPingsTheServerThenReconnects) {
  {  // the server answers the ping: the connection stays
    FakeXmppServer server(FakeXmppServer::Mode::kAccept, /*answer_pings=*/true);
    ComponentOptions o = xmpp_test_options(server);
    o.keepalive_interval = 50ms;
    o.read_timeout = 400ms;
    XmppComponentHarness h(o);
    h.component->start();
    ASSERT_TRUE(eventually([&] { return !server.stanzas().empty(); }, 5s));
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(server.connections(), 1);
    EXPECT_TRUE(h.stanzas().empty());  // the ping's answer is the component's own, not a stanza for the bots
  }
  FakeXmppServer server(FakeXmppServer::Mode::kAccept, /*answer_pings=*/false);
  ComponentOptions o = xmpp_test_options(server);
  o.keepalive_interval = 50ms;
  o.read_timeout = 400ms;
  XmppComponentHarness h(o);
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.has_error(Code::kTimeout, "nothing from XMPP server"); }, 5s));
  ASSERT_FALSE(server.stanzas().empty());
  XmlElement ping = server.stanzas()[0];
  EXPECT_EQ(ping.name, "iq");
  EXPECT_EQ(*ping.attribute("to"), kFakeXmppDomain);
  EXPECT_NE(ping.child("ping", "urn:xmpp:ping"), nullptr);
  EXPECT_TRUE(eventually([&] { return server.connections() >= 2; }, 5s));
}

TEST(XmppComponent, StopEndsTheStreamAndTheRetries) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  XmppComponentHarness h(xmpp_test_options(server));
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.component->state() == ComponentState::kConnected; }, 5s));
  ASSERT_TRUE(h.component->send("<message to='ann@example.test'><body>last</body></message>").is_ok());
  h.component->stop();
  ASSERT_TRUE(eventually([&] { return h.stopped(); }, 5s));
  EXPECT_TRUE(eventually([&] { return server.stream_ended(); }, 5s));
  ASSERT_EQ(server.stanzas().size(), 1u);  // what was queued went out before the stream's end
  EXPECT_EQ(server.stanzas()[0].child("body", kComponentNs)->text, "last");
  EXPECT_EQ(h.component->send("<message/>").code(), Code::kUnavailable);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.connections(), 1);
}

TEST(XmppComponent, SendQueueIsBounded) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  ComponentOptions o = xmpp_test_options(server);
  o.max_queued_bytes = 64;
  XmppComponentHarness h(o);
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.component->state() == ComponentState::kConnected; }, 5s));
  Status big = h.component->send("<message to='ann@example.test'><body>" + std::string(64, 'x') + "</body></message>");
  EXPECT_EQ(big.code(), Code::kRateLimited) << big.to_string();
  EXPECT_TRUE(h.component->send("<message to='ann@example.test'/>").is_ok());
  EXPECT_TRUE(eventually([&] { return server.stanzas().size() == 1; }, 5s));
}

TEST(XmppComponent, StanzaOverTheLimitDropsTheConnection) {
  FakeXmppServer server(FakeXmppServer::Mode::kAccept);
  ComponentOptions o = xmpp_test_options(server);
  o.limits.max_stanza_bytes = 1000;
  XmppComponentHarness h(o);
  h.component->start();
  ASSERT_TRUE(eventually([&] { return h.component->state() == ComponentState::kConnected; }, 5s));
  ASSERT_TRUE(server.send("<message to='pizza@bots.example.test'><body>" + std::string(2000, 'x') + "</body></message>"));
  EXPECT_TRUE(eventually([&] { return h.has_error(Code::kTooLarge, "over the limit of 1000 bytes"); }, 5s));
  EXPECT_TRUE(eventually([&] { return h.component->connects() >= 2; }, 5s));
  EXPECT_TRUE(h.stanzas().empty());
}

TEST(XmppComponent, BadOptionsAreRefused) {
  boost::asio::io_context ioc;
  ComponentOptions o;
  o.server = "no-port";
  o.domain = "d";
  o.secret = "s";
  EXPECT_EQ(ComponentConnection::create(ioc.get_executor(), o, {}).status().code(), Code::kInvalidArgument);
  o.server = "127.0.0.1:5347";
  o.secret = "";
  EXPECT_EQ(ComponentConnection::create(ioc.get_executor(), o, {}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace parley::channels::xmpp
