#include "broker/router.h"

#include <algorithm>

namespace cairn::broker {

bool Router::subscribe(std::string_view filter, const SubscriptionEntry& entry) {
  std::lock_guard lock(mutex_);
  return tree_.subscribe(filter, entry);
}

bool Router::unsubscribe(std::string_view filter, model::SessionId session) {
  std::lock_guard lock(mutex_);
  return tree_.unsubscribe(filter, session);
}

void Router::set_online(model::SessionId session, bool online) {
  std::lock_guard lock(mutex_);
  if (online) {
    online_.insert(session);
  } else {
    online_.erase(session);
  }
}

void Router::match(const model::Message& message, std::vector<RouteTarget>& out) {
  std::lock_guard lock(mutex_);
  matched_.clear();
  groups_.clear();
  tree_.match(message.topic, matched_, groups_);
  const std::size_t first = out.size();
  auto add = [&](const SubscriptionEntry& entry) {
    // Merge a session's overlapping subscriptions into one target. The
    // number of targets per message is small, so a linear search is cheapest.
    auto it = std::find_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                           [&](const RouteTarget& t) { return t.session == entry.session; });
    if (it == out.end()) {
      out.push_back(
          RouteTarget{entry.session, entry.options.max_qos, entry.options.retain_as_published, {}});
      it = out.end() - 1;
    } else {
      it->qos = std::max(it->qos, entry.options.max_qos);
      it->retain_as_published = it->retain_as_published || entry.options.retain_as_published;
    }
    if (entry.subscription_id != 0) it->subscription_ids.push_back(entry.subscription_id);
  };
  for (const SubscriptionEntry* entry : matched_) {
    if (entry->options.no_local && entry->session == message.origin) continue;
    add(*entry);
  }
  for (SharedGroup* group : groups_) {
    const SubscriptionEntry* member =
        group->pick([&](const SubscriptionEntry& m) { return online_.count(m.session) > 0; });
    if (member == nullptr) member = group->pick([](const SubscriptionEntry&) { return true; });
    if (member != nullptr) add(*member);
  }
}

void Router::set_retained(const model::MessagePtr& message) {
  std::lock_guard lock(mutex_);
  retained_order_.applied_now(message->topic);
  retained_.set(message);
}

std::uint64_t Router::expect_retained(const std::string& topic) {
  std::lock_guard lock(mutex_);
  return retained_order_.expect(topic);
}

void Router::settle_retained(const model::MessagePtr& message, std::uint64_t place,
                             bool committed) {
  std::lock_guard lock(mutex_);
  if (retained_order_.settle(message->topic, place, committed)) retained_.set(message);
}

void Router::retained_for(std::string_view filter, model::WallTime now,
                          std::vector<model::MessagePtr>& out) const {
  std::lock_guard lock(mutex_);
  retained_.match(filter, now, out);
}

std::size_t Router::remove_expired_retained(model::WallTime now) {
  std::lock_guard lock(mutex_);
  return retained_.remove_expired(now);
}

std::size_t Router::subscription_count() const {
  std::lock_guard lock(mutex_);
  return tree_.subscription_count();
}

std::size_t Router::retained_count() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

}  // namespace cairn::broker
