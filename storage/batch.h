// Batch: one atomic unit of durable change, in the logical terms of
// DESIGN.md §5 (messages, delivery records, sessions, subscriptions,
// retained messages, incoming QoS 2 identifiers). A store commits a batch
// whole or not at all; how it lays the operations out on disk is its own
// business (storage/FORMAT.md, issue 5).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/message.h"
#include "model/qos.h"
#include "model/subscription.h"

namespace cairn::storage {

using MessageId = std::uint64_t;

// A session's end, as the broker marks it, carried by every record of the
// session (issue 17, item 3). The broker sets it before it submits the
// session's RemoveSession, so a record that finds it set when its group
// commits was submitted after, or alongside, that removal: the store drops
// it rather than let it outlive the session (a stale delivery would reach
// the next session of the client id; a stale acknowledgement would remove
// one of its deliveries). Null: the record is kept whatever happens.
using SessionEnded = std::shared_ptr<const std::atomic<bool>>;
inline bool has_ended(const SessionEnded& ended) noexcept {
  return ended && ended->load(std::memory_order_acquire);
}

// A message, stored once however many sessions it is queued for.
struct PutMessage {
  MessageId id = 0;
  model::MessagePtr message;
};

// A message queued for a persistent session: what is delivered, in what
// order (sequence, per session), and how far its QoS 2 flow got (D3).
// REQUIRES: the PutMessage of `message_id` is in the same batch, before it.
struct PutDelivery {
  std::string client_id;
  std::uint64_t sequence = 0;
  MessageId message_id = 0;
  model::QoS qos = model::QoS::kAtMostOnce;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  SessionEnded session_ended{};
};
// A QoS 2 delivery is about to go out with this packet identifier: a restart
// re-sends it with the same one (D3), so the client sees a duplicate, never a
// new message.
struct RecordSent {
  std::string client_id;
  std::uint64_t sequence = 0;
  std::uint16_t packet_id = 0;
  SessionEnded session_ended{};
};
// The QoS 2 delivery reached PUBREL: re-send PUBREL, not PUBLISH, after a restart.
struct MarkDeliveryReleased {
  std::string client_id;
  std::uint64_t sequence = 0;
  std::uint16_t packet_id = 0;
  SessionEnded session_ended{};
};
// The subscriber acknowledged it (D3). The message goes with its last delivery.
struct RemoveDelivery {
  std::string client_id;
  std::uint64_t sequence = 0;
  SessionEnded session_ended{};
};

// A persistent session's record: what a restart needs to bring it back.
struct PutSession {
  std::string client_id;
  std::uint32_t expiry_interval = 0;
  // When its last connection ended; unset while one is attached (a crash
  // then counts as the disconnect, at the restart).
  std::optional<model::WallTime> disconnected_at;
  // The will of the attached connection, so that a crash still publishes it
  // after its delay [MQTT-3.1.3-9]. Null when there is none.
  model::MessagePtr will;
  std::uint32_t will_delay = 0;
  std::optional<std::uint32_t> will_expiry_interval;
  SessionEnded session_ended{};
  bool operator==(const PutSession& o) const {
    const bool wills_equal = will == o.will || (will && o.will && *will == *o.will);
    return client_id == o.client_id && expiry_interval == o.expiry_interval &&
           disconnected_at == o.disconnected_at && wills_equal && will_delay == o.will_delay &&
           will_expiry_interval == o.will_expiry_interval;
  }
};
// Removes the session and everything stored for it. It carries no
// SessionEnded: it is the end.
struct RemoveSession {
  std::string client_id;
};

struct PutSubscription {
  std::string client_id;
  std::string filter;
  model::SubscriptionOptions options;
  std::uint32_t subscription_id = 0;
  SessionEnded session_ended{};
  bool operator==(const PutSubscription& o) const {
    return client_id == o.client_id && filter == o.filter && options == o.options &&
           subscription_id == o.subscription_id;
  }
};
struct RemoveSubscription {
  std::string client_id;
  std::string filter;
  SessionEnded session_ended{};
};

struct PutRetained {
  model::MessagePtr message;
};
struct RemoveRetained {
  std::string topic;
};

// A received QoS 2 PUBLISH awaiting PUBREL (D4).
struct PutIncomingQos2 {
  std::string client_id;
  std::uint16_t packet_id = 0;
  SessionEnded session_ended{};
};
struct RemoveIncomingQos2 {
  std::string client_id;
  std::uint16_t packet_id = 0;
  SessionEnded session_ended{};
};

using Operation =
    std::variant<PutMessage, PutDelivery, RecordSent, MarkDeliveryReleased, RemoveDelivery,
                 PutSession, RemoveSession, PutSubscription, RemoveSubscription, PutRetained,
                 RemoveRetained, PutIncomingQos2, RemoveIncomingQos2>;

// Whether `op` is a record of a session that has ended (SessionEnded): a
// store commits none of those.
inline bool of_ended_session(const Operation& op) noexcept {
  return std::visit(
      [](const auto& o) {
        if constexpr (requires { o.session_ended; }) {
          return has_ended(o.session_ended);
        } else {
          return false;
        }
      },
      op);
}

struct Batch {
  std::vector<Operation> operations;
  // A change nobody waits for and whose loss in a crash is harmless: the
  // removal of deliveries the subscriber acknowledged (D3). Lost, it only
  // means the message is delivered again after the restart, which QoS 1
  // allows, and a QoS 2 delivery was marked released before its PUBREL went
  // out, so it gets PUBREL again, never the message. The GroupCommitter may
  // hold such a batch back to ride with the next synced write instead of
  // paying a sync of its own (GroupCommitter::Limits::defer_for).
  bool deferrable = false;
  bool empty() const noexcept { return operations.empty(); }
};

}  // namespace cairn::storage
