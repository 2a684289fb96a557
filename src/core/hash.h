// FNV-1a over bytes, 64-bit: the one byte hash of the dialogue features, the CRF's attribute keys,
// the response seeds and the Redis cluster partitions. Its values are part of formats (the
// features and attribute keys are in every trained model, the partitions in every Redis key), so
// they must never change; tests/core/hash_test.cc pins them.
#pragma once

#include <cstdint>
#include <string_view>

namespace parley {

// Not the published offset basis (14695981039346656037): Parley's has lost its last digit since
// its first trained model. Every stored value was made with this one, so it stays.
inline constexpr uint64_t kFnvOffset = 1469598103934665603ull;
inline constexpr uint64_t kFnvPrime = 1099511628211ull;

// The hash `h` extended by one byte.
constexpr uint64_t fnv1a_byte(uint64_t h, unsigned char c) { return (h ^ c) * kFnvPrime; }

// The hash `h` extended by the bytes of `s`; from the offset basis by default.
constexpr uint64_t fnv1a(std::string_view s, uint64_t h = kFnvOffset) {
  for (char c : s) h = fnv1a_byte(h, static_cast<unsigned char>(c));
  return h;
}

}  // namespace parley
