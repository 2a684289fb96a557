// XEP-0114 over one TCP socket: every step on one strand; a generation number per connection
// attempt makes the completions of a replaced connection no-ops. The send queue is the one thing
// other threads touch, under a mutex.
#include "channels/xmpp/component.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <optional>
#include <random>

#include "core/digest.h"
#include "core/host_port.h"
#include "core/log.h"

namespace parley::channels::xmpp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* component_state_name(ComponentState s) {
  switch (s) {
    case ComponentState::kConnecting: return "connecting";
    case ComponentState::kConnected: return "connected";
    case ComponentState::kDisconnected: return "disconnected";
    case ComponentState::kStopped: return "stopped";
  }
  return "unknown";
}

milliseconds reconnect_delay(const ComponentOptions& options, int failures, double u) {
  double cap = static_cast<double>(options.backoff_max.count());
  double exp = static_cast<double>(options.backoff_initial.count()) * std::ldexp(1.0, std::clamp(failures - 1, 0, 62));
  double bound = std::min(cap, exp);
  return milliseconds(static_cast<int64_t>(std::clamp(u, 0.0, 1.0) * bound));
}

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
  std::string input(stream_id);
  input.append(secret);
  return sha1_hex(input);
}

Status stream_error_status(const XmlElement& error, const ComponentOptions& o) {
  std::string condition, text;
  for (const auto& c : error.children) {
    if (c.ns != kStreamErrorsNs) continue;
    if (c.name == "text") text = c.text;
    else if (condition.empty()) condition = c.name;
  }
  std::string said = text.empty() ? "" : " (the server says: " + text + ")";
  std::string who = "XMPP server " + o.server + " ";
  if (condition == "conflict")
    return Status::conflict(who + "refused component '" + o.domain +
                            "': another connection holds that name (conflict); Prosody takes one connection per "
                            "component" + said);
  if (condition == "host-unknown")
    return Status::invalid(who + "does not know the component '" + o.domain +
                           "' (host-unknown): declare it in the server's configuration (Prosody: Component \"" +
                           o.domain + "\"; ejabberd: an ejabberd_service listener with hosts: " + o.domain + ")" + said);
  if (condition == "not-authorized")
    return Status::invalid(who + "rejected the handshake of component '" + o.domain +
                           "' (not-authorized): the secret differs from the server's component_secret (Prosody) or "
                           "password (ejabberd)" + said);
  return Status::unavailable(who + "closed the stream of component '" + o.domain + "' with the error " +
                             (condition.empty() ? "(no condition)" : condition) + said);
}

