// The blocking append, on top of every store's asynchronous one.
#include "store/conversation_store.h"

#include <future>

namespace parley::store {

Status ConversationStore::append_if_version(const ConversationKey& key, TurnRecord turn) {
  std::promise<Status> promise;
  auto result = promise.get_future();
  append_if_version_async(key, std::move(turn), [&promise](Status s) { promise.set_value(std::move(s)); });
  return result.get();
}

}  // namespace parley::store
