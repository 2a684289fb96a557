// The HTTP sink: POSTs each batch as a JSON array to the sink's URL over keep-alive connections
// (one per concurrent delivery, reused), with the batch's deadline on connect, write and read. A
// 2xx answer acknowledges the batch; anything else, a timeout or a broken connection fails it
// (the connection is then dropped). With hmac_secret, X-Parley-Signature: sha256=<hex of
// HMAC-SHA256(secret, body)> lets the receiver check the sender.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <vector>

#include "events/sink.h"

namespace parley::events {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  std::string host, port, target;
};

Result<Url> parse_url(const std::string& url) {
  static constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::invalid("url '" + url + "' is not http://host:port/path");
  std::string rest = url.substr(kScheme.size());
  Url u;
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    u.host = authority.substr(1, close - 1);
    u.port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "80";
  } else if (colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = "80";
  }
  if (u.host.empty()) return Status::invalid("url '" + url + "' has no host");
  return u;
}

std::string hmac_hex(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// One keep-alive connection with its own io_context: a delivery runs its operations to
// completion (or its deadline) on the calling thread.
struct Connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;
};

class HttpSink final : public Sink {
 public:
  HttpSink(SinkConfig c, Url u) : config_(std::move(c)), url_(std::move(u)) {}

  Status deliver(const Batch& batch, std::chrono::milliseconds timeout) override {
    std::string body = "[";
    for (const OutEvent* e : batch) {
      if (body.size() > 1) body += ',';
      body += e->record;
    }
    body += ']';
    std::unique_ptr<Connection> conn = take();
    Status s = post(*conn, body, timeout);
    if (s.is_ok()) give_back(std::move(conn));
    return s;
  }

 private:
  std::unique_ptr<Connection> take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) return std::make_unique<Connection>();
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < config_.max_in_flight) idle_.push_back(std::move(c));
  }

  Status post(Connection& c, const std::string& body, std::chrono::milliseconds timeout) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host + ":" + url_.port);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "parley-events");
    req.set("X-Parley-Sink", config_.name);
    if (!config_.hmac_secret.empty()) req.set("X-Parley-Signature", "sha256=" + hmac_hex(config_.hmac_secret, body));
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();

    http::response<http::string_body> res;
    beast::error_code result;
    bool reused = c.open;
    c.ioc.restart();
    c.stream.expires_after(timeout);
    auto on_read = [&](beast::error_code ec, size_t) { result = ec; };
    auto on_write = [&](beast::error_code ec, size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(c.stream, c.buffer, res, on_read);
    };
    auto send = [&] { http::async_write(c.stream, req, on_write); };
    if (c.open) {
      send();
    } else {
      tcp::resolver resolver(c.ioc);
      beast::error_code ec;
      auto endpoints = resolver.resolve(url_.host, url_.port, ec);
      if (ec) return Status::unavailable("resolving " + url_.host + ": " + ec.message());
      c.stream.async_connect(endpoints, [&](beast::error_code cec, const tcp::endpoint&) {
        if (cec) {
          result = cec;
          return;
        }
        c.open = true;
        send();
      });
    }
    c.ioc.run();
    if (result) {
      c.stream.socket().close();
      c.open = false;
      c.buffer.clear();
      if (reused && (result == http::error::end_of_stream || result == asio::error::connection_reset ||
                     result == asio::error::broken_pipe)) {
        // The receiver closed an idle keep-alive connection: try once on a fresh one.
        return post(c, body, timeout);
      }
      if (result == beast::error::timeout)
        return Status(Code::kTimeout, "sink '" + config_.name + "': no answer within " +
                                                   std::to_string(timeout.count()) + " ms");
      return Status::unavailable("sink '" + config_.name + "': " + result.message());
    }
    if (!res.keep_alive()) {
      c.stream.socket().close();
      c.open = false;
    }
    unsigned code = res.result_int();
    if (code < 200 || code >= 300)
      return Status::unavailable("sink '" + config_.name + "': HTTP " + std::to_string(code));
    return Status::ok();
  }

  SinkConfig config_;
  Url url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_http_sink(const SinkConfig& config) {
  auto url = parse_url(config.url);
  if (!url.ok()) return url.status();
  return std::unique_ptr<Sink>(std::make_unique<HttpSink>(config, std::move(url).value()));
}

}  // namespace parley::events
