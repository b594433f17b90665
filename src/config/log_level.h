// LogLevel: how much the broker logs, from the most to the least verbose.
//
// The names are the ones spdlog prints ("warn", not "warning"), so that the
// configured level reads the same as the log lines it lets through.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cairn::config {

enum class LogLevel : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Every accepted name, most verbose first, as error messages list them.
inline constexpr std::string_view kLogLevelNames = "trace, debug, info, warn, error, off";

// The level named exactly (lower case) by `name`, or nullopt.
std::optional<LogLevel> parse_log_level(std::string_view name);

std::string_view to_string(LogLevel level);

}  // namespace cairn::config
