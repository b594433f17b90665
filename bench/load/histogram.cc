#include "load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cairn::load {

int LatencyHistogram::bucket_of(std::uint64_t value) noexcept {
  const int width = std::bit_width(value);
  if (width <= kSubBits + 1) return static_cast<int>(value);
  const int shift = width - kSubBits - 1;  // keeps the top kSubBits + 1 bits
  const int sub = static_cast<int>(value >> shift) - (1 << kSubBits);
  return kExact + (shift - 1) * (1 << kSubBits) + sub;
}

std::uint64_t LatencyHistogram::bucket_top(int bucket) noexcept {
  if (bucket < kExact) return static_cast<std::uint64_t>(bucket);
  const int shift = (bucket - kExact) / (1 << kSubBits) + 1;
  const std::uint64_t sub = (bucket - kExact) % (1 << kSubBits);
  const std::uint64_t low = (sub + (1u << kSubBits)) << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t value) noexcept {
  ++buckets_[bucket_of(value)];
  ++count_;
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(
      std::max(1.0, std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(bucket_top(i), max_);
  }
  return max_;
}

}  // namespace cairn::load