struct ComponentConnection::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, ComponentOptions o, Callbacks cb, std::string h, uint16_t p)
      : strand(asio::make_strand(executor)),
        resolver(strand),
        connect_timer(strand),
        tick_timer(strand),
        backoff_timer(strand),
        options(std::move(o)),
        callbacks(std::move(cb)),
        host(std::move(h)),
        port(p),
        rng(std::random_device{}()) {}

  // --- on the strand ---

  void set_state(ComponentState s, const Status& why) {
    {
      std::lock_guard<std::mutex> lock(mu);
      state = s;
    }
    if (callbacks.on_state) callbacks.on_state(s, why);
  }

  void do_start() {
    if (stop_requested) return finish_stop();
    set_state(ComponentState::kConnecting, Status::ok());
    uint64_t gen = generation;
    reader = std::make_unique<XmlStreamReader>(options.limits);
    socket.emplace(strand);
    accepted = false;
    server_domain.clear();
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (!ec)
        self->fail(gen, Status::timeout("XMPP server " + self->options.server + " did not accept component '" +
                                        self->options.domain + "' within " +
                                        std::to_string(self->options.connect_timeout.count()) + " ms"));
    });
    resolver.async_resolve(host, std::to_string(port),
                           [self = shared_from_this(), gen](boost::system::error_code ec, tcp::resolver::results_type r) {
                             self->on_resolve(gen, ec, std::move(r));
                           });
  }

  void on_resolve(uint64_t gen, boost::system::error_code ec, tcp::resolver::results_type results) {
    if (gen != generation) return;
    if (ec) return fail(gen, Status::unavailable("cannot resolve XMPP server " + options.server + ": " + ec.message()));
    asio::async_connect(*socket, results, [self = shared_from_this(), gen](boost::system::error_code ec, const tcp::endpoint&) {
      self->on_connect(gen, ec);
    });
  }

  void on_connect(uint64_t gen, boost::system::error_code ec) {
    if (gen != generation) return;
    if (ec) return fail(gen, Status::unavailable("cannot connect to XMPP server " + options.server + ": " + ec.message()));
    boost::system::error_code ignored;
    socket->set_option(tcp::no_delay(true), ignored);
    last_read = Clock::now();
    write_raw("<stream:stream xmlns='" + std::string(kComponentNs) + "' xmlns:stream='" + std::string(kStreamsNs) +
              "' to='" + xml_escape(options.domain) + "'>");
    do_read(gen);
  }

  void do_read(uint64_t gen) {
    socket->async_read_some(asio::buffer(read_buf), [self = shared_from_this(), gen](boost::system::error_code ec, size_t n) {
      self->on_read(gen, ec, n);
    });
  }

  void on_read(uint64_t gen, boost::system::error_code ec, size_t n) {
    if (gen != generation) return;
    if (ec)
      return fail(gen, Status::unavailable("XMPP server " + options.server + " closed the connection" +
                                           (ec == asio::error::eof ? std::string() : ": " + ec.message())));
    last_read = Clock::now();
    Status parsed = reader->feed(std::string_view(read_buf.data(), n));
    XmlStreamEvent ev;
    while (gen == generation && reader->next(&ev)) on_event(gen, std::move(ev));
    if (gen != generation) return;
    if (!parsed.is_ok())
      return fail(gen, Status(parsed.code(), "XMPP server " + options.server + ": " + parsed.message()));
    do_read(gen);
  }

  void on_event(uint64_t gen, XmlStreamEvent ev) {
    using Kind = XmlStreamEvent::Kind;
    if (ev.kind == Kind::kEnd)
      return fail(gen, Status::unavailable("XMPP server " + options.server + " closed the stream"));
    if (ev.kind == Kind::kHeader) {
      if (ev.header.id.empty())
        return fail(gen, Status::unavailable("XMPP server " + options.server + " sent a stream header without an id"));
      server_domain = ev.header.from;
      write_raw("<handshake>" + handshake_digest(ev.header.id, options.secret) + "</handshake>");
      return;
    }
    XmlElement& s = ev.stanza;
    if (s.ns == kStreamsNs && s.name == "error") return fail(gen, stream_error_status(s, options));
    if (!accepted) {
      if (s.ns == kComponentNs && s.name == "handshake") return on_accepted(gen);
      return fail(gen, Status::unavailable("XMPP server " + options.server + " sent <" + s.name +
                                           "> before accepting the handshake"));
    }
    if (s.name == "iq" && !ping_id.empty()) {
      const std::string* id = s.attribute("id");
      if (id && *id == ping_id) {  // the answer to our own liveness ping: traffic is all it was for
        ping_id.clear();
        return;
      }
    }
    if (callbacks.on_stanza) callbacks.on_stanza(std::move(s));
  }

  void on_accepted(uint64_t gen) {
    accepted = true;
    failures = 0;
    connect_timer.cancel();
    connects.fetch_add(1);
    set_state(ComponentState::kConnected, Status::ok());
    log(spdlog::level::info, "xmpp component connected", {{"server", options.server}, {"domain", options.domain}});
    schedule_tick(gen);
    kick();
  }

  milliseconds tick_period() const {
    auto period = std::min(options.keepalive_interval, options.read_timeout / 4);
    return std::max(period, milliseconds(10));
  }

  void schedule_tick(uint64_t gen) {
    tick_timer.expires_after(tick_period());
    tick_timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (!ec) self->on_tick(gen);
    });
  }

  void on_tick(uint64_t gen) {
    if (gen != generation) return;
    auto now = Clock::now();
    auto silent = now - last_read;
    if (silent >= options.read_timeout)
      return fail(gen, Status::timeout("nothing from XMPP server " + options.server + " for " +
                                       std::to_string(options.read_timeout.count()) + " ms"));
    if (silent >= options.read_timeout / 2 && ping_id.empty()) {
      ping_id = "parley-ping-" + std::to_string(++ping_seq);
      std::string to = server_domain.empty() ? "" : " to='" + xml_escape(server_domain) + "'";
      write_raw("<iq type='get' id='" + ping_id + "' from='" + xml_escape(options.domain) + "'" + to +
                "><ping xmlns='urn:xmpp:ping'/></iq>");
    } else if (now - last_write >= options.keepalive_interval) {
      write_raw(" ");
    }
    schedule_tick(gen);
  }

  void write_raw(std::string text) {
    raw_pending += text;
    kick();
  }

  // Writes what is pending (protocol text first, then queued stanzas) in one write, unless a
  // write is already under way; its completion calls kick() again.
  void kick() {
    if (writing || !socket || !socket->is_open()) return;
    std::string out = std::move(raw_pending);
    raw_pending.clear();
    if (accepted) {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& stanza : queue) out += stanza;
      queue.clear();
      queued_bytes = 0;
    }
    if (out.empty()) return;
    writing = true;
    out_buf = std::move(out);
    last_write = Clock::now();
    uint64_t gen = generation;
    asio::async_write(*socket, asio::buffer(out_buf), [self = shared_from_this(), gen](boost::system::error_code ec, size_t) {
      self->on_write(gen, ec);
    });
  }

  void on_write(uint64_t gen, boost::system::error_code ec) {
    if (gen != generation) return;
    writing = false;
    if (ec) return fail(gen, Status::unavailable("writing to XMPP server " + options.server + ": " + ec.message()));
    if (closing && raw_pending.empty()) return finish_stop();
    kick();
  }

  void close_connection() {
    ++generation;
    resolver.cancel();
    connect_timer.cancel();
    tick_timer.cancel();
    writing = false;
    raw_pending.clear();
    ping_id.clear();
    if (socket) {
      boost::system::error_code ignored;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
    std::lock_guard<std::mutex> lock(mu);
    queue.clear();
    queued_bytes = 0;
  }

  void fail(uint64_t gen, Status why) {
    if (gen != generation) return;
    close_connection();
    if (stop_requested) return finish_stop();
    ++failures;
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    milliseconds delay = reconnect_delay(options, failures, uniform(rng));
    log(spdlog::level::warn, "xmpp component disconnected",
        {{"server", options.server}, {"domain", options.domain}, {"error", why.to_string()},
         {"retry_in_ms", delay.count()}});
    set_state(ComponentState::kDisconnected, why);
    backoff_timer.expires_after(delay);
    backoff_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->do_start();
    });
  }

  void do_stop() {
    if (stopped || closing) return;
    backoff_timer.cancel();
    if (!accepted || !socket || !socket->is_open()) return finish_stop();
    // What was queued goes out before the stream's end; one second at most.
    closing = true;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& stanza : queue) raw_pending += stanza;
      queue.clear();
      queued_bytes = 0;
    }
    raw_pending += "</stream:stream>";
    uint64_t gen = generation;
    connect_timer.expires_after(milliseconds(1000));
    connect_timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (!ec && gen == self->generation) self->finish_stop();
    });
    kick();
  }

  void finish_stop() {
    if (stopped) return;
    stopped = true;
    close_connection();
    backoff_timer.cancel();
    set_state(ComponentState::kStopped, Status::ok());
    callbacks = {};  // nothing after kStopped, and what the callbacks hold is released
  }

  // --- any thread ---

  Status enqueue(std::string stanza) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (state != ComponentState::kConnected || stop_requested)
        return Status::unavailable("XMPP component '" + options.domain + "' is not connected to " + options.server +
                                   " (" + component_state_name(state) + ")");
      if (queue.size() >= options.max_queued_stanzas || queued_bytes + stanza.size() > options.max_queued_bytes)
        return Status(Code::kRateLimited, "XMPP component '" + options.domain + "': the send queue is full (" +
                                              std::to_string(queue.size()) + " stanzas, " +
                                              std::to_string(queued_bytes) + " bytes)");
      queued_bytes += stanza.size();
      queue.push_back(std::move(stanza));
    }
    asio::post(strand, [self = shared_from_this()] { self->kick(); });
    return Status::ok();
  }

  asio::strand<asio::any_io_executor> strand;
  tcp::resolver resolver;
  std::optional<tcp::socket> socket;
  asio::steady_timer connect_timer;  // connect + handshake; then the grace period of stop()
  asio::steady_timer tick_timer;     // keep-alive and read timeout
  asio::steady_timer backoff_timer;
  ComponentOptions options;
  Callbacks callbacks;
  std::string host;
  uint16_t port;
  std::mt19937_64 rng;

  // The strand's own.
  uint64_t generation = 0;
  std::unique_ptr<XmlStreamReader> reader;
  std::array<char, 16384> read_buf{};
  bool accepted = false;
  bool writing = false;
  bool closing = false;
  bool stopped = false;
  int failures = 0;
  std::string server_domain;  // the header's from: where liveness pings go
  std::string raw_pending;    // stream header, handshake, pings: before any queued stanza
  std::string out_buf;        // the write under way
  std::string ping_id;        // of the liveness ping awaiting its answer
  uint64_t ping_seq = 0;
  Clock::time_point last_read, last_write;

  std::atomic<bool> stop_requested{false};
  std::atomic<uint64_t> connects{0};
  mutable std::mutex mu;  // state, queue, queued_bytes
  ComponentState state = ComponentState::kDisconnected;
  std::deque<std::string> queue;
  size_t queued_bytes = 0;
};

