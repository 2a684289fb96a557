// Helpers of the event pipeline's server tests: an HTTP sink's configuration and the events the
// conversations list through the events route (what every sink must end up with).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "support/client.h"

namespace parley::testing {

// One entry of `events: sinks:` in parley.yml: an HTTP sink to 127.0.0.1:port; `extra` adds lines.
inline std::string http_sink(const std::string& name, uint16_t port, const std::string& extra = {}) {
  return "    - name: " + name + "\n      type: http\n      url: http://127.0.0.1:" + std::to_string(port) +
         "/events\n      batch: 50\n      timeout_ms: 300\n" + extra;
}

// Every event the echo bot's conversations list (GET .../events, all pages), id -> record.
inline std::map<std::string, boost::json::value> listed_events(uint16_t port,
                                                               const std::vector<std::string>& conversations) {
  std::map<std::string, boost::json::value> out;
  HttpClient c(port);
  for (const auto& conv : conversations) {
    uint64_t after = 0;
    while (true) {
      auto r = c.get("/v1/bots/echo/conversations/" + conv + "/events?after=" + std::to_string(after) + "&limit=500");
      EXPECT_EQ(r.status, 200u) << r.body;
      if (r.status != 200) break;
      auto v = r.json();
      auto& events = v.at("events").as_array();
      for (auto& e : events) out[std::string(e.at("id").as_string())] = e;
      if (events.empty()) break;
      after = v.at("next_after").to_number<uint64_t>();
    }
  }
  return out;
}

}  // namespace parley::testing
