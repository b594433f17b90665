// SessionLimits: the server-side settings a SessionMachine enforces and
// announces in CONNACK. Filled from the configuration (src/config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/access_policy.h"
#include "model/qos.h"

namespace cairn::session {

struct SessionLimits {
  // Client identifiers the broker assigns [MQTT-3.1.3-6] are this prefix and
  // the connection's number; the prefix is random per start, so they never
  // collide with a session of an earlier run.
  std::string assigned_client_id_prefix = "auto-";
  // Incoming QoS 1/2 PUBLISHes a client may have unacknowledged: our Receive
  // Maximum ([MQTT-3.2.2.3.3]); one more is answered with DISCONNECT 0x93.
  std::uint16_t receive_maximum = 1024;
  // The largest packet we accept, announced as Maximum Packet Size.
  std::uint32_t maximum_packet_size = 1024 * 1024;
  // Topic aliases a client may use towards us ([MQTT-3.2.2.3.8]).
  std::uint16_t topic_alias_maximum = 64;
  // Upper bound on a client's Keep Alive, announced as Server Keep Alive when
  // the client asks for more (or for none); 0 accepts what the client asks.
  std::uint16_t max_keep_alive = 0;
  // Upper bound on Session Expiry Interval, in seconds.
  std::uint32_t max_session_expiry = 0xFFFFFFFF;
  // Outgoing QoS 1/2 PUBLISHes unacknowledged at once, per session; the
  // client's Receive Maximum lowers it further.
  std::uint16_t max_inflight = 1024;
  // Messages waiting for a session beyond the in-flight window.
  std::size_t max_queued = 100'000;
  // Topic filters one session may hold; 0 is no limit.
  std::size_t max_subscriptions = 0;
  // Topic names and filters: bytes and levels; 0 is no limit.
  std::size_t max_topic_length = 65'535;
  std::size_t max_topic_levels = 0;
  // Features announced in CONNACK and enforced.
  model::QoS maximum_qos = model::QoS::kExactlyOnce;
  bool retain_available = true;
  bool wildcard_subscription_available = true;
  bool subscription_identifiers_available = true;
  bool shared_subscription_available = true;
  // Who may publish, subscribe and receive what (issue 8); null allows
  // everything. Not owned: it outlives every machine.
  const model::AccessPolicy* access = nullptr;
};

}  // namespace cairn::session
