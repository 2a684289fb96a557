// Load generation with Asio coroutines: one coroutine per connection.
#include "cli/load_generator.h"

#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <yaml-cpp/yaml.h>

#include "core/json.h"
#include "core/yaml_file.h"

namespace parley::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::vector<BenchTurn> pizza_script() {
  return {{"hi", {"Hi! What is your name?"}},
          {"Alice", {"Nice to meet you, Alice. Which size: small, medium or large?"}},
          {"large", {"A large pizza for Alice. Confirm? (yes/no)"}},
          {"yes", {"Order placed. Bye!"}}};
}

Result<std::vector<BenchTurn>> load_script(const std::string& path) {
  std::vector<BenchTurn> out;
  Status read = read_yaml_file(path, [&out](const YAML::Node& root, const std::string&) {
    if (root.IsSequence()) {
      for (const auto& item : root) {
        BenchTurn t;
        t.text = item["text"].as<std::string>();
        if (auto e = item["expect"]) {
          if (e.IsSequence())
            for (const auto& x : e) t.expect.push_back(x.as<std::string>());
          else
            t.expect.push_back(e.as<std::string>());
        }
        out.push_back(std::move(t));
      }
    } else if (root["stories"] && root["stories"].IsSequence() && root["stories"].size() > 0) {
      for (const auto& step : root["stories"][0]["steps"]) {
        if (!step["user"]) continue;
        std::string text = step["user"].as<std::string>();
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        out.push_back({text, {}});
      }
    }
    return Status::ok();
  });
  if (!read) return read;
  if (out.empty()) return Status::invalid(path + ": no turns found (a list of {text, expect} or a test-story file)");
  return out;
}

namespace {

struct Shared {
  const BenchOptions& opt;
  tcp::endpoint endpoint;
  Clock::time_point start{}, measure_from{}, stop_at{};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done_turns{0}, done_errors{0};
  std::vector<BenchResult> per_connection{};  // each written only by its own coroutine

  BenchResult total() const {
    BenchResult t;
    for (const auto& r : per_connection) {
      t.turns += r.turns;
      t.errors += r.errors;
      t.mismatches += r.mismatches;
      t.laps += r.laps;
      t.latency.merge(r.latency);
      if (t.first_problem.empty()) t.first_problem = r.first_problem;
    }
    return t;
  }
};

std::string request_body(const BenchOptions& o, const std::string& conv, const std::string& id,
                         const std::string& text) {
  json::object body;
  if (o.route == "rasa") {
    body["sender"] = conv;
    body["message"] = text;
    body["message_id"] = id;
  } else {
    if (o.route == "ws") body["conversation"] = conv;
    body["id"] = id;
    body["text"] = text;
  }
  return json::serialize(body);
}

// The reply texts, or an error message.
bool reply_texts(const std::string& route, const std::string& body, std::vector<std::string>& out,
                 std::string& problem) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    problem = "reply is not JSON: " + body.substr(0, 200);
    return false;
  }
  const json::array* messages = nullptr;
  if (route == "rasa" && v.is_array()) {
    messages = &v.as_array();
  } else if (v.is_object()) {
    if (auto m = json_get(v.as_object(), "messages"); m && m->is_array()) messages = &m->as_array();
  }
  if (!messages) {
    problem = "unexpected reply: " + body.substr(0, 200);
    return false;
  }
  for (const auto& m : *messages)
    if (m.is_object())
      if (auto t = json_str(m.as_object(), "text")) out.emplace_back(*t);
  return true;
}

// One connection of the load: plain HTTP, or a WebSocket when ws is set.
struct Link {
  explicit Link(const asio::any_io_executor& ex) : stream(ex) {}
  beast::tcp_stream stream;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
};

// What one message got back.
struct Exchange {
  boost::system::error_code ec;  // transport error: the connection is gone
  unsigned status = 200;
  std::string reply;
  bool closed = false;  // the server answered with Connection: close
};

