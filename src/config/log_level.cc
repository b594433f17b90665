#include "config/log_level.h"

#include <array>
#include <utility>

namespace cairn::config {
namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 6> kLevels{{
    {"trace", LogLevel::kTrace},
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warn", LogLevel::kWarn},
    {"error", LogLevel::kError},
    {"off", LogLevel::kOff},
}};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (const auto& [level_name, level] : kLevels) {
    if (level_name == name) return level;
  }
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  for (const auto& [level_name, candidate] : kLevels) {
    if (candidate == level) return level_name;
  }
  return "?";
}

}  // namespace cairn::config
