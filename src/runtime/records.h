// What a turn writes to the store, as text: its events (Rasa event JSON, dialogue::to_json),
// one outbox record per event, the dedup record (the serialized reply) and, every few turns, a
// tracker snapshot. Each event is serialized once; its outbox record embeds that same text.
//
// Outbox records: events/record.h (one per event; none when the server has no event sink).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dialogue/event.h"
#include "runtime/engine.h"
#include "store/conversation_store.h"

namespace parley::runtime {

struct TurnOutput {
  const store::ConversationKey& key;
  uint64_t start_version;                       // events before the turn
  uint64_t turn;                                // this turn's number (1-based)
  const std::vector<dialogue::Event>& events;   // the turn's new events, in order
  const std::string& message_id;                // "" = no dedup record
  const MessageReply& reply;
  size_t max_event_bytes = 0;                   // 0 = write no outbox records; else their size cap
};

store::TurnRecord make_turn_record(const TurnOutput& out);

// The reply as stored in the dedup record: {"conversation", "turn", "messages": [native]}.
std::string serialize_reply(const MessageReply& reply);
Result<MessageReply> parse_reply(std::string_view text);

}  // namespace parley::runtime
