// Prometheus text exposition (format 0.0.4): a writer for families and samples, and a
// lock-free fixed-bucket histogram. Used by /metrics for the server's and the engine's numbers.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::ops {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PromWriter {
 public:
  // Starts a family: "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Label values escaped as the format requires (backslash, quote, newline).
std::string prom_escape(std::string_view value);

// Cumulative histogram with fixed upper bounds (seconds, bytes, counts...). observe() is
// wait-free; render() reads a consistent-enough snapshot (counters only grow).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;
  // Writes name_bucket{le=...}, name_sum and name_count samples (the family line is the caller's).
  void render(PromWriter& w, std::string_view name, const Labels& labels = {}) const;

  // 0.0005 s .. 10 s, for turn and request latencies.
  static std::vector<double> latency_bounds();

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // one per bound, plus +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};          // sum in millionths, to stay atomic
};

}  // namespace parley::ops
