#include "metrics/families.h"

#include <limits>

namespace cairn::metrics {

void Families::gauge(const std::string& name, const std::string& help, double value) {
  add(name, help, prometheus::MetricType::Gauge, {{{}, value}});
}

void Families::counter(const std::string& name, const std::string& help, double value) {
  add(name, help, prometheus::MetricType::Counter, {{{}, value}});
}

void Families::gauges(const std::string& name, const std::string& help,
                      const std::vector<std::pair<Labels, double>>& samples) {
  add(name, help, prometheus::MetricType::Gauge, samples);
}

void Families::counters(const std::string& name, const std::string& help,
                        const std::vector<std::pair<Labels, double>>& samples) {
  add(name, help, prometheus::MetricType::Counter, samples);
}

void Families::add(const std::string& name, const std::string& help, prometheus::MetricType type,
                   const std::vector<std::pair<Labels, double>>& samples) {
  prometheus::MetricFamily family{name, help, type, {}};
  for (const auto& [labels, value] : samples) {
    prometheus::ClientMetric metric;
    for (const auto& [label, label_value] : labels) metric.label.push_back({label, label_value});
    if (type == prometheus::MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
  }
  families_.push_back(std::move(family));
}

void Families::histogram(const std::string& name, const std::string& help,
                         const base::AtomicHistogram::Snapshot& snapshot, double scale) {
  prometheus::ClientMetric metric;
  metric.histogram.sample_count = snapshot.count;
  metric.histogram.sample_sum = static_cast<double>(snapshot.sum) * scale;
  for (std::size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
    metric.histogram.bucket.push_back(
        {snapshot.cumulative[i], static_cast<double>(snapshot.upper_bounds[i]) * scale});
  }
  // The +Inf bucket holds every observation [Prometheus exposition format].
  metric.histogram.bucket.push_back({snapshot.count, std::numeric_limits<double>::infinity()});
  families_.push_back({name, help, prometheus::MetricType::Histogram, {std::move(metric)}});
}

}  // namespace cairn::metrics
