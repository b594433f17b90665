// LatencyHistogram: a log-bucketed histogram of nanosecond values, HDR style.
//
// Values below 128 are exact; above, each power of two is split into 64
// buckets, so every value is kept within 1/64 (1.6%) of itself. Recording is
// one bit_width and one increment; the whole range of uint64 fits in 3,776
// buckets (30 KiB), so one histogram per subscriber costs little.
#pragma once

#include <array>
#include <cstdint>

namespace cairn::load {

class LatencyHistogram {
 public:
  void record(std::uint64_t value) noexcept;
  void merge(const LatencyHistogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  // The value at or below which `fraction` (0..1) of the samples lie, to the
  // bucket's precision; 0 when empty.
  std::uint64_t percentile(double fraction) const noexcept;

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr int kExact = 2 << kSubBits;
  static constexpr int kBuckets = kExact + (64 - kSubBits - 1) * (1 << kSubBits);

  static int bucket_of(std::uint64_t value) noexcept;
  // The highest value a bucket holds.
  static std::uint64_t bucket_top(int bucket) noexcept;

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace cairn::load
