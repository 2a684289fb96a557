// Structured logs: one JSON object per line on stderr,
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"...", "bot":..., "conversation":..., ...}
// Lines logged through plain spdlog calls (other modules) come out as JSON too, their text in "msg".
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "core/json.h"
#include "core/status.h"

namespace parley {

// Makes the default spdlog logger write JSON lines to stderr at `level` (trace, debug, info,
// warn, error, off). kInvalidArgument for an unknown level.
Status init_json_logging(std::string_view level);

// Logs `msg` with extra fields (bot, conversation, turn, ...) as top-level JSON keys.
void log(spdlog::level::level_enum level, std::string_view msg, const json::object& fields = {});

}  // namespace parley
