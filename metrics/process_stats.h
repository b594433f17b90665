// ProcessStats: the standard process_* metrics, read from /proc/self (Linux).
#pragma once

#include <optional>

namespace cairn::metrics {

struct ProcessStats {
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double cpu_seconds = 0;  // user + system
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // Unix time
};

// Empty when /proc cannot be read.
std::optional<ProcessStats> read_process_stats();

}  // namespace cairn::metrics
