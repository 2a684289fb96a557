// Test helper: polls a condition until it holds or a time limit passes (for asynchronous effects:
// deliveries, takeovers, recovery). Returns the condition's last value.
#pragma once

#include <chrono>
#include <thread>

namespace parley::testing {

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20),
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

}  // namespace parley::testing
