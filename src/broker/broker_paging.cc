// Broker, paging (DESIGN.md D7): a persistent session keeps only a window of
// its queue in memory while connected, and none of its stored deliveries
// while disconnected; the rest stays in the store, which already holds every
// stored delivery (D3), and is read back in sequence order as the client
// takes what it has. A million queued messages cost the store's index, not
// a million messages in memory.
//
// Ordering: loads and commits go through the store in one order, and a
// delivery's commit completes (and counts it in the tail) before any load
// submitted after it runs, so a load finds everything the tail counts.
#include <algorithm>
#include <limits>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace cairn::broker {
namespace {

std::shared_ptr<SessionOwner> owner_of(const Session& s) { return s.owner.lock(); }

}  // namespace

bool Broker::page_out(Session& session, const session::Delivery& delivery) {
  // One stored before its session stopped storing (its record is going):
  // memory keeps it, the store may no longer have it to read back.
  if (delivery.sequence == 0 || !store_.can_load() || !session.stores_deliveries()) return false;
  PagedTail& tail = session.paged;
  if (tail.from == 0) {
    const session::DeliveryQueue& queue = session.state.queue;
    if (session.online && queue.size() < settings_.memory_window &&
        queue.bytes() < settings_.memory_window_bytes) {
      return false;
    }
    // Paging starts past everything in memory (the tail's invariant).
    std::uint64_t from = delivery.sequence;
    for (const session::Delivery& d : queue) from = std::max(from, d.sequence + 1);
    tail.from = from;
  }
  // One numbered before paging started, committed late: memory keeps it.
  if (delivery.sequence < tail.from) return false;
  if (tail.count == 0) tail.oldest = delivery.queued_at;
  ++tail.count;
  tail.bytes += model::footprint(*delivery.message);
  ++counters_.deliveries_paged_out;
  return true;
}

void Broker::page_out_queue(Session& session) {
  if (!store_.can_load() || !session.state.persistent()) return;
  session::DeliveryQueue& queue = session.state.queue;
  PagedTail& tail = session.paged;
  if (tail.loading) {  // answered for a connection that is gone: dropped
    tail.loading = false;
    ++tail.epoch;
  }
  session::DeliveryQueue kept;  // what the store does not hold
  std::uint64_t from = tail.from == 0 ? std::numeric_limits<std::uint64_t>::max() : tail.from;
  std::size_t moved = 0;
  std::uint64_t bytes = 0;
  auto oldest = tail.count == 0 ? std::chrono::steady_clock::time_point::max() : tail.oldest;
  while (!queue.empty()) {
    session::Delivery d = queue.take_front();
    if (d.sequence == 0) {
      kept.push_back(std::move(d));
      continue;
    }
    from = std::min(from, d.sequence);
    oldest = std::min(oldest, d.queued_at);
    ++moved;
    bytes += model::footprint(*d.message);
  }
  queue = std::move(kept);
  if (moved == 0) return;
  // Everything stored from `from` on is now in the tail, in flight (skipped
  // when loaded) or not committed yet (counted when it is).
  tail.from = from;
  tail.oldest = oldest;
  tail.count += moved;
  tail.bytes += bytes;
  counters_.deliveries_paged_out += moved;
}

bool Broker::wants_page_in(const Session& session) const {
  const PagedTail& tail = session.paged;
  if (tail.count == 0 || tail.loading || tail.unreadable || !session.online) return false;
  const session::DeliveryQueue& queue = session.state.queue;
  return queue.size() <= settings_.memory_window / 2 &&
         queue.bytes() <= settings_.memory_window_bytes / 2;
}

void Broker::page_in(const std::shared_ptr<Session>& session) {
  storage::LoadRequest request;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(session->mutex);
    if (session->ended || !wants_page_in(*session)) return;
    PagedTail& tail = session->paged;
    const session::DeliveryQueue& queue = session->state.queue;
    tail.loading = true;
    epoch = tail.epoch;
    request.client_id = session->state.client_id;
    request.from = tail.from;
    request.max_count = settings_.memory_window - queue.size();
    request.max_bytes = settings_.memory_window_bytes - queue.bytes();
  }
  store_.load(
      std::move(request),
      [this, session, epoch](std::vector<storage::StoredDelivery> loaded, std::error_code ec) {
        paged_in(session, epoch, std::move(loaded), ec);
      });
}

void Broker::add_paged_in(Session& session, std::vector<storage::StoredDelivery>& loaded) {
  PagedTail& tail = session.paged;
  session::SessionState& state = session.state;
  // Deliveries in flight were sent already (or restored as sent): a load
  // from below them returns them too.
  std::unordered_set<std::uint64_t> in_flight;
  for (const session::Inflight& f : state.inflight) {
    if (f.delivery.sequence >= tail.from) in_flight.insert(f.delivery.sequence);
  }
  for (storage::StoredDelivery& d : loaded) {
    if (d.sequence < tail.from || in_flight.contains(d.sequence)) continue;
    // Recorded as sent (QoS 2, D3): it is in flight, or it was completed
    // while this load waited in the store's line behind its removal. Either
    // way it is not new: queued again it would go out as a second PUBLISH
    // under a new packet identifier. The tail never counted it.
    if (d.packet_id != 0) continue;
    session::Delivery delivery;
    delivery.queued_at = tail.oldest;
    delivery.message = std::move(d.message);
    delivery.qos = d.qos;
    delivery.retain = d.retain;
    delivery.subscription_ids = std::move(d.subscription_ids);
    delivery.sequence = d.sequence;
    const std::uint64_t bytes = model::footprint(*delivery.message);
    tail.bytes -= std::min(tail.bytes, bytes);
    if (tail.count > 0) --tail.count;
    state.queue.push_back(std::move(delivery));
    ++counters_.deliveries_paged_in;
  }
  if (!loaded.empty()) tail.from = std::max(tail.from, loaded.back().sequence + 1);
}

void Broker::paged_in(const std::shared_ptr<Session>& session, std::uint64_t epoch,
                      std::vector<storage::StoredDelivery> loaded, std::error_code ec) {
  std::shared_ptr<SessionOwner> owner;
  bool more = false;
  {
    std::lock_guard lock(session->mutex);
    PagedTail& tail = session->paged;
    if (session->ended || tail.epoch != epoch || !tail.loading) return;  // stale
    tail.loading = false;
    if (ec == storage::StoreErrc::kClosed) return;  // shutting down: it stays stored
    if (ec) {
      tail.unreadable = true;
      spdlog::error(
          "client '{}': {} queued messages cannot be read back from the store ({}); they stay "
          "stored and are tried again at its next connection",
          session->state.client_id, tail.count, ec.message());
      return;
    }
    if (loaded.empty() && tail.count > 0) {
      // The store holds none of what the tail counts: nothing can bring it
      // back, so the count goes rather than a load per pump.
      spdlog::error("client '{}': {} queued messages counted on disk are not in the store",
                    session->state.client_id, tail.count);
      tail.count = 0;
    }
    add_paged_in(*session, loaded);
    if (tail.count == 0) {  // all in memory: paging is off until the window fills again
      const std::uint64_t next = tail.epoch + 1;
      tail = PagedTail{};
      tail.epoch = next;
    }
    owner = owner_of(*session);
    more = wants_page_in(*session);
  }
  if (owner) owner->deliveries_ready();
  if (more) page_in(session);
}

}  // namespace cairn::broker
