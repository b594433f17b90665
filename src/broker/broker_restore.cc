// Broker::restore: the state the store held, loaded before any listener
// opens (DESIGN.md D6; recovery/ reads the store and calls this).
#include <algorithm>
#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace cairn::broker {

void Broker::restore(storage::StoredState stored, model::WallTime now) {
  // What waited before the restart counts from it (the store keeps no such time).
  const auto restored_at = std::chrono::steady_clock::now();
  constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;
  // Sessions whose connection was alive at the crash: their disconnect time
  // is the restart, stored so that a second crash does not restart the count.
  storage::Batch disconnected;
  for (auto& [client, record] : stored.sessions) {
    auto session = std::make_shared<Session>(next_session_id_++, client);
    session::SessionState& state = session->state;
    state.expiry_interval = record.expiry_interval;
    session->stored = true;
    // A session whose connection was alive at the crash lost it then; the
    // restart is the first moment that can be counted from.
    const model::WallTime since = record.disconnected_at.value_or(now);
    session->disconnected_at = since;
    if (record.expiry_interval != kNeverExpires) {
      session->expires_at = since + std::chrono::seconds(record.expiry_interval);
    }
    if (record.will) {
      session::ScheduleWill will;
      will.message = std::move(record.will);
      will.delay_seconds = record.will_delay;
      will.message_expiry_interval = record.will_expiry_interval;
      session->pending_will = std::move(will);
      session->will_at = since + std::chrono::seconds(record.will_delay);
    }

    if (auto subs = stored.subscriptions.find(client); subs != stored.subscriptions.end()) {
      for (auto& [filter, s] : subs->second) {
        session->subscriptions[filter] = StoredSubscription{s.options, s.subscription_id};
        router_.subscribe(filter, SubscriptionEntry{session->id(), s.options, s.subscription_id});
      }
    }

    // Deliveries sent with a recorded packet identifier are in flight again:
    // the next connection re-sends them with it (PUBLISH with DUP, or PUBREL)
    // [MQTT-4.4.0-1]. The rest wait in the queue, in sequence order.
    if (auto queue = stored.queues.find(client); queue != stored.queues.end()) {
      std::uint64_t last = 0;
      for (storage::StoredDelivery& d : queue->second) {
        last = std::max(last, d.sequence);
        session::Delivery delivery;
        delivery.queued_at = restored_at;
        delivery.message = std::move(d.message);
        delivery.qos = d.qos;
        delivery.retain = d.retain;
        delivery.subscription_ids = std::move(d.subscription_ids);
        delivery.sequence = d.sequence;
        if (d.packet_id != 0 && !state.packet_ids_in_use.insert(d.packet_id).second) {
          // The store keeps one holder per identifier (storage/FORMAT.md);
          // a store written before it did may have two, and which one the
          // client still holds cannot be told: this one is sent anew.
          spdlog::error(
              "client '{}': stored delivery {} has packet identifier {} of another in-flight "
              "delivery; it is sent again with a new identifier",
              client, d.sequence, d.packet_id);
          d.packet_id = 0;
        }
        if (d.packet_id != 0) {
          session::Inflight f;
          f.packet_id = d.packet_id;
          f.stage = d.released ? session::Inflight::Stage::kPubrelSent
                               : session::Inflight::Stage::kPublishSent;
          f.delivery = std::move(delivery);
          state.inflight.push_back(std::move(f));
        } else {
          state.queue.push_back(std::move(delivery));
        }
      }
      session->next_sequence = last + 1;
    }
    // What stayed on disk is read back when a connection takes it (D7).
    if (auto tail = stored.paged.find(client); tail != stored.paged.end()) {
      session->paged.from = tail->second.from;
      session->paged.count = tail->second.count;
      session->paged.bytes = tail->second.bytes;
      session->paged.oldest = restored_at;
    }
    // Never a sequence the store still knows, acknowledged or not: its
    // cursor would take a new delivery for the acknowledged one.
    if (auto next = stored.next_sequence.find(client); next != stored.next_sequence.end()) {
      session->next_sequence = std::max(session->next_sequence, next->second);
    }
    if (auto ids = stored.incoming_qos2.find(client); ids != stored.incoming_qos2.end()) {
      for (std::uint16_t id : ids->second) state.incoming_qos2.emplace(id, true);
    }

    if (!record.disconnected_at) disconnected.operations.push_back(session_record(*session));

    std::lock_guard lock(registry_mutex_);
    by_client_id_[client] = session;
    by_id_[session->id()] = std::move(session);
  }
  if (!disconnected.empty()) submit(std::move(disconnected), [](std::error_code) {});
  for (auto& [topic, message] : stored.retained) router_.set_retained(std::move(message));
}

}  // namespace cairn::broker
