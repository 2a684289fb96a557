// Query parameters the routes share: unsigned numbers, and one page of a listing (?after=&limit=).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "channels/http/http_errors.h"
#include "channels/http/target.h"

namespace parley::channels {

// ?name=N as an unsigned number: nullopt when absent; when not a number, nullopt and `bad` set
// (400 bad_query).
std::optional<uint64_t> query_number(const Target& target, const std::string& name, std::optional<ApiError>& bad);

// ?after=POSITION&limit=N: after defaults to 0, limit to `default_limit` and is cut to `max_limit`.
struct Page {
  uint64_t after = 0;
  uint64_t limit = 0;
};
// The page, or the 400 bad_query to answer (naming limit when both are bad).
std::optional<ApiError> parse_page(const Target& target, Page& page, uint64_t default_limit = 1000,
                                   uint64_t max_limit = 10000);

}  // namespace parley::channels
