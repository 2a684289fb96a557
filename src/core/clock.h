// The clocks Parley reads: wall time for what is stored or compared with other machines (event
// timestamps, JWT expiry, sink lag), the steady clock for durations measured in this process.
#pragma once

#include <chrono>
#include <cstdint>

namespace parley {

// Seconds since the Unix epoch, truncated to microseconds (Rasa's event timestamps).
inline double unix_seconds() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) / 1e6;
}

// Whole seconds since the Unix epoch (JWT exp/nbf).
inline int64_t unix_time() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// Seconds elapsed on the steady clock since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace parley
