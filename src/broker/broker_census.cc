// Broker::census: what the sessions hold, read at a metrics scrape (delivery
// lag: how much waits, for whom, and for how long).
#include <algorithm>

#include "broker/broker.h"

namespace cairn::broker {

Broker::Census Broker::census(std::size_t top) const {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    // Copied out: no session lock is taken under the registry's.
    std::lock_guard lock(registry_mutex_);
    sessions.reserve(by_id_.size());
    for (const auto& [id, session] : by_id_) sessions.push_back(session);
  }
  Census c;
  using Clock = std::chrono::steady_clock;
  const auto older = [&c](Clock::time_point t) {
    if (t == Clock::time_point{}) return;  // not dated
    if (!c.oldest || t < *c.oldest) c.oldest = t;
  };
  // A min-heap of the largest `top`, by queued.
  auto smaller = [](const auto& a, const auto& b) { return a.second > b.second; };
  for (const std::shared_ptr<Session>& session : sessions) {
    std::lock_guard lock(session->mutex);
    if (session->ended) continue;
    const session::SessionState& state = session->state;
    const std::uint64_t queued = state.queue.size() + session->paged.count;
    c.queued += queued;
    c.inflight += state.inflight.size();
    ++(session->online ? c.online : c.offline);
    for (const session::Inflight& f : state.inflight) older(f.delivery.queued_at);
    if (!state.queue.empty()) older(state.queue.front().queued_at);
    if (session->paged.count > 0) older(session->paged.oldest);
    if (top == 0 || queued == 0) continue;
    if (c.top.size() < top) {
      c.top.emplace_back(state.client_id, queued);
      std::push_heap(c.top.begin(), c.top.end(), smaller);
    } else if (queued > c.top.front().second) {
      std::pop_heap(c.top.begin(), c.top.end(), smaller);
      c.top.back() = {state.client_id, queued};
      std::push_heap(c.top.begin(), c.top.end(), smaller);
    }
  }
  std::sort_heap(c.top.begin(), c.top.end(), smaller);  // largest first
  return c;
}

}  // namespace cairn::broker
