// Rendering JSON values as template text.
#include "core/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace parley {

std::string json_to_display(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "None";
    case json::kind::bool_: return v.get_bool() ? "True" : "False";
    case json::kind::string: return std::string(v.get_string());
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: {
      double d = v.get_double();
      char buf[64];
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15)
        std::snprintf(buf, sizeof buf, "%.1f", d);
      else
        std::snprintf(buf, sizeof buf, "%g", d);
      return buf;
    }
    default: return json::serialize(v);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_number(std::string& out, double d) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

namespace {

// Boost.JSON parses a number too large for a double ("1e999") as infinity and writes it back as
// `Infinity`, which is not JSON: such values are written as null, as append_json_number does.
bool has_non_finite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return !std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& x : v.get_array())
        if (has_non_finite(x)) return true;
      return false;
    case json::kind::object:
      for (const auto& kv : v.get_object())
        if (has_non_finite(kv.value())) return true;
      return false;
    default: return false;
  }
}

void null_non_finite(json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      if (!std::isfinite(v.get_double())) v = nullptr;
      break;
    case json::kind::array:
      for (auto& x : v.get_array()) null_non_finite(x);
      break;
    case json::kind::object:
      for (auto& kv : v.get_object()) null_non_finite(kv.value());
      break;
    default: break;
  }
}

void append_serialized(std::string& out, const json::value& v) {
  json::serializer sr;
  sr.reset(&v);
  char buf[1024];
  while (!sr.done()) out.append(sr.read(buf));
}

}  // namespace

void append_json_value(std::string& out, const json::value& v) {
  if (!has_non_finite(v)) return append_serialized(out, v);
  json::value finite = v;
  null_non_finite(finite);
  append_serialized(out, finite);
}

}  // namespace parley
