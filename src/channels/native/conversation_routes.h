// The native REST channel: a message to a conversation, the conversation's view, its event records.
//   POST /v1/bots/{bot}/conversations/{conv}/messages  {"id","text"} -> {"conversation","turn","messages"}
//   GET  /v1/bots/{bot}/conversations/{conv}            native tracker view
//   GET  /v1/bots/{bot}/conversations/{conv}/events     event records (?after=SEQ&limit=N)
#pragma once

#include "channels/admin/admin.h"
#include "channels/http/router.h"
#include "channels/http/submit.h"

namespace parley::channels {

// {"conversation", "turn", "messages", "replayed" (only when true)}: the native reply shape.
json::object native_reply(const runtime::MessageReply& reply);

// The views read the store: they run on the router's blocking pool. The arguments outlive the router.
void add_conversation_routes(Router& router, Submitter& submitter, Admin& admin, unsigned retry_after_s);

}  // namespace parley::channels
