#include "metrics/metrics_server.h"

#include <exception>

#include <prometheus/exposer.h>

#include "metrics/collector.h"

namespace cairn::metrics {

std::unique_ptr<MetricsServer> MetricsServer::start(const std::string& listen, Sources sources,
                                                    std::string& error) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->collector_ = std::make_shared<Collector>(std::move(sources));
  try {
    // civetweb takes "host:port" for IPv4 and "[addr]:port" for IPv6, as the
    // config writes them. One thread: a scrape is short and rare.
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  if (server->exposer_->GetListeningPorts().empty()) {
    error = "nothing listening";
    return nullptr;
  }
  server->exposer_->RegisterCollectable(server->collector_);
  return server;
}

MetricsServer::~MetricsServer() = default;

std::uint16_t MetricsServer::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

}  // namespace cairn::metrics
