// JSON is Boost.JSON throughout; these helpers read optional fields without exceptions.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace parley {
namespace json = boost::json;

// The string at obj[key], or nullopt when missing or not a string.
inline std::optional<std::string_view> json_str(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return std::nullopt;
  return std::string_view(it->value().get_string());
}

// obj[key] or nullptr when missing.
inline const json::value* json_get(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &it->value();
}

// A value as the text Rasa would print in a template: strings as they are, null as "None",
// booleans as "True"/"False", numbers without a trailing ".0" when integral.
std::string json_to_display(const json::value& v);

// Writers that append JSON text to `out` without building a DOM first (hot paths: stored
// events). Strings are escaped as RFC 8259 requires; doubles use the shortest text that reads
// back to the same value ("1" for 1.0); values are written as json::serialize writes them.
// JSON has no NaN or infinity (Boost.JSON parses "1e999" as infinity): those are written as null.
void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double d);
void append_json_value(std::string& out, const json::value& v);

}  // namespace parley
