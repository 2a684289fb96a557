// HTTP clients for custom actions (Rasa's action-server protocol) over Boost.Beast: the
// asynchronous one the server uses, and the blocking make_http_action_client() the CLI uses.
// Both implement the seam in dialogue/action_client.h.
//
// Each call opens one connection (loopback action servers make that cheap), sends
// `POST url` with the JSON payload and reads one answer. Every call has a deadline
// (ActionRequest::timeout) that covers resolve, connect, TLS handshake, write and read. An
// https:// URL is called over TLS 1.2+, the server's certificate verified (chain and name) against
// the client's CA file or the system's store; a failed verification is Code::kUnavailable.
//
// Replies (dialogue::ActionReply), as TurnRunner::resume expects them:
//   2xx with a JSON body        -> kOk with the parsed body (an empty body is `{}`)
//   HTTP 400                    -> kRejected, Code::kInvalidArgument (Rasa's ActionExecutionRejection)
//   any other non-2xx           -> kFailed, Code::kIOError naming the status and the server's text
//   refused / unreachable       -> kFailed, Code::kUnavailable
//   deadline passed             -> kTimedOut, Code::kTimeout
//   bad URL, TLS failure        -> kFailed, Code::kUnavailable (the action cannot be reached)
//   2xx with a body that is not JSON -> kFailed, Code::kIOError
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "dialogue/action_client.h"

namespace parley::actions {

struct HttpActionClientOptions {
  size_t max_response_bytes = 8u << 20;  // larger answers fail with kIOError
  std::string ca_file;                   // PEM CAs for https action servers; "" = the system's store
};

// Calls run on `executor` (the server's pool); `done` is called exactly once, on a pool thread.
// Thread-safe: call() may be used from any thread. kInvalidArgument when the CA file cannot be read.
Result<std::shared_ptr<dialogue::AsyncActionClient>> make_async_http_action_client(
    boost::asio::any_io_executor executor, HttpActionClientOptions options = {});

// The blocking client (for the CLI and tests): each call runs the asynchronous client on a private
// io_context, the system's CAs verifying https action servers.
std::unique_ptr<dialogue::ActionClient> make_http_action_client();

}  // namespace parley::actions