// Connects (and for the ws route upgrades); false after an error, counted and noted in `r`.
asio::awaitable<bool> open_link(const Shared& sh, Link& link, BenchResult& r) {
  const BenchOptions& o = sh.opt;
  auto [cec] = co_await link.stream.async_connect(sh.endpoint, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    ++r.errors;
    if (r.first_problem.empty()) r.first_problem = "connect: " + cec.message();
    co_return false;
  }
  link.stream.socket().set_option(tcp::no_delay(true));
  if (o.route != "ws") co_return true;
  link.ws = std::make_unique<websocket::stream<beast::tcp_stream>>(std::move(link.stream));
  if (!o.token.empty())
    link.ws->set_option(websocket::stream_base::decorator([token = o.token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
    }));
  auto [hec] = co_await link.ws->async_handshake(o.host + ":" + o.port, "/v1/bots/" + o.bot + "/ws",
                                                  asio::as_tuple(asio::use_awaitable));
  if (hec) {
    ++r.errors;
    if (r.first_problem.empty()) r.first_problem = "websocket handshake: " + hec.message();
    co_return false;
  }
  co_return true;
}

// Sends one message of conversation `conv` and reads its reply.
asio::awaitable<Exchange> exchange(const BenchOptions& o, Link& link, const std::string& conv, std::string body) {
  Exchange x;
  if (link.ws) {
    std::tie(x.ec, std::ignore) = co_await link.ws->async_write(asio::buffer(body), asio::as_tuple(asio::use_awaitable));
    if (!x.ec) {
      link.buffer.clear();
      std::tie(x.ec, std::ignore) = co_await link.ws->async_read(link.buffer, asio::as_tuple(asio::use_awaitable));
      x.reply = beast::buffers_to_string(link.buffer.data());
    }
    co_return x;
  }
  std::string target = o.route == "rasa" ? "/bots/" + o.bot + "/webhooks/rest/webhook"
                                         : "/v1/bots/" + o.bot + "/conversations/" + conv + "/messages";
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, o.host);
  req.set(http::field::content_type, "application/json");
  if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  std::tie(x.ec, std::ignore) = co_await http::async_write(link.stream, req, asio::as_tuple(asio::use_awaitable));
  if (!x.ec) {
    http::response<http::string_body> res;
    std::tie(x.ec, std::ignore) =
        co_await http::async_read(link.stream, link.buffer, res, asio::as_tuple(asio::use_awaitable));
    x.status = res.result_int();
    x.reply = std::move(res.body());
    x.closed = !x.ec && !res.keep_alive();
  }
  co_return x;
}

// Counts a reply that arrived (HTTP error, unexpected texts, or a measured turn) into `r`.
void record_reply(Shared& sh, BenchResult& r, const BenchTurn& t, const Exchange& x, bool measured,
                  Clock::duration latency) {
  if (x.status / 100 != 2) {
    if (measured) ++r.errors;
    if (r.first_problem.empty()) r.first_problem = "HTTP " + std::to_string(x.status) + ": " + x.reply.substr(0, 200);
    sh.done_errors++;
    return;
  }
  std::vector<std::string> texts;
  std::string problem;
  if (!reply_texts(sh.opt.route, x.reply, texts, problem) || (!t.expect.empty() && texts != t.expect)) {
    if (measured) ++r.mismatches;
    if (r.first_problem.empty()) {
      if (problem.empty()) {
        problem = "turn \"" + t.text + "\": expected";
        for (const auto& e : t.expect) problem += " \"" + e + "\"";
        problem += ", got";
        for (const auto& s : texts) problem += " \"" + s + "\"";
      }
      r.first_problem = problem;
    }
  }
  if (measured) {
    ++r.turns;
    r.latency.record(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  }
  sh.done_turns++;
}

// One client: runs the script over and over, a new conversation per lap, reconnecting after an
// error. Closed loop (the next message once the reply is in), or open loop at o.rate messages/s
// over all connections (latency then counts from the scheduled send time).
asio::awaitable<void> connection(Shared& sh, int index) {
  const BenchOptions& o = sh.opt;
  auto ex = co_await asio::this_coro::executor;
  BenchResult& r = sh.per_connection[index];
  const auto interval = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(o.connections / o.rate))
                                   : Clock::duration::zero();
  // Spread the open-loop schedule of the connections over one interval.
  Clock::time_point next = sh.start + interval * index / std::max(1, o.connections);
  asio::steady_timer timer(ex);
  uint64_t lap = 0, msg = 0;
  size_t turn = 0;
  while (!sh.stop) {
    Link link(ex);
    if (!co_await open_link(sh, link, r)) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    bool broken = false;
    while (!sh.stop && !broken) {
      Clock::time_point sent = Clock::now();
      if (o.rate > 0) {
        if (next > sent) {
          timer.expires_at(next);
          co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        sent = next;
        next += interval;
      }
      if (sh.stop) break;
      const BenchTurn& t = o.script[turn];
      std::string conv = o.run_id + "-c" + std::to_string(index) + "-" + std::to_string(lap);
      std::string id = "m" + std::to_string(++msg);
      Exchange x = co_await exchange(o, link, conv, request_body(o, conv, id, t.text));
      broken = x.closed;
      Clock::time_point got = Clock::now();
      bool measured = got >= sh.measure_from && got <= sh.stop_at;
      if (x.ec) {
        broken = true;
        if (sh.stop) break;
        if (measured) ++r.errors;
        if (r.first_problem.empty()) r.first_problem = "transport: " + x.ec.message();
        sh.done_errors++;
        continue;
      }
      record_reply(sh, r, t, x, measured, got - sent);
      if (++turn == o.script.size()) {
        turn = 0;
        ++lap;
        if (measured) ++r.laps;
      }
    }
  }
}

}  // namespace

