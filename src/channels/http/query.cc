// Query parameter parsing for the listing routes.
#include "channels/http/query.h"

#include <algorithm>
#include <charconv>

namespace parley::channels {

std::optional<uint64_t> query_number(const Target& target, const std::string& name, std::optional<ApiError>& bad) {
  auto it = target.query.find(name);
  if (it == target.query.end()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (it->second.empty() || ec != std::errc() || end != it->second.data() + it->second.size()) {
    bad = ApiError{400, "bad_query", name + " must be a non-negative integer, not '" + it->second + "'"};
    return std::nullopt;
  }
  return v;
}

std::optional<ApiError> parse_page(const Target& target, Page& page, uint64_t default_limit, uint64_t max_limit) {
  std::optional<ApiError> bad;
  page.after = query_number(target, "after", bad).value_or(0);
  page.limit = std::min<uint64_t>(query_number(target, "limit", bad).value_or(default_limit), max_limit);
  return bad;
}

}  // namespace parley::channels
