// The event relay's administration routes (events/relay.h):
//   GET  /v1/events/sinks                      each sink's state, cursor, lag, counts
//   GET  /v1/events/sinks/{sink}/dead-letters  ?after=POSITION&limit=N
//   POST /v1/events/sinks/{sink}/replay        {"dead_letters": true} | {"from": POSITION}
//                                              | {"from_time": UNIX-SECONDS or ISO 8601}
#pragma once

#include "channels/http/router.h"

namespace parley::events {
class Relay;
}

namespace parley::channels {

// `relay` may be null (no sinks: an empty list, 404 unknown_sink); it outlives the router. Each
// route reads the outbox: they run on the router's blocking pool.
void add_event_routes(Router& router, events::Relay* relay, unsigned retry_after_s);

}  // namespace parley::channels
