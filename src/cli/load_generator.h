// The load generator behind `parley bench`: keep-alive HTTP/1.1 (native or Rasa REST route) or
// WebSocket connections, each walking a scripted conversation and starting a new conversation after
// each lap. Closed loop (fixed concurrency) or open loop (fixed arrival rate, latency measured from
// the scheduled send time so a slow server cannot hide its queueing: no coordinated omission).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/histogram.h"
#include "core/status.h"

namespace parley::cli {

struct BenchTurn {
  std::string text;
  std::vector<std::string> expect;  // the reply texts, in order; empty = not checked
};

struct BenchOptions {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string bot = "pizza";
  std::string route = "native";     // native | rasa | ws
  std::vector<BenchTurn> script;
  int connections = 32;
  double rate = 0;                  // total turns/s for the open loop; 0 = closed loop
  double duration_s = 10;
  double warmup_s = 1;              // turns in the warm-up are not measured
  int threads = 1;                  // load generator threads
  bool progress = false;            // progress bar on stderr
  std::string run_id;               // prefix of conversation ids (random when empty)
  std::string token;                // sent as Authorization: Bearer when set (a server with credentials)
};

struct BenchResult {
  uint64_t turns = 0;         // measured turns answered and checked
  uint64_t errors = 0;        // transport errors and non-2xx answers
  uint64_t mismatches = 0;    // answers whose texts differ from the script
  uint64_t laps = 0;          // whole conversations completed
  double seconds = 0;         // measured time
  Histogram latency;          // microseconds
  std::string first_problem;  // the first error or mismatch, for the report
  double turns_per_second() const { return seconds > 0 ? turns / seconds : 0; }
};

Result<BenchResult> run_load(const BenchOptions& options);

// The reference four-turn pizza order (shared/peers/README.md) with its expected replies.
std::vector<BenchTurn> pizza_script();
// Reads a script: a YAML list of {text, expect} (expect: a string or a list), or a Rasa test-story
// file (the user texts of its first story; replies not checked).
Result<std::vector<BenchTurn>> load_script(const std::string& path);

}  // namespace parley::cli
