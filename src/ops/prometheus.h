// Prometheus text exposition (format 0.0.4): a writer for families and samples, and the rendering
// of parley::Histogram (core/histogram.h, the project's one histogram type). /metrics is built with these.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/histogram.h"

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

// Writes name_bucket{le=...}, name_sum and name_count samples of `h` (the family line is the
// caller's).
void render_histogram(PromWriter& w, std::string_view name, const Histogram& h, const Labels& labels = {});

}  // namespace parley::ops
