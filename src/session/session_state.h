// SessionState: the part of an MQTT session that outlives its network
// connections ([MQTT-4.1]): identity, expiry, the outgoing queue and in-flight
// window, and the incoming QoS 2 packet identifiers awaiting PUBREL.
//
// Plain data. The broker owns it and guards it with the session's lock; a
// SessionMachine reads and changes it only while its driver holds that lock.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/ring_queue.h"
#include "model/message.h"
#include "model/qos.h"
#include "session/delivery.h"
#include "session/delivery_queue.h"

namespace cairn::session {

// An outgoing QoS 1/2 PUBLISH between sending and its last acknowledgement.
struct Inflight {
  enum class Stage : std::uint8_t {
    kPublishSent,  // waiting for PUBACK (QoS 1) or PUBREC (QoS 2)
    kPubrelSent,   // QoS 2: waiting for PUBCOMP
  };
  std::uint16_t packet_id = 0;
  Stage stage = Stage::kPublishSent;
  Delivery delivery;
  // Sent on an earlier connection and not yet re-sent on this one: the
  // client's Receive Maximum may be lower now [MQTT-4.9.0-2].
  bool awaiting_resend = false;
};

struct SessionState {
  model::SessionId id = 0;
  std::string client_id;
  // Seconds the session outlives its connection; 0xFFFFFFFF never expires.
  // A 3.x session with Clean Session 0 never expires either.
  std::uint32_t expiry_interval = 0;

  // Routed messages not yet sent, oldest first.
  DeliveryQueue queue;
  // Sent QoS 1/2 messages not yet fully acknowledged, in the order sent, which
  // is the order they are re-sent in after a reconnect [MQTT-4.4.0-1].
  base::RingQueue<Inflight> inflight;
  std::unordered_set<std::uint16_t> packet_ids_in_use;
  std::uint16_t next_packet_id = 1;
  // In-flight messages the attached connection takes (0 while offline): the
  // queue limit counts only what waits beyond the window's free room.
  std::uint16_t send_window = 0;

  // Incoming QoS 2 PUBLISH packet identifiers, stored with the message and
  // removed at PUBREL (D4): a re-sent PUBLISH with one of them is not routed
  // again. `true` once the message is committed and PUBREC may be sent.
  std::unordered_map<std::uint16_t, bool> incoming_qos2;

  bool persistent() const noexcept { return expiry_interval > 0; }
};

}  // namespace cairn::session
