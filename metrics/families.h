// Small builders of prometheus-cpp MetricFamily values, so that the
// collector reads as a list of names and values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "base/atomic_histogram.h"

namespace cairn::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Families {
 public:
  // A family with one unlabelled sample.
  void gauge(const std::string& name, const std::string& help, double value);
  void counter(const std::string& name, const std::string& help, double value);
  // A family with a sample per label set.
  void gauges(const std::string& name, const std::string& help,
              const std::vector<std::pair<Labels, double>>& samples);
  void counters(const std::string& name, const std::string& help,
                const std::vector<std::pair<Labels, double>>& samples);
  // A histogram whose observations are scaled by `scale` (1e-9: ns to s).
  void histogram(const std::string& name, const std::string& help,
                 const base::AtomicHistogram::Snapshot& snapshot, double scale = 1.0);

  std::vector<prometheus::MetricFamily> take() { return std::move(families_); }

 private:
  void add(const std::string& name, const std::string& help, prometheus::MetricType type,
           const std::vector<std::pair<Labels, double>>& samples);

  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace cairn::metrics
