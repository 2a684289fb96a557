// The component side of XEP-0114 (Jabber Component Protocol) on Boost.Asio: one TCP stream to the
// XMPP server in jabber:component:accept, authenticated by the SHA-1 handshake of the stream id
// and the shared secret. Once accepted, every stanza addressed to the component's domain arrives
// here; what it sends goes out in order through a bounded queue. A lost or refused connection is
// retried with exponential backoff and full jitter until stop().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "channels/xmpp/xml_stream.h"
#include "core/status.h"

namespace parley::channels::xmpp {

inline constexpr std::string_view kComponentNs = "jabber:component:accept";

struct ComponentOptions {
  std::string server;  // HOST:PORT of the XMPP server's component port (Prosody 5347)
  std::string domain;  // the component's name, as the server's configuration gives it
  std::string secret;  // the server's component_secret (Prosody) / password (ejabberd)
  // Resolve, connect, stream header and handshake, together.
  std::chrono::milliseconds connect_timeout{10000};
  // A whitespace ping when nothing was written for this long (keeps NAT entries and the server's
  // idle timers alive).
  std::chrono::milliseconds keepalive_interval{30000};
  // Nothing read for this long: the connection is dead, and is replaced. Half way through a
  // silence an XEP-0199 ping goes to the server, whose answer (a result or an error) is traffic.
  std::chrono::milliseconds read_timeout{90000};
  // Reconnect delays: the n-th consecutive failure waits a uniform random time in
  // [0, min(backoff_max, backoff_initial * 2^n)] (full jitter: replicas do not reconnect in step).
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  XmlStreamLimits limits;                 // of every stanza the server sends
  size_t max_queued_stanzas = 4096;       // written or waiting to be
  size_t max_queued_bytes = 4u << 20;
};

enum class ComponentState { kConnecting, kConnected, kDisconnected, kStopped };
const char* component_state_name(ComponentState s);

// The delay before reconnect attempt `failures` (1 for the first after a failure), `u` uniform in
// [0, 1]: the formula of ComponentOptions::backoff_*, exposed so it can be checked.
std::chrono::milliseconds reconnect_delay(const ComponentOptions& options, int failures, double u);

// Lowercase hex SHA-1 of stream id + secret: the content of <handshake> (XEP-0114 section 3).
std::string handshake_digest(std::string_view stream_id, std::string_view secret);

// A Status for a <stream:error> element: conflict (another connection holds the component's name),
// host-unknown (the server has no such component), not-authorized (wrong secret) and the others,
// each saying what to do.
Status stream_error_status(const XmlElement& error, const ComponentOptions& options);

class ComponentConnection {
 public:
  struct Callbacks {
    // Each stanza the server routes to the component (message, presence, iq), in stream order.
    std::function<void(XmlElement stanza)> on_stanza;
    // Every change of state; `why` says why a connection was lost or refused (ok otherwise).
    std::function<void(ComponentState state, const Status& why)> on_state;
  };

  // Runs on its own strand of `executor`; both callbacks are called there, never concurrently, and
  // never after on_state(kStopped). kInvalidArgument for a bad server, an empty domain or secret.
  // The connection must be destroyed before the executor's io_context (its timers and socket
  // belong to it).
  static Result<std::unique_ptr<ComponentConnection>> create(boost::asio::any_io_executor executor,
                                                             ComponentOptions options, Callbacks callbacks);
  // Stops (see stop()); the callbacks may still run until on_state(kStopped).
  ~ComponentConnection();
  ComponentConnection(const ComponentConnection&) = delete;
  ComponentConnection& operator=(const ComponentConnection&) = delete;

  // Connects, and keeps connecting until stop(). Call once.
  void start();
  // Closes the stream (</stream:stream>) and ends every retry; on_state(kStopped) follows. Idempotent,
  // any thread.
  void stop();
  // Queues one stanza (a complete element of jabber:component:accept, e.g. <message to='...'>...),
  // written in order. Any thread. kUnavailable while the stream is not accepted (nothing is kept
  // across a reconnect: what was queued when a connection is lost is dropped, and whether the
  // server had it is unknown); kRateLimited when the queue is full. The text is not checked: a
  // malformed stanza makes the server close the stream.
  Status send(std::string stanza);

  ComponentState state() const;
  uint64_t connects() const;  // handshakes accepted so far

 private:
  struct Impl;
  explicit ComponentConnection(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::channels::xmpp