Result<std::unique_ptr<ComponentConnection>> ComponentConnection::create(asio::any_io_executor executor,
                                                                         ComponentOptions options, Callbacks callbacks) {
  std::string host;
  uint16_t port = 0;
  if (Status s = split_host_port(options.server, &host, &port); !s.is_ok())
    return Status::invalid("xmpp server '" + options.server + "': " + s.message() + " (give HOST:PORT)");
  if (host.empty() || port == 0) return Status::invalid("xmpp server '" + options.server + "': give HOST:PORT");
  if (options.domain.empty()) return Status::invalid("xmpp: the component's domain is empty");
  if (options.secret.empty()) return Status::invalid("xmpp: the component's secret is empty");
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options), std::move(callbacks), std::move(host), port);
  return std::unique_ptr<ComponentConnection>(new ComponentConnection(std::move(impl)));
}

ComponentConnection::ComponentConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ComponentConnection::~ComponentConnection() { stop(); }

void ComponentConnection::start() {
  asio::post(impl_->strand, [impl = impl_] { impl->do_start(); });
}

void ComponentConnection::stop() {
  if (impl_->stop_requested.exchange(true)) return;
  asio::post(impl_->strand, [impl = impl_] { impl->do_stop(); });
}

Status ComponentConnection::send(std::string stanza) { return impl_->enqueue(std::move(stanza)); }

ComponentState ComponentConnection::state() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->state;
}

uint64_t ComponentConnection::connects() const { return impl_->connects.load(); }

}  // namespace parley::channels::xmpp
