// Request targets split into percent-decoded path segments and query parameters, for routing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::channels {

struct Target {
  std::vector<std::string> segments;  // "/v1/bots/x/" -> {"v1", "bots", "x"} (a trailing slash is ignored)
  std::map<std::string, std::string, std::less<>> query;
  bool has_empty_segment = false;     // "//" inside the path; such paths match no route
};

// nullopt when the target is not origin-form ("/...") or has a bad %-escape.
std::optional<Target> parse_target(std::string_view target);

// %XX decoding; in queries '+' is a space. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

}  // namespace parley::channels
