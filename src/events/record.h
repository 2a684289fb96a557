// The event record every sink receives and the events route lists (shared/ARCHITECTURE.md, G6):
//   {"id": UUID, "type", "bot", "conversation", "seq", "turn", "ts", "data"}
// `seq` is the event's 1-based position in its conversation (gapless), `turn` the conversation's
// 1-based turn, `ts` the event time (Unix seconds), `data` the Rasa event JSON. The id is a
// name-based UUID (version 5) of bot, conversation and seq, so the outbox record and the listed
// event carry the same id and a receiver can deduplicate by it. A record longer than the cap gets
// `"truncated": true` and `data` = {"event", "original_bytes", "preview"}, so it fits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::events {

struct RecordHeader {
  std::string_view bot;
  std::string_view conversation;
  uint64_t seq = 0;
  uint64_t turn = 0;
  double ts = 0;
  std::string_view type;  // event_type(rasa name)
};

// The smallest cap that still leaves room for a preview.
inline constexpr size_t kMinEventBytes = 1024;

// Appends the record for an event whose Rasa JSON is `data`; at most max_bytes long (when
// max_bytes >= kMinEventBytes and the ids are shorter than it).
void append_event_record(std::string& out, const RecordHeader& h, std::string_view data, size_t max_bytes);

// What a reader of the outbox needs from a record, without parsing its data.
struct ParsedHeader {
  std::string id;
  std::string type;
  std::string bot;
  std::string conversation;
  double ts = 0;
};

// Reads the header of a record append_event_record wrote; nullopt when `record` is not an event
// record. Only the header is parsed: every field above comes before "data" (append_header writes
// them first), and the header's strings cannot hold the bytes ,"data": (their quotes are escaped),
// so its first occurrence is the data key.
std::optional<ParsedHeader> parse_record_header(std::string_view record);

// The event id: UUID v5 in Parley's namespace of "bot\0conversation\0seq".
std::string event_id(std::string_view bot, std::string_view conversation, uint64_t seq);

// The record type of a Rasa event name: the name itself, except parley_error -> error.
std::string_view event_type(std::string_view rasa_event_name);

}  // namespace parley::events
