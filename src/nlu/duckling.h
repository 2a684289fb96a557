// Rasa's DucklingEntityExtractor: with a url, a Duckling server asked over HTTP exactly as Rasa
// asks it, its answer turned into entities as Rasa turns it; without one, the dimensions that
// need no model (email, url, phone-number, number, ordinal, amount-of-money) found by Parley
// itself, in Duckling's dim names and value shapes.
//
// Guarantee G5 (a slow or dead dependency never stalls other conversations): NLU runs on the
// engine's turn threads, so a Duckling call blocks one of them. The wait is bounded twice: by
// `timeout` (Rasa's default, 3 s) and by half of what is left of the turn's compute budget
// (core/budget.h; turn_budget_ms, 1 s by default), so that a slow Duckling costs the message its
// Duckling entities, never the turn. A circuit breaker opens on a failed call (refused, timed
// out, an HTTP error, an answer that is not Duckling's): for `breaker_open` no call is made, then
// one probe is; a dead server thus costs at most one timeout per interval. Failures are logged,
// never returned: the turn goes on without those entities, as in Rasa. The HTTP exchange itself
// runs on the extractor's own I/O thread, so that even a hanging DNS lookup holds no turn thread
// past the deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "nlu/nlu.h"
#include "project/project.h"

namespace parley::nlu {

struct DucklingOptions {
  std::string url;                           // "" = built-in extraction
  std::vector<std::string> dimensions;       // entities of other dims are dropped (when set)
  bool dimensions_set = false;
  std::string locale, timezone;              // "" = not sent
  std::chrono::milliseconds timeout{3000};   // the longest one call waits (Rasa's `timeout`)
  std::chrono::milliseconds breaker_open{30000};  // after a failed call, no call for this long
  size_t max_response_bytes = 1u << 20;      // a larger answer is a failed call
};

DucklingOptions duckling_options(const project::DucklingConfig& config);

// The form Rasa posts to {url}/parse: text, locale and tz (when set), dims as Python's
// json.dumps writes the list (or "null": every dimension), reftime in milliseconds.
std::string duckling_request_body(std::string_view text, const DucklingOptions& options, int64_t reftime_ms);

// Duckling's answer (a JSON array of matches) as Rasa's entities: entity = dim, start, end, text
// (`body`), value (the match's value.value, or {"to", "from"} of an interval), confidence 1,
// additional_info = the match's whole value, extractor "DucklingEntityExtractor"; only the
// configured dimensions. kInvalidArgument when `answer` is not an array of matches.
Result<std::vector<Entity>> duckling_entities(const json::value& answer, const DucklingOptions& options);

// The built-in dimensions in `text` (byte offsets), limited to the configured ones, in text order.
std::vector<Entity> builtin_duckling_entities(std::string_view text, const DucklingOptions& options);

// Counters of the HTTP calls, for tests and logs.
struct DucklingStats {
  uint64_t calls = 0;     // requests sent
  uint64_t failures = 0;  // calls that gave no answer (each opens the breaker)
  uint64_t skipped = 0;   // messages parsed without a call: breaker open, or no budget left
};

class DucklingExtractor {
 public:
  // With options.url: a client with its own I/O thread (joined by the destructor).
  explicit DucklingExtractor(DucklingOptions options);
  ~DucklingExtractor();
  DucklingExtractor(const DucklingExtractor&) = delete;
  DucklingExtractor& operator=(const DucklingExtractor&) = delete;

  // The entities of `text`. Thread-safe. Blocks only with a url, for at most the bound above.
  std::vector<Entity> extract(std::string_view text) const;
  // Whether `number` entities come from here (Parley's own number extractor then stays quiet).
  bool extracts(std::string_view dim) const;
  DucklingStats stats() const;

 private:
  class Client;
  DucklingOptions options_;
  std::unique_ptr<Client> client_;
};

}  // namespace parley::nlu
