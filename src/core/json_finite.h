// JSON has no infinity or NaN, but Boost.JSON reads a number too large for a double ("1e999") as
// infinity, and would write it back as the non-JSON `Infinity`. Input from outside (request
// bodies, action server replies) is checked with this and refused, so that no such value reaches
// a tracker, a reply or a sink (stored events also write one as null: core/json.h).
#pragma once

#include <cmath>

#include "core/json.h"

namespace parley {

// False when a number in `v` is infinite or NaN (Boost.JSON limits nesting, so recursion is
// bounded).
inline bool all_numbers_finite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& item : v.get_array())
        if (!all_numbers_finite(item)) return false;
      return true;
    case json::kind::object:
      for (const auto& kv : v.get_object())
        if (!all_numbers_finite(kv.value())) return false;
      return true;
    default:
      return true;
  }
}

}  // namespace parley
