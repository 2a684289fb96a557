// Custom action calls over HTTP/1.1 (or HTTPS) with Boost.Beast: one connection per call, all
// steps on one strand, one deadline timer for the whole call.
#include "actions/http_action_client.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <variant>

#include "core/http_url.h"
#include "core/json_finite.h"
#include "core/tls.h"

namespace parley::actions {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Done = std::function<void(dialogue::ActionReply)>;
using dialogue::ActionReply;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class CallOp : public std::enable_shared_from_this<CallOp> {
 public:
  CallOp(asio::any_io_executor executor, dialogue::ActionRequest request, Done done,
         const HttpActionClientOptions& options, std::shared_ptr<tls::Context> tls)
      : strand_(asio::make_strand(executor)),
        resolver_(strand_),
        stream_(std::in_place_type<beast::tcp_stream>, strand_),
        deadline_(strand_),
        request_(std::move(request)),
        done_(std::move(done)),
        tls_(std::move(tls)) {
    parser_.body_limit(options.max_response_bytes);
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->do_start(); });
  }

 private:
  void do_start() {
    auto url = parse_http_url(request_.url, "action endpoint");
    if (!url.ok()) return finish(ActionReply::failed(Status::unavailable(url.status().message())));
    url_ = std::move(url).value();
    if (url_.tls) {
      if (!tls_)
        return finish(ActionReply::failed(Status::unavailable("action endpoint '" + request_.url + "': no TLS context")));
      stream_.emplace<TlsStream>(strand_, *tls_);
      if (Status s = tls::prepare_client(std::get<TlsStream>(stream_), url_.host); !s.is_ok())
        return finish(ActionReply::failed(Status::unavailable(s.message())));
    }

    req_.method(http::verb::post);
    req_.target(url_.target);
    req_.version(11);
    req_.set(http::field::host, url_.host_header());
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::user_agent, "parley");
    req_.keep_alive(false);
    req_.body() = json::serialize(request_.payload);
    req_.prepare_payload();

    deadline_.expires_after(request_.timeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_deadline();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              self->on_resolve(ec, std::move(r));
                            });
  }

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream_);
  }

  void on_deadline() {
    timed_out_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ec, "resolve");
    lowest().async_connect(results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail(ec, "connect");
    if (auto* s = std::get_if<TlsStream>(&stream_)) {
      s->async_handshake(asio::ssl::stream_base::client,
                         [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
      return;
    }
    on_handshake({});
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail(ec, "TLS handshake with");
    std::visit(
        [this](auto& s) {
          http::async_write(s, req_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
        },
        stream_);
  }

  void on_write(beast::error_code ec) {
    if (ec) return fail(ec, "write");
    std::visit(
        [this](auto& s) {
          http::async_read(s, buffer_, parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
        },
        stream_);
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail(ec, "read");
    const auto& res = parser_.get();
    unsigned status = res.result_int();
    const std::string& body = res.body();
    if (status == 400)
      return finish(ActionReply::rejected(
          Status::invalid("action server rejected '" + request_.action + "': " + snippet(body))));
    if (status < 200 || status > 299)
      return finish(ActionReply::failed(Status::io_error("action server answered HTTP " + std::to_string(status) +
                                                         " for '" + request_.action + "': " + snippet(body))));
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
      return finish(ActionReply::ok(json::value(json::object())));
    beast::error_code jec;
    json::value v = json::parse(body, jec);
    if (jec)
      return finish(ActionReply::failed(Status::io_error("action server answered with bad JSON for '" +
                                                         request_.action + "': " + jec.message())));
    if (!all_numbers_finite(v))
      return finish(ActionReply::failed(Status::io_error("action server answered for '" + request_.action +
                                                         "' with a number too large for a double")));
    finish(ActionReply::ok(std::move(v)));
  }

  void fail(beast::error_code ec, const char* step) {
    if (timed_out_)
      return finish(ActionReply::timed_out(Status::timeout("action '" + request_.action + "' timed out after " +
                                                           std::to_string(request_.timeout.count()) + " ms (" +
                                                           request_.url + ")")));
    std::string what = std::string(step) + " " + request_.url + ": " + ec.message();
    if (ec == http::error::body_limit)
      return finish(ActionReply::failed(Status::io_error("action server answer too large: " + what)));
    if (std::string_view(step) == "resolve" || std::string_view(step) == "connect" ||
        std::string_view(step) == "TLS handshake with")
      return finish(ActionReply::failed(Status::unavailable("action server unreachable: " + what)));
    finish(ActionReply::failed(Status::io_error("action server call failed: " + what)));
  }

  void finish(ActionReply result) {
    if (!done_) return;
    Done done = std::move(done_);
    done_ = nullptr;
    deadline_.cancel();
    beast::error_code ignored;
    lowest().socket().close(ignored);  // one call per connection: no TLS close_notify to wait for
    done(std::move(result));
  }

  static std::string snippet(const std::string& body) {
    return body.size() <= 300 ? body : body.substr(0, 300) + "...";
  }

  asio::strand<asio::any_io_executor> strand_;
  tcp::resolver resolver_;
  std::variant<beast::tcp_stream, TlsStream> stream_;
  asio::steady_timer deadline_;
  dialogue::ActionRequest request_;
  Done done_;
  std::shared_ptr<tls::Context> tls_;  // for https URLs
  HttpUrl url_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
};

class AsyncHttpActionClient : public dialogue::AsyncActionClient {
 public:
  AsyncHttpActionClient(asio::any_io_executor executor, HttpActionClientOptions options,
                        std::shared_ptr<tls::Context> tls)
      : executor_(std::move(executor)), options_(std::move(options)), tls_(std::move(tls)) {}

  void call(dialogue::ActionRequest request, Done done) override {
    std::make_shared<CallOp>(executor_, std::move(request), std::move(done), options_, tls_)->start();
  }

 private:
  asio::any_io_executor executor_;
  HttpActionClientOptions options_;
  std::shared_ptr<tls::Context> tls_;
};

// The system's CAs, read once (null when they cannot be read: https calls then fail).
std::shared_ptr<tls::Context> system_tls() {
  static const std::shared_ptr<tls::Context> kContext = [] {
    auto made = tls::client_context();
    return made.ok() ? std::move(made).value() : nullptr;
  }();
  return kContext;
}

// The blocking client runs the asynchronous one on a private io_context per call.
class BlockingHttpActionClient : public dialogue::ActionClient {
 public:
  ActionReply call(const dialogue::ActionRequest& request) override {
    asio::io_context ioc;
    std::optional<ActionReply> out;
    AsyncHttpActionClient client(ioc.get_executor(), {}, system_tls());
    client.call(request, [&out](ActionReply r) { out.emplace(std::move(r)); });
    ioc.run();
    if (!out) return ActionReply::failed(Status::internal("action call ended without a result"));
    return std::move(*out);
  }
};

}  // namespace

Result<std::shared_ptr<dialogue::AsyncActionClient>> make_async_http_action_client(asio::any_io_executor executor,
                                                                                  HttpActionClientOptions options) {
  auto tls = tls::client_context(options.ca_file);
  if (!tls.ok()) return tls.status();
  return std::shared_ptr<dialogue::AsyncActionClient>(
      std::make_shared<AsyncHttpActionClient>(std::move(executor), std::move(options), std::move(tls).value()));
}

std::unique_ptr<dialogue::ActionClient> make_http_action_client() {
  return std::make_unique<BlockingHttpActionClient>();
}

}  // namespace parley::actions
