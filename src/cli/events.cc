// `parley events`: the event pipeline's admin operations against a running server (its admin
// HTTP routes, channels/api.h), so they work while the server holds the store:
//   parley events sinks                                   state, cursor, lag and counts per sink
//   parley events dead-letters --sink NAME [--limit N]    the sink's dead letters, one JSON per line
//   parley events replay --sink NAME --dead-letters       send them again
//   parley events replay --sink NAME --from SEQ-or-TIME   deliver again from an outbox position or
//                                                         a time (Unix seconds or ISO 8601 UTC)
// With credentials configured on the server, --token (or PARLEY_AUTH_TOKEN) is sent as
// Authorization: Bearer.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>

#include "cli/commands.h"
#include "core/host_port.h"
#include "core/json.h"

namespace parley::cli {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct EventsArgs {
  std::string server = "127.0.0.1:8080";
  std::string token;  // an admin credential: the auth token or an admin JWT
  std::string sink;
  bool dead_letters = false;
  std::string from;
  uint64_t limit = 1000;
};

// One request to the server; prints transport errors and returns status 0 for them.
std::pair<unsigned, std::string> call(const EventsArgs& a, http::verb method, const std::string& target,
                                      const std::string& body = {}) {
  const std::string& server = a.server;
  std::string host;
  uint16_t port = 0;
  if (Status s = split_host_port(server, &host, &port); !s) {
    std::cerr << "parley events: --server: " << s.message() << "\n";
    return {0, {}};
  }
  try {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::resolver(ioc).resolve(host, std::to_string(port)));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host);
    if (!a.token.empty()) req.set(http::field::authorization, "Bearer " + a.token);
    if (method == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {res.result_int(), res.body()};
  } catch (const std::exception& e) {
    std::cerr << "parley events: cannot reach the server at " << server << ": " << e.what() << "\n";
    return {0, {}};
  }
}

int report(unsigned status, const std::string& body) {
  if (status == 0) return 1;
  if (status >= 300) {
    std::cerr << "parley events: HTTP " << status << ": " << body << "\n";
    return 1;
  }
  return 0;
}

int run_sinks(const EventsArgs& a) {
  auto [status, body] = call(a, http::verb::get, "/v1/events/sinks");
  if (int rc = report(status, body)) return rc;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return 1;
  for (const auto& s : v.at("sinks").as_array()) std::cout << json::serialize(s) << "\n";
  if (v.at("sinks").as_array().empty()) std::cout << "no event sinks configured\n";
  return 0;
}

int run_dead_letters(const EventsArgs& a) {
  auto [status, body] = call(a, http::verb::get,
                             "/v1/events/sinks/" + a.sink + "/dead-letters?limit=" + std::to_string(a.limit));
  if (int rc = report(status, body)) return rc;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return 1;
  const auto& dead = v.at("dead_letters").as_array();
  for (const auto& d : dead) std::cout << json::serialize(d) << "\n";
  std::cerr << dead.size() << " dead letters in sink '" << a.sink << "'\n";
  return 0;
}

int run_replay(const EventsArgs& a) {
  json::object req;
  if (a.dead_letters == !a.from.empty()) {
    std::cerr << "parley events replay: give exactly one of --dead-letters and --from\n";
    return 2;
  }
  if (a.dead_letters) {
    req["dead_letters"] = true;
  } else {
    // A plain non-negative integer is an outbox position; anything else a time.
    bool digits = a.from.find_first_not_of("0123456789") == std::string::npos;
    if (digits) req["from"] = std::stoull(a.from);
    else if (a.from.find_first_not_of("0123456789.") == std::string::npos) req["from_time"] = std::stod(a.from);
    else req["from_time"] = a.from;
  }
  auto [status, body] = call(a, http::verb::post, "/v1/events/sinks/" + a.sink + "/replay", json::serialize(req));
  if (int rc = report(status, body)) return rc;
  std::cout << body << "\n";
  return 0;
}

}  // namespace

void register_events(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("events", "Event pipeline admin: sinks, dead letters, replay (talks to a running server)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<EventsArgs>();
  if (const char* token = std::getenv("PARLEY_AUTH_TOKEN")) args->token = token;
  auto server_opt = [&](CLI::App* sub) {
    sub->add_option("--server", args->server, "HOST:PORT of the running server")->capture_default_str();
    sub->add_option("--token", args->token, "admin credential sent as Authorization: Bearer (env PARLEY_AUTH_TOKEN)");
  };
  auto* sinks = cmd->add_subcommand("sinks", "Each sink's breaker, cursor, lag and counts");
  server_opt(sinks);
  sinks->callback([args, exit_code] { *exit_code = run_sinks(*args); });

  auto* dead = cmd->add_subcommand("dead-letters", "List a sink's dead letters (one JSON per line)");
  server_opt(dead);
  dead->add_option("--sink", args->sink, "sink name")->required();
  dead->add_option("--limit", args->limit, "at most this many")->capture_default_str();
  dead->callback([args, exit_code] { *exit_code = run_dead_letters(*args); });

  auto* replay = cmd->add_subcommand("replay", "Send a sink's dead letters, or everything from a position or time, again");
  server_opt(replay);
  replay->add_option("--sink", args->sink, "sink name")->required();
  replay->add_flag("--dead-letters", args->dead_letters, "re-send the dead letters");
  replay->add_option("--from", args->from, "outbox position, Unix seconds or ISO 8601 UTC time");
  replay->callback([args, exit_code] { *exit_code = run_replay(*args); });
}

}  // namespace parley::cli
