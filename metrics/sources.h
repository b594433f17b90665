// Sources: the probes the metrics read, owned by the running broker
// (app::BrokerApp). The collector only reads them, at scrape time, from the
// exposer's thread: each is an atomic, a histogram of atomics, or a call
// that takes its own locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cairn::auth {
class AccessControl;
}
namespace cairn::broker {
class Broker;
}
namespace cairn::net {
struct ConnectionStats;
}
namespace cairn::recovery {
struct RecoveryReport;
}
namespace cairn::storage {
class LeveldbStore;
}

namespace cairn::metrics {

struct Sources {
  // REQUIRES: each outlives the MetricsServer that reads it.
  const storage::LeveldbStore* store = nullptr;
  const broker::Broker* broker = nullptr;
  const net::ConnectionStats* connections = nullptr;
  const recovery::RecoveryReport* recovery = nullptr;
  const auth::AccessControl* access = nullptr;
  // The data directory: its file system's free and total bytes.
  std::string data_dir;
  // Sessions listed by name in cairn_session_queued_messages: the largest
  // backlogs only, so that the label's cardinality stays bounded.
  std::size_t top_sessions = 10;
};

}  // namespace cairn::metrics
