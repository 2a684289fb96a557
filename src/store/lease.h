// Conversation leases, for replicas that share a store (G1 across processes): at most one holder
// per conversation at a time, with a fencing token that the append checks (TurnRecord::fence), so
// a replica whose lease lapsed cannot write. A store that one process owns (RocksDB) has none
// (ConversationStore::leases() returns nullptr). Implementations: store/redis/.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/status.h"

namespace parley::store {

struct ConversationKey;

class ConversationLeases {
 public:
  virtual ~ConversationLeases() = default;

  // A token (> 0, increasing) valid for `ttl`; kConflict while another holder has it, kIOError or
  // kUnavailable when the store cannot answer. `held`: a token this caller holds already (it is
  // renewed for a whole ttl and returned).
  // Blocking: one round trip to the store; call it on a turn thread, never on an I/O thread.
  virtual Result<uint64_t> acquire_lease(const ConversationKey& key, std::chrono::milliseconds ttl,
                                         uint64_t held) = 0;
  // Gives the lease back early (after a failed turn). An error only means that it lasts until its
  // ttl. Blocking: one round trip to the store.
  virtual Status release_lease(const ConversationKey& key, uint64_t token) = 0;
};

}  // namespace parley::store
