// Collector: cairn's metric families, built from the module probes each time
// Prometheus scrapes (metrics/README.md lists them). The hot path never
// touches prometheus-cpp: it bumps its own atomics, read here.
#pragma once

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "metrics/sources.h"

namespace cairn::metrics {

class Collector final : public prometheus::Collectable {
 public:
  explicit Collector(Sources sources) : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Sources sources_;
};

}  // namespace cairn::metrics
