// Actions: what a SessionMachine asks its driver to do. The machine never
// touches a socket, the store or a clock; the driver (net::Connection with
// the broker) carries these out in order and reports back through the
// machine's on_* completions, each naming the Token it was given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/access_policy.h"
#include "model/message.h"
#include "model/subscription.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"
#include "mqtt/reason_code.h"

namespace cairn::session {

// Names one request, so its completion finds its way back. Unique per machine.
using Token = std::uint64_t;

// Write this packet to the client.
struct SendPacket {
  mqtt::Packet packet;
};

// Write a PUBLISH of a routed message: its topic and payload are encoded from
// the shared message, never copied (the path of every delivery).
struct SendPublish {
  model::MessagePtr message;
  bool dup = false;
  model::QoS qos = model::QoS::kAtMostOnce;
  bool retain = false;
  std::uint16_t packet_id = 0;
  bool topic_omitted = false;  // a Topic Alias stands for it [MQTT-3.3.2-12]
  // MQTT 5 only, and only when a property goes out (none is the common case).
  std::shared_ptr<const mqtt::Properties> properties;

  mqtt::PublishView view() const noexcept {
    mqtt::PublishView v;
    v.dup = dup;
    v.qos = qos;
    v.retain = retain;
    if (!topic_omitted) v.topic = message->topic;
    v.packet_id = packet_id;
    v.properties = properties.get();
    v.payload = message->payload;
    return v;
  }
};

// Close the network connection once what was sent before is written. The
// machine has already sent the CONNACK or DISCONNECT that says why.
struct CloseConnection {
  mqtt::ReasonCode reason = mqtt::ReasonCode::kNormalDisconnection;
  const char* why = "";
};

// Authenticate the CONNECT (issue 8): check its user name and password, or
// the identity of the client's certificate, against the configured rules,
// then answer with on_authenticated(). Nothing else happens meanwhile: the
// check may take a password hash off the network thread.
struct Authenticate {
  std::optional<std::string> username;
  std::optional<std::string> password;
};
// The answer to Authenticate: kSuccess with the user name the client is known
// by from now on (for ACLs; nullopt: anonymous), or why it is refused:
// 0x86 Bad User Name or Password, 0x87 Not authorized, 0x9F Connection rate
// exceeded (3.1.1 return codes 4, 5 and 3).
struct AuthResult {
  mqtt::ReasonCode reason = mqtt::ReasonCode::kSuccess;
  std::optional<std::string> username;
  const char* why = "";
};
// A request the ACL refused (PUBLISH, SUBSCRIBE filter): for the driver's log
// and counters. What the client is told is already in the packets around it.
struct AccessDenied {
  model::TopicAccess access = model::TopicAccess::kWrite;
  std::string topic;
};

// Find or create the session of `client_id` (taking it over from another
// connection [MQTT-3.1.4-3]); answer with on_attached().
struct AttachSession {
  std::string client_id;
  bool clean_start = true;
  std::uint32_t expiry_interval = 0;
};

// Route an application message to the sessions whose subscriptions match it,
// and to the retained index when it is retained. For QoS 1/2 (token != 0) the
// driver commits the message, its delivery records for persistent sessions,
// the retained update and, for QoS 2, the (client, packet id) dedup record in
// one batch, makes it visible to subscribers only after the commit, then
// calls on_committed(token) (D1, D2, D4).
struct RoutePublish {
  model::MessagePtr message;
  Token token = 0;
  std::uint16_t qos2_packet_id = 0;  // non-zero: store the dedup record too
  // A will: accepted with its CONNECT, so never refused for low space now
  // (refusing it would lose it; the guard's margin is there for what was
  // accepted before the volume ran low).
  bool will = false;
};

// A QoS 2 PUBREL arrived: remove the dedup record (D4), then on_committed(token).
struct ReleaseIncoming {
  Token token = 0;
  std::uint16_t packet_id = 0;
};

// Wait until everything the store was given before this has committed, then
// on_committed(token): a QoS 2 PUBLISH re-sent on a new connection while the
// commit its first copy started (on the connection before) is still on its
// way gets its PUBREC once that commit is done (D1, D4).
struct AwaitStore {
  Token token = 0;
};

struct SubscribeRequest {
  std::string filter;
  model::SubscriptionOptions options;  // max_qos already lowered to Maximum QoS
  std::uint32_t subscription_id = 0;
};

// Add these subscriptions for the session (committed first when persistent,
// D1), then on_subscribed(token, results) with one result per request.
struct ApplySubscribe {
  Token token = 0;
  std::vector<SubscribeRequest> requests;
  // Subscriptions the session may hold in all (0: unlimited); a new filter past
  // it is refused with 0x97 Quota exceeded, a replaced one always passes.
  std::size_t max_subscriptions = 0;
};

// Send the retained messages matching `filter` (after the SUBACK it follows),
// through deliver() with retain set [MQTT-3.3.1-9].
struct SendRetained {
  SubscribeRequest subscription;
};

// Remove these subscriptions, then on_unsubscribed(token, existed).
struct ApplyUnsubscribe {
  Token token = 0;
  std::vector<std::string> filters;
};

// A delivery is over: the client acknowledged it, or it was dropped unsent.
// Its record goes (D3; none when `sequence` is 0). Nothing waits.
enum class DropReason : std::uint8_t {
  kNone,           // delivered
  kExpired,        // its Message Expiry Interval ran out first [MQTT-3.3.2-5]
  kTooLarge,       // over the client's Maximum Packet Size [MQTT-3.1.2-25]
  kNotAuthorized,  // the client may not read its topic (ACL, checked at each send)
};
struct DeliveryDone {
  std::uint64_t sequence = 0;
  DropReason dropped = DropReason::kNone;
};

// A QoS 2 delivery to a persistent session is about to go out with this
// packet identifier: record it (D3), then on_committed(token) sends the
// PUBLISH. A restart re-sends it with the same identifier: with a new one the
// client would take it for a new message and deliver it twice.
struct RecordSent {
  Token token = 0;
  std::uint64_t sequence = 0;
  std::uint16_t packet_id = 0;
};
// A QoS 2 delivery reached PUBREC: record that PUBREL is next (D3), then
// on_committed(token) sends the PUBREL.
struct RecordPubrel {
  Token token = 0;
  std::uint64_t sequence = 0;
  std::uint16_t packet_id = 0;
};

// The connection ended without a normal DISCONNECT: publish the will after
// `delay_seconds` unless the client reconnects first [MQTT-3.1.3-9].
struct ScheduleWill {
  model::MessagePtr message;  // expires_at unset: its expiry starts when it is published
  std::uint32_t delay_seconds = 0;
  std::optional<std::uint32_t> message_expiry_interval;
};
// The session's record changed (created, or its expiry interval did): commit
// it, then on_committed(token). CONNACK of a persistent session waits for it.
struct StoreSession {
  Token token = 0;
  std::uint32_t expiry_interval = 0;
  // The connection's will, stored with the session so that a crash still
  // publishes it after its delay.
  std::optional<ScheduleWill> will;
};

// Arm the keep-alive timer: close when nothing arrives for 1.5 × seconds
// [MQTT-3.1.2-22]; 0 disarms it.
struct SetKeepAlive {
  std::uint16_t seconds = 0;
};

// The connection ended. The session lives on for `expiry_interval` seconds
// (0: end it now, dropping its subscriptions and queue).
struct DetachSession {
  std::uint32_t expiry_interval = 0;
};

using Action = std::variant<SendPacket, SendPublish, CloseConnection, Authenticate, AccessDenied,
                            AttachSession, RoutePublish, ReleaseIncoming, ApplySubscribe,
                            SendRetained, ApplyUnsubscribe, DeliveryDone, RecordSent, RecordPubrel,
                            StoreSession, SetKeepAlive, ScheduleWill, DetachSession, AwaitStore>;
using Actions = std::vector<Action>;

// The broker's answer to one SubscribeRequest.
struct SubscribeResult {
  mqtt::ReasonCode reason = mqtt::ReasonCode::kGrantedQoS0;  // granted QoS, or a failure
  bool existed = false;  // replaced a subscription to the same filter
};

}  // namespace cairn::session
