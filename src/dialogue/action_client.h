// The seam to custom actions: Rasa's action-server protocol (POST {next_action, sender_id,
// tracker, domain, version} to the action endpoint; the answer holds events and responses).
#pragma once

#include <chrono>
#include <cstdint>
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

// How a custom action call ended.
enum class ActionOutcome : uint8_t {
  kOk,        // a 2xx answer with a JSON body
  kRejected,  // HTTP 400: the action server refused to run it (Rasa's ActionExecutionRejection)
  kFailed,    // refused, unreachable, another HTTP status, bad JSON, no client or endpoint
  kTimedOut,  // no answer before the call's deadline
};

// The result of a call: the body when it succeeded, what went wrong otherwise.
struct ActionReply {
  ActionOutcome outcome = ActionOutcome::kFailed;
  json::value body;  // kOk: the parsed body ({} for an empty one)
  Status error;      // otherwise: what went wrong; its text goes into the turn's events

  static ActionReply ok(json::value body) { return {ActionOutcome::kOk, std::move(body), Status::ok()}; }
  static ActionReply rejected(Status why) { return {ActionOutcome::kRejected, nullptr, std::move(why)}; }
  static ActionReply failed(Status why) { return {ActionOutcome::kFailed, nullptr, std::move(why)}; }
  static ActionReply timed_out(Status why) { return {ActionOutcome::kTimedOut, nullptr, std::move(why)}; }
  bool is_ok() const { return outcome == ActionOutcome::kOk; }
};

// Blocking client, for the CLI and tests (actions/http_action_client.h makes the HTTP one). The
// server uses its own asynchronous client and the same request and response shapes.
class ActionClient {
 public:
  virtual ~ActionClient() = default;
  // Returns the reply: the parsed JSON body of a 2xx answer, or the outcome and a Status naming
  // what went wrong (HTTP 400, connection refused, timeout, another HTTP status with the server's
  // error text, bad JSON).
  virtual ActionReply call(const ActionRequest& request) = 0;
};

// Asynchronous client, for the server: `done` is called exactly once, on any thread, with the
// reply (as ActionClient::call returns it).
class AsyncActionClient {
 public:
  virtual ~AsyncActionClient() = default;
  virtual void call(ActionRequest request, std::function<void(ActionReply)> done) = 0;
};

}  // namespace parley::dialogue
