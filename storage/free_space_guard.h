// FreeSpaceGuard: whether the data directory's volume still has the free
// space the configuration asks to keep (storage.min_free_space_mb).
//
// Below it the broker refuses QoS 1/2 publishes (MQTT 5: 0x97 Quota
// exceeded; 3.x: the connection closes without PUBACK, so the client sends
// it again later) before the disk is actually full: a write that fails for
// lack of space latches the store failed for good (D8), while a refusal ends
// as soon as space returns. Acknowledgements, which free space, still commit.
//
// Thread-safe: refresh() from any thread (the committer before commits, the
// housekeeping tick every second), low() from the network threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace cairn::storage {

class FreeSpaceGuard {
 public:
  // Free bytes available to an unprivileged writer on the volume of a
  // directory; nullopt when it cannot be read.
  using Probe = std::function<std::optional<std::uint64_t>(const std::string&)>;
  static std::optional<std::uint64_t> statvfs_probe(const std::string& directory);

  // `min_free_bytes` 0 turns the guard off.
  FreeSpaceGuard(std::string directory, std::uint64_t min_free_bytes,
                 Probe probe = &FreeSpaceGuard::statvfs_probe);

  // Reads the free space again, at most every `min_interval`, and logs when
  // the guard changes state. Returns whether the space is low now.
  bool refresh(std::chrono::steady_clock::duration min_interval = std::chrono::milliseconds(100));
  bool low() const noexcept { return low_.load(std::memory_order_relaxed); }
  std::uint64_t free_bytes() const noexcept { return free_.load(std::memory_order_relaxed); }
  std::uint64_t min_free_bytes() const noexcept { return min_free_; }

 private:
  const std::string directory_;
  const std::uint64_t min_free_;
  const Probe probe_;
  std::atomic<bool> low_{false};
  std::atomic<std::uint64_t> free_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_;  // guarded by mutex_
  bool probed_ = false;                         // guarded by mutex_
};

}  // namespace cairn::storage
