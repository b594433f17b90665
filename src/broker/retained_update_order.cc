#include "broker/retained_update_order.h"

namespace cairn::broker {

std::uint64_t RetainedUpdateOrder::expect(const std::string& topic) {
  ++topics_[topic].pending;
  return ++last_place_;
}

void RetainedUpdateOrder::applied_now(const std::string& topic) {
  const std::uint64_t place = ++last_place_;
  if (auto it = topics_.find(topic); it != topics_.end()) it->second.newest_applied = place;
}

bool RetainedUpdateOrder::settle(const std::string& topic, std::uint64_t place, bool committed) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return committed;  // not expected: nothing to order against
  Topic& t = it->second;
  const bool newest = committed && place > t.newest_applied;
  if (newest) t.newest_applied = place;
  if (--t.pending == 0) topics_.erase(it);
  return newest;
}

}  // namespace cairn::broker
