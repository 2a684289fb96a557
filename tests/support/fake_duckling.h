// Test helper: a fake Duckling server on 127.0.0.1 (a free port). It records each request (target,
// content type, the decoded form fields) and answers with `answer`, after `delay` when set.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback_server.h"

namespace parley::testing {

class FakeDuckling {
 public:
  struct Request {
    std::string method, target, content_type;
    std::map<std::string, std::string> form;
  };

  explicit FakeDuckling(std::string answer, unsigned status = 200)
      : answer_(std::move(answer)), status_(status), server_(0, [this](boost::asio::ip::tcp::socket& s) { serve(s); }) {}

  uint16_t port() const { return server_.port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  void set_delay(std::chrono::milliseconds d) { delay_ms_ = d.count(); }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  static std::string decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out.push_back(' ');
      } else if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  }

  void serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.content_type = std::string(req[http::field::content_type]);
    std::string_view body = req.body();
    while (!body.empty()) {
      size_t amp = body.find('&');
      std::string_view pair = body.substr(0, amp);
      size_t eq = pair.find('=');
      r.form[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
      body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(std::move(r));
    }
    // A slow server: sleeps in small steps so that stop() is not held up.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms_.load());
    while (std::chrono::steady_clock::now() < until && !server_.stopping())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    http::response<http::string_body> res{static_cast<http::status>(status_), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    res.body() = answer_;
    res.prepare_payload();
    http::write(socket, res, ec);
  }

  std::string answer_;
  unsigned status_;
  std::atomic<int64_t> delay_ms_{0};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  LoopbackServer server_;  // last: its threads stop before the members above go
};

}  // namespace parley::testing
