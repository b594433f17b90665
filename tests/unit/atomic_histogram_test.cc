// AtomicHistogram: each observation lands in the first bucket whose upper
// bound it does not exceed (Prometheus' `le`), or past the last one; the
// snapshot's counts are cumulative, its total counts everything.
#include "base/atomic_histogram.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::base {
namespace {

TEST(AtomicHistogram, BucketsAreCumulativeAndBoundsInclusive) {
  AtomicHistogram h({10, 100, 1000});
  for (std::uint64_t v : {0, 10, 11, 100, 999, 1000, 1001, 5000}) h.observe(v);
  const AtomicHistogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<std::uint64_t>{10, 100, 1000}));
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 4, 6}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.sum, 0u + 10 + 11 + 100 + 999 + 1000 + 1001 + 5000);
}

TEST(AtomicHistogram, ExponentialBounds) {
  EXPECT_EQ(AtomicHistogram::exponential(1, 2, 5), (std::vector<std::uint64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(AtomicHistogram::exponential(256, 4, 9).back(), 16u << 20);
}

TEST(AtomicHistogram, ObservationsFromManyThreadsAreAllCounted) {
  AtomicHistogram h(latency_bounds_ns());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (std::uint64_t i = 0; i < 10'000; ++i) h.observe(i * 1000);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.snapshot().count, 40'000u);
}

}  // namespace
}  // namespace cairn::base
