// The operations of support/client.h's clients, for support/client.cc to instantiate once per
// transport (a test includes client.h only).
#pragma once

#include "support/client.h"

namespace parley::testing {

template <class Transport>
bool BasicHttpClient<Transport>::connect() {
  transport_.emplace(stream_, ioc_);
  buffer_.clear();
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  beast::error_code ec = run_one_operation(ioc_, [this](auto handler) {
    beast::get_lowest_layer(*stream_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                    std::move(handler));
  });
  connect_error_ = ec ? "connect: " + ec.message() : transport_.handshake(*stream_, ioc_);
  connected_ = connect_error_.empty();
  return connected_;
}

template <class Transport>
HttpResult BasicHttpClient<Transport>::request(http::verb method, const std::string& target,
                                                const std::string& body,
                                                const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult out;
  if (!connected_ && !connect()) {
    out.error = connect_error_;
    return out;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == http::verb::post) {
    if (req.find(http::field::content_type) == req.end()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  beast::error_code ec =
      run_one_operation(ioc_, [&](auto handler) { http::async_write(*stream_, req, std::move(handler)); });
  if (!ec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    ec = run_one_operation(ioc_, [&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); });
    if (!ec) {
      auto& res = parser.get();
      out.status = res.result_int();
      out.body = res.body();
      out.keep_alive = res.keep_alive();
      for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
      }
    }
  }
  if (ec) {
    out.error = ec.message();
    connected_ = false;
  } else if (!out.keep_alive) {
    connected_ = false;
  }
  return out;
}

template <class Transport>
bool BasicHttpClient<Transport>::send_raw(const std::string& bytes) {
  if (!connected_ && !connect()) return false;
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  return !run_one_operation(ioc_, [&](auto handler) { asio::async_write(*stream_, asio::buffer(bytes), std::move(handler)); });
}

template <class Transport>
std::string BasicHttpClient<Transport>::read_raw(std::chrono::milliseconds wait, bool* closed) {
  std::string got = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  *closed = false;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::array<char, 4096> buf;
    size_t n = 0;
    beast::get_lowest_layer(*stream_).expires_at(deadline);
    beast::error_code ec = run_one_operation(ioc_, [&](auto handler) {
      stream_->async_read_some(asio::buffer(buf), [&n, handler = std::move(handler)](beast::error_code e, size_t k) mutable {
        n = k;
        handler(e);
      });
    });
    got.append(buf.data(), n);
    if (ec == beast::error::timeout) break;
    if (ec) {
      *closed = true;
      connected_ = false;
      break;
    }
  }
  return got;
}

template <class Transport>
std::string BasicWsClient<Transport>::connect(const std::string& target,
                                              const std::vector<std::pair<std::string, std::string>>& headers) {
  transport_.emplace(ws_, ioc_);
  beast::get_lowest_layer(*ws_).expires_after(timeout_);
  beast::error_code ec = run_one_operation(ioc_, [this](auto handler) {
    beast::get_lowest_layer(*ws_).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                                std::move(handler));
  });
  if (ec) return "connect: " + ec.message();
  if (std::string e = transport_.handshake(ws_->next_layer(), ioc_); !e.empty()) return e;
  ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  ec = run_one_operation(ioc_, [&](auto handler) { ws_->async_handshake("127.0.0.1", target, std::move(handler)); });
  if (ec) return "handshake: " + ec.message();
  beast::get_lowest_layer(*ws_).expires_never();
  return {};
}

template <class Transport>
bool BasicWsClient<Transport>::send(const std::string& text) {
  ws_->text(true);
  arm();
  beast::error_code ec =
      run_one_operation(ioc_, [&](auto handler) { ws_->async_write(asio::buffer(text), std::move(handler)); });
  if (ec) error_ = "write: " + ec.message();
  return !ec;
}

template <class Transport>
std::optional<std::string> BasicWsClient<Transport>::receive() {
  beast::flat_buffer buf;
  arm();
  beast::error_code ec = run_one_operation(ioc_, [&](auto handler) { ws_->async_read(buf, std::move(handler)); });
  if (ec) {
    error_ = "read: " + ec.message();
    return std::nullopt;
  }
  return beast::buffers_to_string(buf.data());
}

template <class Transport>
void BasicWsClient<Transport>::arm() {
  websocket::stream_base::timeout t;
  t.handshake_timeout = timeout_;
  t.idle_timeout = timeout_;
  t.keep_alive_pings = false;
  ws_->set_option(t);
}

}  // namespace parley::testing
