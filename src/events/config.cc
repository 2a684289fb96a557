#include "events/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/http_url.h"
#include "core/yaml_file.h"
#include "events/record.h"

namespace parley::events {

const std::vector<std::string>& event_type_names() {
  static const std::vector<std::string> names = {
      "user",    "bot",  "action", "slot",   "active_loop", "session_started", "restart", "followup",
      "rewind",  "undo", "action_execution_rejected", "loop_interrupted", "error", "action_call"};
  return names;
}

namespace {

struct Reader {
  std::string origin;

  std::string where(const YAML::Node& n) const { return origin + ":" + std::to_string(n.Mark().line + 1); }

  Status bad(const YAML::Node& n, const std::string& what) const { return Status::invalid(where(n) + ": " + what); }

  template <typename T>
  Status number(const YAML::Node& n, const std::string& key, T& out, double min, double max) const {
    if (!n.IsScalar()) return bad(n, "'" + key + "' needs a number");
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      return bad(n, "'" + key + "' needs a number, not '" + n.Scalar() + "'");
    }
    if (!std::isfinite(v) || v < min || v > max)
      return bad(n, "'" + key + "' must be between " + std::to_string(static_cast<long long>(min)) + " and " +
                        std::to_string(static_cast<long long>(max)));
    out = static_cast<T>(v);
    return Status::ok();
  }

  Status text(const YAML::Node& n, const std::string& key, std::string& out) const {
    if (!n.IsScalar()) return bad(n, "'" + key + "' needs a single value");
    out = n.Scalar();
    return Status::ok();
  }

  Status boolean(const YAML::Node& n, const std::string& key, bool& out) const {
    try {
      out = n.as<bool>();
    } catch (const YAML::Exception&) {
      return bad(n, "'" + key + "' needs true or false");
    }
    return Status::ok();
  }

  Status retry(const YAML::Node& node, RetryConfig& r) const {
    if (!node.IsMap()) return bad(node, "'retry' needs a mapping {max_attempts, base_ms, max_ms}");
    for (const auto& kv : node) {
      std::string k = kv.first.Scalar();
      Status s = k == "max_attempts" ? number(kv.second, k, r.max_attempts, 1, 1000)
                 : k == "base_ms"    ? number(kv.second, k, r.base_ms, 1, 3600000)
                 : k == "max_ms"     ? number(kv.second, k, r.max_ms, 1, 86400000)
                                     : bad(kv.first, "unknown retry setting '" + k + "'");
      if (!s) return s;
    }
    if (r.max_ms < r.base_ms) return bad(node, "retry max_ms is below base_ms");
    return Status::ok();
  }

  Status breaker(const YAML::Node& node, BreakerConfig& b) const {
    if (!node.IsMap()) return bad(node, "'breaker' needs a mapping {failure_ratio, window, open_ms}");
    for (const auto& kv : node) {
      std::string k = kv.first.Scalar();
      Status s = k == "failure_ratio" ? number(kv.second, k, b.failure_ratio, 0, 1)
                 : k == "window"      ? number(kv.second, k, b.window, 1, 10000)
                 : k == "open_ms"     ? number(kv.second, k, b.open_ms, 1, 86400000)
                                      : bad(kv.first, "unknown breaker setting '" + k + "'");
      if (!s) return s;
    }
    if (b.failure_ratio <= 0) return bad(node, "breaker failure_ratio must be above 0");
    return Status::ok();
  }

