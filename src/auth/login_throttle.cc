#include "auth/login_throttle.h"

#include <algorithm>

namespace cairn::auth {

bool LoginThrottle::blocked(std::string_view source, Clock::time_point now) {
  if (failures_per_minute_ == 0) return false;
  std::lock_guard lock(mutex_);
  const auto it = windows_.find(std::string(source));
  if (it == windows_.end()) return false;
  if (now - it->second.opened >= kWindow) {
    windows_.erase(it);
    return false;
  }
  return it->second.failures >= failures_per_minute_;
}

void LoginThrottle::failed(std::string_view source, Clock::time_point now) {
  if (failures_per_minute_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = windows_.find(std::string(source));
  if (it != windows_.end() && now - it->second.opened >= kWindow) {
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    if (windows_.size() >= kMaxSources) prune(now);
    it = windows_.emplace(std::string(source), Window{now, 0}).first;
  }
  ++it->second.failures;
}

std::size_t LoginThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return windows_.size();
}

void LoginThrottle::prune(Clock::time_point now) {
  std::erase_if(windows_,
                [now](const auto& entry) { return now - entry.second.opened >= kWindow; });
  if (windows_.size() < kMaxSources) return;
  // Still full of live windows: evict the oldest, a scan that only a flood
  // of distinct failing sources within one minute ever pays for.
  const auto oldest = std::min_element(
      windows_.begin(), windows_.end(),
      [](const auto& a, const auto& b) { return a.second.opened < b.second.opened; });
  windows_.erase(oldest);
}

}  // namespace cairn::auth
