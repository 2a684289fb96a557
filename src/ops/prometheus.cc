// Prometheus text format writer and histogram.
#include "ops/prometheus.h"

#include <cmath>
#include <cstdio>

namespace parley::ops {

namespace {
std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
}  // namespace

std::string prom_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void PromWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PromWriter::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += prom_escape(v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void render_histogram(PromWriter& w, std::string_view name, const Histogram& h, const Labels& labels) {
  std::string bucket = std::string(name) + "_bucket";
  const auto& bounds = h.bounds();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.bucket(i);
    Labels l = labels;
    l.emplace_back("le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
    w.sample(bucket, l, static_cast<double>(cumulative));
  }
  w.sample(std::string(name) + "_sum", labels, h.sum());
  w.sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

}  // namespace parley::ops
