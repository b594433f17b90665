// The 15 MQTT control packets as value types, and `Packet`, the variant of them.
//
// One struct per packet, holding what every supported version can carry; the
// codec ignores what a version has no room for (properties and reason codes
// in 3.x). Strings own their bytes; Binary Data and payloads are held as bytes
// in a std::string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/qos.h"
#include "model/subscription.h"
#include "mqtt/packet_type.h"
#include "mqtt/property.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"

namespace cairn::mqtt {

using model::QoS;

struct Will {
  std::string topic;
  std::string payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  Properties properties;  // MQTT 5 Will Properties
  bool operator==(const Will&) const = default;
};

struct Connect {
  static constexpr PacketType kType = PacketType::kConnect;
  ProtocolVersion version = ProtocolVersion::kV311;
  bool clean_start = true;  // "Clean Session" in 3.x
  std::uint16_t keep_alive = 0;
  Properties properties;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // Binary Data
  bool operator==(const Connect&) const = default;
};

struct Connack {
  static constexpr PacketType kType = PacketType::kConnack;
  bool session_present = false;
  ReasonCode reason_code = ReasonCode::kSuccess;  // mapped to a return code in 3.x
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  static constexpr PacketType kType = PacketType::kPublish;
  bool dup = false;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  std::string topic;            // empty in MQTT 5 when a Topic Alias stands for it
  std::uint16_t packet_id = 0;  // present only for QoS 1 and 2
  Properties properties;
  std::string payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout ([MQTT-3.4] to [MQTT-3.7]).
template <PacketType T>
struct PublishResponse {
  static constexpr PacketType kType = T;
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const PublishResponse&) const = default;
};
using Puback = PublishResponse<PacketType::kPuback>;
using Pubrec = PublishResponse<PacketType::kPubrec>;
using Pubrel = PublishResponse<PacketType::kPubrel>;
using Pubcomp = PublishResponse<PacketType::kPubcomp>;

// The Subscription Options byte ([MQTT-3.8.3.1]); 3.x carries only max_qos.
using model::RetainHandling;
using model::SubscriptionOptions;

struct TopicSubscription {
  std::string filter;
  SubscriptionOptions options;
  bool operator==(const TopicSubscription&) const = default;
};

struct Subscribe {
  static constexpr PacketType kType = PacketType::kSubscribe;
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<TopicSubscription> subscriptions;  // at least one
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  static constexpr PacketType kType = PacketType::kSuback;
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reason_codes;  // one per requested filter
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  static constexpr PacketType kType = PacketType::kUnsubscribe;
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string> filters;  // at least one
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  static constexpr PacketType kType = PacketType::kUnsuback;
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reason_codes;  // MQTT 5 only; 3.x UNSUBACK has no payload
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  static constexpr PacketType kType = PacketType::kPingreq;
  bool operator==(const Pingreq&) const = default;
};

struct Pingresp {
  static constexpr PacketType kType = PacketType::kPingresp;
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  static constexpr PacketType kType = PacketType::kDisconnect;
  ReasonCode reason_code = ReasonCode::kNormalDisconnection;
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {  // MQTT 5 only
  static constexpr PacketType kType = PacketType::kAuth;
  ReasonCode reason_code = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType packet_type(const Packet& packet) noexcept;

}  // namespace cairn::mqtt
