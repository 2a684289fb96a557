// Rendering JSON values as template text.
#include "core/json.h"

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

}  // namespace parley
