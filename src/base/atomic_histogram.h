// AtomicHistogram: a histogram the hot path can observe into from any thread
// with a few relaxed atomic additions, and a scrape can read without a lock
// (DESIGN.md §4: probes are atomics, read by the metrics collector).
//
// Values are integers (nanoseconds, operations, bytes); each bucket counts
// the observations <= its upper bound, the last one everything above. A
// snapshot taken while others observe may be off by the observations in
// flight, which Prometheus tolerates: counts only ever grow.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace cairn::base {

class AtomicHistogram {
 public:
  // REQUIRES: `upper_bounds` ascending, not empty.
  explicit AtomicHistogram(std::vector<std::uint64_t> upper_bounds)
      : bounds_(std::move(upper_bounds)),
        buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

  // `count` bounds: first, first * factor, first * factor^2, ...
  static std::vector<std::uint64_t> exponential(std::uint64_t first, std::uint64_t factor,
                                                std::size_t count) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t b = first; out.size() < count; b *= factor) out.push_back(b);
    return out;
  }

  void observe(std::uint64_t value) noexcept {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1,
                                                                       std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<std::uint64_t> upper_bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, observations <= it
    std::uint64_t count = 0;                // all observations (the +Inf bucket)
    std::uint64_t sum = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    s.upper_bounds = bounds_;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      running += buckets_[i].load(std::memory_order_relaxed);
      s.cumulative.push_back(running);
    }
    s.count = running + buckets_[bounds_.size()].load(std::memory_order_relaxed);
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  const std::vector<std::uint64_t> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> sum_{0};
};

// The bounds cairn's latency histograms share, in nanoseconds: 100 us to 10 s.
inline std::vector<std::uint64_t> latency_bounds_ns() {
  return {100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
          10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
          1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
}

}  // namespace cairn::base
