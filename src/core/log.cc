// JSON log lines through spdlog: a custom pattern flag writes the message either as prepared
// JSON members (structured calls through log()) or as an escaped "msg" string (plain calls).
#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace parley {

namespace {

// Structured payloads start with this byte; it never begins a human-written message.
constexpr char kStructured = '\x1e';

class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == kStructured) {
      payload.remove_prefix(1);
    } else {
      static constexpr std::string_view kMsg = "\"msg\":";
      dest.append(kMsg.data(), kMsg.data() + kMsg.size());
      std::string quoted = json::serialize(json::string(payload));
      dest.append(quoted.data(), quoted.data() + quoted.size());
      return;
    }
    dest.append(payload.data(), payload.data() + payload.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

}  // namespace

Status init_json_logging(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off")
    return Status::invalid("unknown log level '" + std::string(level) + "'");
  auto logger = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%*})");
  logger->set_formatter(std::move(formatter));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return Status::ok();
}

void log(spdlog::level::level_enum level, std::string_view msg, const json::object& fields) {
  if (!spdlog::should_log(level)) return;
  std::string line(1, kStructured);
  line += "\"msg\":";
  line += json::serialize(json::string(msg));
  for (const auto& kv : fields) {
    line += ',';
    line += json::serialize(json::string(kv.key()));
    line += ':';
    line += json::serialize(kv.value());
  }
  spdlog::log(level, "{}", line);
}

}  // namespace parley
