// MetricsServer: the HTTP endpoint Prometheus scrapes (GET /metrics), a
// prometheus-cpp Exposer on its own thread serving the Collector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "metrics/sources.h"

namespace prometheus {
class Exposer;
}

namespace cairn::metrics {

class Collector;

class MetricsServer {
 public:
  // Binds `listen` (HOST:PORT, as validated by the config) and serves.
  // Returns null with `error` set when it cannot bind.
  static std::unique_ptr<MetricsServer> start(const std::string& listen, Sources sources,
                                              std::string& error);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (the one asked for, or the kernel's pick for 0).
  std::uint16_t port() const;

 private:
  MetricsServer() = default;

  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // after collector_: stops first
};

}  // namespace cairn::metrics
