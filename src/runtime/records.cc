// Serializing a turn for the store without serializing anything twice.
#include "runtime/records.h"

#include "events/record.h"


namespace parley::runtime {

store::TurnRecord make_turn_record(const TurnOutput& out) {
  store::TurnRecord rec;
  rec.expected_version = out.start_version;
  rec.events.reserve(out.events.size());
  if (out.max_event_bytes > 0) rec.outbox.reserve(out.events.size());
  uint64_t seq = out.start_version;
  for (const auto& e : out.events) {
    std::string text;
    dialogue::append_event_json(text, e);
    if (out.max_event_bytes > 0) {
      std::string record;
      record.reserve(text.size() + out.key.bot.size() + out.key.conversation.size() + 160);
      events::append_event_record(record,
                                  {out.key.bot, out.key.conversation, ++seq, out.turn, e.timestamp,
                                   events::event_type(dialogue::event_type_name(e.type))},
                                  text, out.max_event_bytes);
      rec.outbox.push_back(std::move(record));
    }
    rec.events.push_back(std::move(text));
  }
  if (!out.message_id.empty()) {
    rec.message_id = out.message_id;
    rec.reply = serialize_reply(out.reply);
  }
  return rec;
}

std::string serialize_reply(const MessageReply& reply) {
  json::array messages;
  messages.reserve(reply.messages.size());
  for (const auto& m : reply.messages) messages.push_back(m.to_json());
  return json::serialize(json::object{
      {"conversation", reply.conversation}, {"turn", reply.turn}, {"messages", std::move(messages)}});
}

Result<MessageReply> parse_reply(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status(Code::kCorruption, "stored reply is not a JSON object");
  const auto& o = v.get_object();
  MessageReply r;
  if (auto c = json_str(o, "conversation")) r.conversation = *c;
  if (auto t = json_get(o, "turn"); t && t->is_number()) {
    boost::system::error_code nec;
    r.turn = t->to_number<uint64_t>(nec);
  }
  if (auto m = json_get(o, "messages"); m && m->is_array())
    for (const auto& item : m->get_array())
      if (item.is_object()) r.messages.push_back(dialogue::BotMessage::from_json(item.get_object()));
  r.replayed = true;
  return r;
}

}  // namespace parley::runtime
