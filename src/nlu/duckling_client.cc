// One Duckling call: resolve, connect, write, read on the client's thread, one deadline timer for
// all of it; the caller waits on a condition variable until the answer or the deadline.
#include "nlu/duckling_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace parley::nlu {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What the caller waits on; shared by the caller and the call, either may go first.
struct DucklingOutcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::string>> result;

  void set(Result<std::string> r) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (result) return;
      result.emplace(std::move(r));
    }
    cv.notify_all();
  }
};

class DucklingExchange : public std::enable_shared_from_this<DucklingExchange> {
 public:
  DucklingExchange(asio::io_context& ioc, const HttpUrl& url, std::string form, size_t max_bytes,
           DucklingHttpClient::Clock::time_point deadline, std::shared_ptr<DucklingOutcome> outcome)
      : resolver_(ioc), stream_(ioc), timer_(ioc, deadline), url_(url), outcome_(std::move(outcome)) {
    parser_.body_limit(max_bytes);
    req_.method(http::verb::post);
    req_.target(url_.target);
    req_.version(11);
    req_.set(http::field::host, url_.host_header());
    req_.set(http::field::content_type, "application/x-www-form-urlencoded; charset=UTF-8");
    req_.set(http::field::user_agent, "parley");
    req_.keep_alive(false);
    req_.body() = std::move(form);
    req_.prepare_payload();
  }

  void start() {
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_deadline();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->fail(ec, "resolve");
                              self->stream_.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
                                if (ec) return self->fail(ec, "connect");
                                self->write();
                              });
                            });
  }

 private:
  void write() {
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail(ec, "write");
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec, size_t) { self->on_read(ec); });
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail(ec, "read");
    const auto& res = parser_.get();
    if (res.result_int() != 200) {
      std::string body = res.body().substr(0, 200);
      return finish(Status::io_error("Duckling answered HTTP " + std::to_string(res.result_int()) + ": " + body));
    }
    finish(std::string(res.body()));
  }

  void on_deadline() {
    timed_out_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
    finish(Status::timeout("Duckling did not answer in time"));
  }

  void fail(beast::error_code ec, const char* step) {
    if (timed_out_) return;
    std::string what = std::string(step) + " " + url_.host_header() + ": " + ec.message();
    if (std::string_view(step) == "resolve" || std::string_view(step) == "connect")
      return finish(Status::unavailable("Duckling unreachable: " + what));
    finish(Status::io_error("Duckling call failed: " + what));
  }

  void finish(Result<std::string> r) {
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
    outcome_->set(std::move(r));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  HttpUrl url_;
  std::shared_ptr<DucklingOutcome> outcome_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
};

}  // namespace

DucklingHttpClient::DucklingHttpClient(HttpUrl url, size_t max_response_bytes)
    : url_(std::move(url)), max_response_bytes_(max_response_bytes), work_(asio::make_work_guard(ioc_)) {
  thread_ = std::thread([this] { ioc_.run(); });
}

DucklingHttpClient::~DucklingHttpClient() {
  work_.reset();
  ioc_.stop();
  thread_.join();
}

Result<std::string> DucklingHttpClient::post_form(std::string form, Clock::time_point deadline) {
  auto outcome = std::make_shared<DucklingOutcome>();
  asio::post(ioc_, [this, form = std::move(form), deadline, outcome]() mutable {
    std::make_shared<DucklingExchange>(ioc_, url_, std::move(form), max_response_bytes_, deadline, outcome)->start();
  });
  std::unique_lock<std::mutex> lock(outcome->mu);
  // The exchange ends itself at the deadline; the caller does not wait for that to be noticed.
  if (!outcome->cv.wait_until(lock, deadline, [&] { return outcome->result.has_value(); }))
    return Status::timeout("Duckling did not answer in time");
  return std::move(*outcome->result);
}

}  // namespace parley::nlu
