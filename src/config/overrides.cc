// apply_overrides: the command line laid over the file (cairn --listen ...).
#include <string>
#include <vector>

#include "config/config.h"
#include "config/log_level.h"
#include "config/value_checks.h"

namespace cairn::config {

std::optional<ConfigError> apply_overrides(Config& config, const CliOverrides& overrides) {
  // Built on a copy and committed only when every option is valid, so that a
  // refused command line leaves `config` as it was.
  Config next = config;
  std::vector<std::string> problems;
  const auto take = [&problems](const char* option, const std::optional<std::string>& value,
                                std::optional<std::string> (*check)(std::string_view),
                                std::string& target) {
    if (!value) return;
    if (auto problem = check(*value)) {
      problems.push_back(std::string(option) + ": " + *problem);
    } else {
      target = *value;
    }
  };
  take("--listen", overrides.listen, detail::check_listen, next.listeners.front().listen);
  take("--data-dir", overrides.data_dir, detail::check_data_dir, next.data_dir);
  take("--metrics-listen", overrides.metrics_listen, detail::check_listen_or_off,
       next.metrics_listen);
  if (overrides.log_level) {
    if (auto level = parse_log_level(*overrides.log_level)) {
      next.log_level = *level;
    } else {
      problems.push_back("--log-level: " + *detail::check_log_level(*overrides.log_level));
    }
  }

  if (!problems.empty()) {
    std::string message;
    for (const std::string& problem : problems) {
      if (!message.empty()) message += '\n';
      message += problem;
    }
    return ConfigError{std::move(message)};
  }
  config = std::move(next);
  return std::nullopt;
}

}  // namespace cairn::config
