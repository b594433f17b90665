#include "storage/free_space_guard.h"

#include <utility>

#include <spdlog/spdlog.h>

#include <sys/statvfs.h>

namespace cairn::storage {

std::optional<std::uint64_t> FreeSpaceGuard::statvfs_probe(const std::string& directory) {
  struct statvfs s {};
  if (::statvfs(directory.c_str(), &s) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(s.f_bavail) * static_cast<std::uint64_t>(s.f_frsize);
}

FreeSpaceGuard::FreeSpaceGuard(std::string directory, std::uint64_t min_free_bytes, Probe probe)
    : directory_(std::move(directory)), min_free_(min_free_bytes), probe_(std::move(probe)) {}

bool FreeSpaceGuard::refresh(std::chrono::steady_clock::duration min_interval) {
  if (min_free_ == 0) return false;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (probed_ && now - last_ < min_interval) return low();
  probed_ = true;
  last_ = now;
  const std::optional<std::uint64_t> free = probe_(directory_);
  // A volume that cannot be read keeps the last answer: the store's own
  // writes will tell if the disk is really gone.
  if (!free) return low();
  free_.store(*free, std::memory_order_relaxed);
  const bool low_now = *free < min_free_;
  if (low_now != low_.exchange(low_now, std::memory_order_relaxed)) {
    constexpr std::uint64_t kMiB = 1024 * 1024;
    if (low_now) {
      spdlog::warn(
          "{} MiB free on the volume of {}, under storage.min_free_space_mb = {}: QoS 1/2 "
          "publishes are refused (MQTT 5: 0x97) until space returns",
          *free / kMiB, directory_, min_free_ / kMiB);
    } else {
      spdlog::info("{} MiB free on the volume of {}: QoS 1/2 publishes are accepted again",
                   *free / kMiB, directory_);
    }
  }
  return low_now;
}

}  // namespace cairn::storage
