// Test helper of the store tests: a TurnRecord from its parts.
#pragma once

#include <string>
#include <vector>

#include "store/conversation_store.h"

namespace parley::testing {

inline store::TurnRecord turn(uint64_t expected, std::vector<std::string> events, std::string message_id = {},
                              std::string reply = {}, std::vector<std::string> outbox = {}) {
  store::TurnRecord t;
  t.expected_version = expected;
  t.events = std::move(events);
  t.message_id = std::move(message_id);
  t.reply = std::move(reply);
  t.outbox = std::move(outbox);
  return t;
}

}  // namespace parley::testing