  Status sink(const YAML::Node& node, SinkConfig& c) const {
    if (!node.IsMap()) return bad(node, "each sink needs a mapping with name and type");
    for (const auto& kv : node) {
      std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      Status s;
      if (k == "name") s = text(v, k, c.name);
      else if (k == "type") s = text(v, k, c.type);
      else if (k == "path") s = text(v, k, c.path);
      else if (k == "max_file_bytes") s = number(v, k, c.max_file_bytes, 4096, 1e15);
      else if (k == "max_files") s = number(v, k, c.max_files, 1, 1000);
      else if (k == "fsync") s = boolean(v, k, c.fsync);
      else if (k == "url") s = text(v, k, c.url);
      else if (k == "hmac_secret") s = text(v, k, c.hmac_secret);
      else if (k == "ca_file") s = text(v, k, c.ca_file);
      else if (k == "brokers") s = text(v, k, c.brokers);
      else if (k == "topic" || k == "subject") s = text(v, k, c.topic);
      else if (k == "stream") s = text(v, k, c.stream);
      else if (k == "batch") s = number(v, k, c.batch, 1, 10000);
      else if (k == "timeout_ms") {
        if (v.IsScalar() && v.Scalar() == "auto") c.timeout_ms = 0;
        else s = number(v, k, c.timeout_ms, 1, 3600000);
      } else if (k == "max_in_flight") s = number(v, k, c.max_in_flight, 1, 256);
      else if (k == "window_bytes") s = number(v, k, c.window_bytes, 65536, 1e12);
      else if (k == "retry") s = retry(v, c.retry);
      else if (k == "breaker") s = breaker(v, c.breaker);
      else if (k == "types") {
        if (!v.IsSequence()) return bad(v, "'types' needs a list of event types");
        for (const auto& t : v) {
          const auto& names = event_type_names();
          if (!t.IsScalar() || std::find(names.begin(), names.end(), t.Scalar()) == names.end())
            return bad(t, "unknown event type '" + (t.IsScalar() ? t.Scalar() : std::string("?")) + "'");
          c.types.push_back(t.Scalar());
        }
      } else {
        return bad(kv.first, "unknown sink setting '" + k + "'");
      }
      if (!s) return s;
    }
    if (c.name.empty()) return bad(node, "a sink needs a name");
    if (c.name.find_first_of("/ \t") != std::string::npos) return bad(node, "sink name '" + c.name + "' has a space or '/'");
    if (c.type == "file") {
      if (c.path.empty()) return bad(node, "file sink '" + c.name + "' needs a path");
    } else if (c.type == "http") {
      if (c.url.empty()) return bad(node, "http sink '" + c.name + "' needs url: http(s)://host:port/path");
      if (auto u = parse_http_url(c.url, "http sink '" + c.name + "' url"); !u.ok())
        return bad(node, u.status().message());
    } else if (c.type == "kafka") {
      if (c.brokers.empty()) return bad(node, "kafka sink '" + c.name + "' needs brokers");
    } else if (c.type == "nats") {
      if (c.url.empty()) c.url = "nats://127.0.0.1:4222";
    } else {
      return bad(node, "sink '" + c.name + "': type must be file, http, kafka or nats, not '" + c.type + "'");
    }
    return Status::ok();
  }

  Status events(const YAML::Node& node, EventsConfig& out) const {
    if (!node.IsMap()) return bad(node, "'events' needs a mapping {max_event_bytes, sinks}");
    for (const auto& kv : node) {
      std::string k = kv.first.Scalar();
      Status s;
      if (k == "max_event_bytes") s = number(kv.second, k, out.max_event_bytes, kMinEventBytes, 64 << 20);
      else if (k == "retain_acknowledged_s") s = number(kv.second, k, out.retain_acknowledged_s, 0, 1e9);
      else if (k == "relay_claim_ms") s = number(kv.second, k, out.relay_claim_ms, 300, 3600000);
      else if (k == "sinks") {
        if (!kv.second.IsSequence()) return bad(kv.second, "'sinks' needs a list");
        std::set<std::string> names;
        for (const auto& n : kv.second) {
          SinkConfig c;
          if (Status st = sink(n, c); !st) return st;
          if (!names.insert(c.name).second) return bad(n, "two sinks are named '" + c.name + "'");
          out.sinks.push_back(std::move(c));
        }
      } else {
        return bad(kv.first, "unknown events setting '" + k + "'");
      }
      if (!s) return s;
    }
    return Status::ok();
  }
};

Status from_root(const YAML::Node& root, const std::string& origin, EventsConfig& out) {
  if (!root.IsMap()) return Status::ok();  // the serve settings reader reports the shape
  const YAML::Node node = root["events"];
  if (!node) return Status::ok();
  return Reader{origin}.events(node, out);
}

}  // namespace

Status load_events_config(const std::string& path, EventsConfig& out) {
  return read_yaml_file(path, [&out](const YAML::Node& root, const std::string& origin) { return from_root(root, origin, out); });
}

Status parse_events_config(const std::string& yaml_text, const std::string& origin, EventsConfig& out) {
  return read_yaml_text(yaml_text, origin,
                        [&out](const YAML::Node& root, const std::string& at) { return from_root(root, at, out); });
}

}  // namespace parley::events
