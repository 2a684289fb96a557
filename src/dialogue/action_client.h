// The seam to custom actions: Rasa's action-server protocol (POST {next_action, sender_id,
// tracker, domain, version} to the action endpoint; the answer holds events and responses).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace parley::dialogue {

// A call the dialogue needs made: the turn pauses until its result is given back.
struct ActionRequest {
  std::string action;                  // name of the custom action
  std::string url;                     // the bot's action_endpoint
  json::object payload;                // the request body
  std::chrono::milliseconds timeout{5000};
};

// Blocking client, for the CLI and tests (actions/http_action_client.h makes the HTTP one). The
// server uses its own asynchronous client and the same request and response shapes.
class ActionClient {
 public:
  virtual ~ActionClient() = default;
  // Returns the parsed JSON body of a 2xx answer, or a Status naming what went wrong
  // (connection refused, timeout, HTTP status with the server's error text, bad JSON).
  virtual Result<json::value> call(const ActionRequest& request) = 0;
};

// Asynchronous client, for the server: `done` is called exactly once, on any thread, with the
// parsed JSON body of a 2xx answer or a Status (timeout, refused, HTTP error, bad JSON).
class AsyncActionClient {
 public:
  virtual ~AsyncActionClient() = default;
  virtual void call(ActionRequest request, std::function<void(Result<json::value>)> done) = 0;
};

}  // namespace parley::dialogue
