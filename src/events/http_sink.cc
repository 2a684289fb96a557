// The HTTP sink: POSTs each batch as a JSON array to the sink's URL over keep-alive connections
// (one per concurrent delivery, reused), with the batch's deadline on connect, write and read. A
// 2xx answer acknowledges the batch; anything else, a timeout or a broken connection fails it
// (the connection is then dropped). An https:// URL is called over TLS 1.2+, the receiver's
// certificate checked against the sink's ca_file or the system's store. With hmac_secret, X-Parley-Signature: sha256=<hex of
// HMAC-SHA256(secret, body)> lets the receiver check the sender.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <variant>
#include <vector>

#include "core/http_url.h"
#include "core/tls.h"
#include "events/sink.h"

namespace parley::events {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One keep-alive connection with its own io_context: a delivery runs its operations to
// completion (or its deadline) on the calling thread.
struct Connection {
  asio::io_context ioc;
  std::variant<beast::tcp_stream, TlsStream> stream{std::in_place_type<beast::tcp_stream>, ioc};
  beast::flat_buffer buffer;
  bool open = false;

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream);
  }
  void close() {
    beast::error_code ignored;
    lowest().socket().close(ignored);
    open = false;
    buffer.clear();
  }
};

class HttpSink final : public Sink {
 public:
  HttpSink(SinkConfig c, HttpUrl u, std::shared_ptr<tls::Context> tls)
      : config_(std::move(c)), url_(std::move(u)), tls_(std::move(tls)) {}

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
    req.set(http::field::host, url_.host_header());
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
    c.lowest().expires_after(timeout);
    auto on_read = [&](beast::error_code ec, size_t) { result = ec; };
    auto on_write = [&](beast::error_code ec, size_t) {
      if (ec) {
        result = ec;
        return;
      }
      std::visit([&](auto& s) { http::async_read(s, c.buffer, res, on_read); }, c.stream);
    };
    auto send = [&] { std::visit([&](auto& s) { http::async_write(s, req, on_write); }, c.stream); };
    if (c.open) {
      send();
    } else {
      tcp::resolver resolver(c.ioc);
      beast::error_code ec;
      auto endpoints = resolver.resolve(url_.host, url_.port, ec);
      if (ec) return Status::unavailable("resolving " + url_.host + ": " + ec.message());
      if (url_.tls) {
        c.stream.emplace<TlsStream>(c.ioc, *tls_);
        if (Status s = tls::prepare_client(std::get<TlsStream>(c.stream), url_.host); !s.is_ok()) return s;
        c.lowest().expires_after(timeout);
      }
      c.lowest().async_connect(endpoints, [&](beast::error_code cec, const tcp::endpoint&) {
        if (cec) {
          result = cec;
          return;
        }
        c.open = true;
        if (auto* t = std::get_if<TlsStream>(&c.stream)) {
          t->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hec) {
            if (hec) {
              result = hec;
              return;
            }
            send();
          });
          return;
        }
        send();
      });
    }
    c.ioc.run();
    if (result) {
      c.close();
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
    if (!res.keep_alive()) c.close();
    unsigned code = res.result_int();
    if (code < 200 || code >= 300)
      return Status::unavailable("sink '" + config_.name + "': HTTP " + std::to_string(code));
    return Status::ok();
  }

  SinkConfig config_;
  HttpUrl url_;
  std::shared_ptr<tls::Context> tls_;  // https only
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_http_sink(const SinkConfig& config) {
  auto url = parse_http_url(config.url, "sink '" + config.name + "' url");
  if (!url.ok()) return url.status();
  std::shared_ptr<tls::Context> tls;
  if (url->tls) {
    auto made = tls::client_context(config.ca_file);
    if (!made.ok()) return Status::invalid("sink '" + config.name + "': " + made.status().message());
    tls = std::move(made).value();
  }
  return std::unique_ptr<Sink>(std::make_unique<HttpSink>(config, std::move(url).value(), std::move(tls)));
}

}  // namespace parley::events
