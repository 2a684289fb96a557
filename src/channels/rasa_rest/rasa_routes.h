// Rasa's REST channel (shared/rasa/COMPAT.md), with the bot in the path or, when one bot is served,
// without it (/webhooks/rest/webhook, /webhooks/rest, /conversations/{conv}/tracker):
//   POST /bots/{bot}/webhooks/rest/webhook         {"sender","message"}; ?stream=true for NDJSON
//   GET  /bots/{bot}/webhooks/rest                 {"status":"ok"}
//   GET  /bots/{bot}/conversations/{conv}/tracker  Rasa tracker (?include_events=)
#pragma once

#include "channels/admin/admin.h"
#include "channels/http/router.h"
#include "channels/http/submit.h"

namespace parley::channels {

// The tracker reads the store: it runs on the router's blocking pool. The arguments outlive the router.
void add_rasa_routes(Router& router, Submitter& submitter, Admin& admin, unsigned retry_after_s);

}  // namespace parley::channels