Result<BenchResult> run_load(const BenchOptions& o) {
  if (o.script.empty()) return Status::invalid("the script has no turns");
  if (o.connections < 1) return Status::invalid("--connections must be at least 1");
  if (o.route != "native" && o.route != "rasa" && o.route != "ws")
    return Status::invalid("--route must be native, rasa or ws");
  BenchOptions opts = o;
  if (opts.run_id.empty()) {
    std::random_device rd;
    opts.run_id = "bench" + std::to_string(rd() % 1000000);
  }
  tcp::endpoint endpoint;
  {
    asio::io_context resolve_io;
    tcp::resolver resolver(resolve_io);
    boost::system::error_code ec;
    auto results = resolver.resolve(o.host, o.port, ec);
    if (ec || results.empty()) return Status::invalid("cannot resolve " + o.host + ":" + o.port + ": " + ec.message());
    endpoint = *results.begin();
  }
  // `sh` outlives `io`, whose destructor destroys the suspended connection coroutines.
  Shared sh{opts, endpoint};
  sh.per_connection.resize(opts.connections);
  asio::io_context io(opts.threads);
  sh.start = Clock::now();
  sh.measure_from = sh.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.warmup_s));
  sh.stop_at = sh.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.duration_s));
  for (int i = 0; i < opts.connections; ++i) asio::co_spawn(io, connection(sh, i), asio::detached);

  asio::steady_timer ticker(io);
  std::function<void(boost::system::error_code)> tick = [&](boost::system::error_code) {
    auto now = Clock::now();
    if (opts.progress) {
      double total = opts.warmup_s + opts.duration_s;
      double el = std::chrono::duration<double>(now - sh.start).count();
      int width = 30, filled = static_cast<int>(std::min(1.0, el / total) * width);
      std::fprintf(stderr, "\r[%s%s] %5.1fs/%.0fs  %8lu turns  %lu errors ", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), el, total,
                   static_cast<unsigned long>(sh.done_turns.load()), static_cast<unsigned long>(sh.done_errors.load()));
    }
    if (now >= sh.stop_at) {
      sh.stop = true;
      if (opts.progress) std::fprintf(stderr, "\n");
      // Close every connection: stopping the context ends the coroutines at their next wait.
      io.stop();
      return;
    }
    ticker.expires_after(std::chrono::milliseconds(opts.progress ? 250 : 50));
    ticker.async_wait(tick);
  };
  ticker.expires_after(std::chrono::milliseconds(50));
  ticker.async_wait(tick);

  std::vector<std::thread> threads;
  for (int i = 1; i < opts.threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  BenchResult out = sh.total();
  out.seconds = opts.duration_s;
  return out;
}

}  // namespace parley::cli
