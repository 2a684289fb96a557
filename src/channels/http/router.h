// The HTTP API's route table and the checks every route shares: Host, CORS (and preflights),
// Origin, the credential (auth.h), the JSON content type, the ids in the path and the bot they
// name, and 405/404 for the rest. A route group (native/, rasa_rest/, admin/) adds its routes;
// a handler gets the request with its target parsed once and what the path named.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/http/auth.h"
#include "channels/http/browser.h"
#include "channels/http/http_errors.h"
#include "channels/http/message_body.h"
#include "channels/http/target.h"
#include "ops/metrics.h"

namespace parley::channels {

// What the path named: "{bot}", "{conv}", "{sink}" (bot: the only bot served on a single_bot route).
struct RouteParams {
  std::string bot;
  std::string conv;
  std::string sink;
};

// What a handler gets. The references live as long as the handler call.
struct RouteCall {
  const Request& request;
  const Target& target;
  RouteParams params;
  Identity who;  // what the credential proved
};

using Respond = std::function<void(Response)>;
using Handler = std::function<void(RouteCall& call, Respond respond)>;

struct Route {
  http::verb method;
  std::vector<std::string_view> pattern;  // literal segments; "{bot}", "{conv}", "{sink}" match any
  Access access;                          // the credential the route needs (auth.h)
  bool json_body = false;                 // reads a JSON body: its Content-Type is checked
  bool single_bot = false;                // a Rasa path without {bot}: the only bot served
  bool blocking = false;                  // may block (the store, the relay): runs on the blocking pool
  bool served_bot = true;                 // {bot} must be served (404 unknown_bot); false: reload
  Handler handler;
};

struct RouterOptions {
  size_t max_id_bytes = MessageLimits{}.max_id_bytes;  // bot names and conversation ids in the path
  std::shared_ptr<const Authorizer> auth;  // null: every route open
  CorsPolicy cors;
  HostPolicy hosts;
};

// The error response, counted in the metrics (and logged when it is a 5xx).
Response error_reply(ops::ServerMetrics& metrics, const ApiError& e);
// The error as JSON text (WebSocket replies), counted in the metrics.
std::string error_reply_text(ops::ServerMetrics& metrics, const ApiError& e);

// Thread-safe once its routes are added: handle() may run on any number of threads.
class Router {
 public:
  struct Bots {
    std::function<bool(std::string_view)> served;                  // whether a bot is served
    std::function<std::optional<std::string>(ApiError*)> only_one;  // the only bot, or the error to answer
  };
  // Blocking routes run on `blocking` (a small pool that is not the server's I/O threads).
  Router(RouterOptions options, ops::ServerMetrics& metrics, Bots bots, boost::asio::any_io_executor blocking);

  // Before the first handle(). A path may have one route per method.
  void add(Route route);

  // Answers one request; `respond` is called exactly once, on any thread, possibly before
  // handle() returns. The response's version and keep-alive are the caller's to set.
  void handle(Request request, Respond respond) const;

  Identity identify(const Request& request, const Target& target, const std::string& bot) const;
  std::optional<ApiError> authorize(const Identity& who, Access access, const std::string& bot,
                                    const std::string* conversation) const;
  bool served(std::string_view bot) const { return bots_.served(bot); }
  const RouterOptions& options() const { return options_; }
  Response error(const ApiError& e) const { return error_reply(metrics_, e); }

 private:
  const Route* match(const Target& target, http::verb method, RouteParams* params, std::string* allow) const;
  std::optional<ApiError> check(const Route& route, const Request& request, RouteParams& params) const;
  void run(const Route& route, Request request, Target target, RouteParams params, Identity who,
           Respond respond) const;

  RouterOptions options_;
  ops::ServerMetrics& metrics_;
  Bots bots_;
  boost::asio::any_io_executor blocking_;
  std::vector<Route> routes_;
};

}  // namespace parley::channels
