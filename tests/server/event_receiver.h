// An HTTP event receiver for the event pipeline tests: accepts POSTed JSON arrays of event
// records on loopback (a LoopbackServer: a thread per connection) and, as told, answers 200,
// fails with 500, answers late, or hangs (never answers). It keeps every record it acknowledged,
// deduplicated by id, and counts the deliveries.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "support/loopback_server.h"

namespace parley::testing {

class EventReceiver {
 public:
  enum class Mode { kOk, kChaos, kHang };

  // Listens on `port` (0: any free port).
  explicit EventReceiver(uint16_t port = 0) : server_(port, [this](boost::asio::ip::tcp::socket& s) { serve(s); }) {}
  ~EventReceiver() { stop(); }

  uint16_t port() const { return server_.port(); }
  void set_mode(Mode m) { mode_ = m; }

  void stop() { server_.stop(); }

  // id -> record, as acknowledged (the last copy of each).
  std::map<std::string, boost::json::value> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // How many of the records `listed` (id -> record) were never acknowledged.
  template <typename Map>
  size_t missing(const Map& listed) const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& entry : listed) n += events_.count(entry.first) ? 0 : 1;
    return n;
  }
  size_t unique() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }
  size_t received() const { return received_.load(); }  // acknowledged records, duplicates included
  size_t requests() const { return requests_.load(); }

 private:
  void serve(boost::asio::ip::tcp::socket& s) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    std::mt19937_64 rng(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    while (!server_.stopping()) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      boost::system::error_code ec;
      http::read(s, buf, parser, ec);
      if (ec) return;
      ++requests_;
      Mode mode = mode_;
      int roll = std::uniform_int_distribution<int>(0, 99)(rng);
      if (mode == Mode::kHang || (mode == Mode::kChaos && roll < 10)) {
        // Never answer: wait until the sender gives up (closes) or the test ends.
        for (int i = 0; i < 300 && !server_.stopping(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          if (mode_ == Mode::kOk && mode == Mode::kHang) break;
        }
        return;
      }
      http::response<http::string_body> res{http::status::ok, 11};
      if (mode == Mode::kChaos && roll < 30) {
        res.result(http::status::internal_server_error);
      } else {
        if (mode == Mode::kChaos && roll < 40) std::this_thread::sleep_for(std::chrono::milliseconds(400));  // late
        boost::json::value body = boost::json::parse(parser.get().body(), ec);
        if (ec || !body.is_array()) {
          res.result(http::status::bad_request);
        } else {
          std::lock_guard<std::mutex> lock(mu_);
          for (auto& e : body.as_array()) {
            events_[std::string(e.at("id").as_string())] = e;
            ++received_;
          }
        }
      }
      res.keep_alive(true);
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec) return;
    }
  }

  std::atomic<Mode> mode_{Mode::kOk};
  mutable std::mutex mu_;
  std::map<std::string, boost::json::value> events_;
  std::atomic<size_t> received_{0};
  std::atomic<size_t> requests_{0};
  LoopbackServer server_;  // last: it serves with the members above, and stops before they go
};

}  // namespace parley::testing
