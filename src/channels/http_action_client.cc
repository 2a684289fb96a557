// Custom action calls over HTTP/1.1 with Boost.Beast: one connection per call, all steps on one
// strand, one deadline timer for the whole call.
#include "channels/http_action_client.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace parley::channels {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    if (url.substr(0, 8) == "https://")
      return Status::invalid("action endpoint '" + std::string(url) + "': https is not supported");
    return Status::invalid("action endpoint '" + std::string(url) + "' is not an http:// URL");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return Status::invalid("action endpoint '" + std::string(url) + "' has no host");
  size_t colon = std::string_view::npos;
  if (authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::invalid("action endpoint '" + std::string(url) + "': unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return Status::invalid("action endpoint '" + std::string(url) + "': bad port");
      colon = close + 1;
    }
  } else {
    colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
  }
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return Status::invalid("action endpoint '" + std::string(url) + "': bad port");
    out.port = std::string(port);
  }
  if (out.host.empty()) return Status::invalid("action endpoint '" + std::string(url) + "' has no host");
  return out;
}

namespace {

using Done = std::function<void(Result<json::value>)>;

class CallOp : public std::enable_shared_from_this<CallOp> {
 public:
  CallOp(asio::any_io_executor executor, dialogue::ActionRequest request, Done done,
         const HttpActionClientOptions& options)
      : strand_(asio::make_strand(executor)),
        resolver_(strand_),
        stream_(strand_),
        deadline_(strand_),
        request_(std::move(request)),
        done_(std::move(done)) {
    parser_.body_limit(options.max_response_bytes);
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->do_start(); });
  }

 private:
  void do_start() {
    auto url = parse_http_url(request_.url);
    if (!url.ok()) return finish(Status::unavailable(url.status().message()));
    url_ = std::move(url).value();

    req_.method(http::verb::post);
    req_.target(url_.target);
    req_.version(11);
    req_.set(http::field::host, url_.host + ":" + url_.port);
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

  void on_deadline() {
    timed_out_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ec, "resolve");
    stream_.async_connect(results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail(ec, "connect");
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    if (ec) return fail(ec, "write");
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail(ec, "read");
    const auto& res = parser_.get();
    unsigned status = res.result_int();
    const std::string& body = res.body();
    if (status == 400)
      return finish(Status::invalid("action server rejected '" + request_.action + "': " + snippet(body)));
    if (status < 200 || status > 299)
      return finish(Status::io_error("action server answered HTTP " + std::to_string(status) + " for '" +
                                     request_.action + "': " + snippet(body)));
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return finish(json::value(json::object()));
    beast::error_code jec;
    json::value v = json::parse(body, jec);
    if (jec) return finish(Status::io_error("action server answered with bad JSON for '" + request_.action +
                                            "': " + jec.message()));
    finish(std::move(v));
  }

  void fail(beast::error_code ec, const char* step) {
    if (timed_out_)
      return finish(Status::timeout("action '" + request_.action + "' timed out after " +
                                    std::to_string(request_.timeout.count()) + " ms (" + request_.url + ")"));
    std::string what = std::string(step) + " " + request_.url + ": " + ec.message();
    if (ec == http::error::body_limit) return finish(Status::io_error("action server answer too large: " + what));
    if (std::string_view(step) == "resolve" || std::string_view(step) == "connect")
      return finish(Status::unavailable("action server unreachable: " + what));
    finish(Status::io_error("action server call failed: " + what));
  }

  void finish(Result<json::value> result) {
    if (!done_) return;
    Done done = std::move(done_);
    done_ = nullptr;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
    done(std::move(result));
  }

  static std::string snippet(const std::string& body) {
    return body.size() <= 300 ? body : body.substr(0, 300) + "...";
  }

  asio::strand<asio::any_io_executor> strand_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer deadline_;
  dialogue::ActionRequest request_;
  Done done_;
  HttpUrl url_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
};

class AsyncHttpActionClient : public dialogue::AsyncActionClient {
 public:
  AsyncHttpActionClient(asio::any_io_executor executor, HttpActionClientOptions options)
      : executor_(std::move(executor)), options_(options) {}

  void call(dialogue::ActionRequest request, std::function<void(Result<json::value>)> done) override {
    std::make_shared<CallOp>(executor_, std::move(request), std::move(done), options_)->start();
  }

 private:
  asio::any_io_executor executor_;
  HttpActionClientOptions options_;
};

// The blocking client runs the asynchronous one on a private io_context per call.
class BlockingHttpActionClient : public dialogue::ActionClient {
 public:
  Result<json::value> call(const dialogue::ActionRequest& request) override {
    asio::io_context ioc;
    std::optional<Result<json::value>> out;
    AsyncHttpActionClient client(ioc.get_executor(), {});
    client.call(request, [&out](Result<json::value> r) { out.emplace(std::move(r)); });
    ioc.run();
    if (!out) return Status::internal("action call ended without a result");
    return std::move(*out);
  }
};

}  // namespace

std::shared_ptr<dialogue::AsyncActionClient> make_async_http_action_client(asio::any_io_executor executor,
                                                                          HttpActionClientOptions options) {
  return std::make_shared<AsyncHttpActionClient>(std::move(executor), options);
}

}  // namespace parley::channels

namespace parley::dialogue {

std::unique_ptr<ActionClient> make_http_action_client() {
  return std::make_unique<channels::BlockingHttpActionClient>();
}

}  // namespace parley::dialogue
