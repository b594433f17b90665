// MQTT 5 properties ([MQTT-2.2.2], table 2-4): every property with its
// identifier, wire type and the packets it may appear in, and `Properties`,
// the typed set carried by a packet.
//
// CAIRN_MQTT_PROPERTIES is the one table the rest of the codec is generated
// from: the PropertyId enum, the Properties members, the decoder's checks and
// the encoder's output order (ascending identifier).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/packet_type.h"

namespace cairn::mqtt {

enum class PropertyType : std::uint8_t {
  kByte,
  kTwoByteInteger,
  kFourByteInteger,
  kVariableByteInteger,
  kUtf8String,
  kBinaryData,
  kUtf8StringPair,
};

// Where a property may appear: one bit per packet type (bit n = PacketType n)
// and bit 0, unused by packet types, for the Will Properties of CONNECT.
using PropertyScope = std::uint16_t;
inline constexpr PropertyScope kInWill = 1u << 0;
constexpr PropertyScope in(PacketType type) noexcept {
  return static_cast<PropertyScope>(1u << static_cast<unsigned>(type));
}

// X(identifier, enumerator, member, wire type, name, scope)
#define CAIRN_MQTT_PROPERTIES(X)                                                                   \
  X(0x01, kPayloadFormatIndicator, payload_format_indicator, kByte, "Payload Format Indicator",    \
    in(PacketType::kPublish) | kInWill)                                                            \
  X(0x02, kMessageExpiryInterval, message_expiry_interval, kFourByteInteger,                       \
    "Message Expiry Interval", in(PacketType::kPublish) | kInWill)                                 \
  X(0x03, kContentType, content_type, kUtf8String, "Content Type",                                 \
    in(PacketType::kPublish) | kInWill)                                                            \
  X(0x08, kResponseTopic, response_topic, kUtf8String, "Response Topic",                           \
    in(PacketType::kPublish) | kInWill)                                                            \
  X(0x09, kCorrelationData, correlation_data, kBinaryData, "Correlation Data",                     \
    in(PacketType::kPublish) | kInWill)                                                            \
  X(0x0B, kSubscriptionIdentifier, subscription_identifiers, kVariableByteInteger,                 \
    "Subscription Identifier", in(PacketType::kPublish) | in(PacketType::kSubscribe))              \
  X(0x11, kSessionExpiryInterval, session_expiry_interval, kFourByteInteger,                       \
    "Session Expiry Interval",                                                                     \
    in(PacketType::kConnect) | in(PacketType::kConnack) | in(PacketType::kDisconnect))             \
  X(0x12, kAssignedClientIdentifier, assigned_client_identifier, kUtf8String,                      \
    "Assigned Client Identifier", in(PacketType::kConnack))                                        \
  X(0x13, kServerKeepAlive, server_keep_alive, kTwoByteInteger, "Server Keep Alive",               \
    in(PacketType::kConnack))                                                                      \
  X(0x15, kAuthenticationMethod, authentication_method, kUtf8String, "Authentication Method",      \
    in(PacketType::kConnect) | in(PacketType::kConnack) | in(PacketType::kAuth))                   \
  X(0x16, kAuthenticationData, authentication_data, kBinaryData, "Authentication Data",            \
    in(PacketType::kConnect) | in(PacketType::kConnack) | in(PacketType::kAuth))                   \
  X(0x17, kRequestProblemInformation, request_problem_information, kByte,                          \
    "Request Problem Information", in(PacketType::kConnect))                                       \
  X(0x18, kWillDelayInterval, will_delay_interval, kFourByteInteger, "Will Delay Interval",        \
    kInWill)                                                                                       \
  X(0x19, kRequestResponseInformation, request_response_information, kByte,                        \
    "Request Response Information", in(PacketType::kConnect))                                      \
  X(0x1A, kResponseInformation, response_information, kUtf8String, "Response Information",         \
    in(PacketType::kConnack))                                                                      \
  X(0x1C, kServerReference, server_reference, kUtf8String, "Server Reference",                     \
    in(PacketType::kConnack) | in(PacketType::kDisconnect))                                        \
  X(0x1F, kReasonString, reason_string, kUtf8String, "Reason String",                              \
    in(PacketType::kConnack) | in(PacketType::kPuback) | in(PacketType::kPubrec) |                 \
        in(PacketType::kPubrel) | in(PacketType::kPubcomp) | in(PacketType::kSuback) |             \
        in(PacketType::kUnsuback) | in(PacketType::kDisconnect) | in(PacketType::kAuth))           \
  X(0x21, kReceiveMaximum, receive_maximum, kTwoByteInteger, "Receive Maximum",                    \
    in(PacketType::kConnect) | in(PacketType::kConnack))                                           \
  X(0x22, kTopicAliasMaximum, topic_alias_maximum, kTwoByteInteger, "Topic Alias Maximum",         \
    in(PacketType::kConnect) | in(PacketType::kConnack))                                           \
  X(0x23, kTopicAlias, topic_alias, kTwoByteInteger, "Topic Alias", in(PacketType::kPublish))      \
  X(0x24, kMaximumQoS, maximum_qos, kByte, "Maximum QoS", in(PacketType::kConnack))                \
  X(0x25, kRetainAvailable, retain_available, kByte, "Retain Available", in(PacketType::kConnack)) \
  X(0x26, kUserProperty, user_properties, kUtf8StringPair, "User Property",                        \
    kInWill | in(PacketType::kConnect) | in(PacketType::kConnack) | in(PacketType::kPublish) |     \
        in(PacketType::kPuback) | in(PacketType::kPubrec) | in(PacketType::kPubrel) |              \
        in(PacketType::kPubcomp) | in(PacketType::kSubscribe) | in(PacketType::kSuback) |          \
        in(PacketType::kUnsubscribe) | in(PacketType::kUnsuback) | in(PacketType::kDisconnect) |   \
        in(PacketType::kAuth))                                                                     \
  X(0x27, kMaximumPacketSize, maximum_packet_size, kFourByteInteger, "Maximum Packet Size",        \
    in(PacketType::kConnect) | in(PacketType::kConnack))                                           \
  X(0x28, kWildcardSubscriptionAvailable, wildcard_subscription_available, kByte,                  \
    "Wildcard Subscription Available", in(PacketType::kConnack))                                   \
  X(0x29, kSubscriptionIdentifierAvailable, subscription_identifier_available, kByte,              \
    "Subscription Identifier Available", in(PacketType::kConnack))                                 \
  X(0x2A, kSharedSubscriptionAvailable, shared_subscription_available, kByte,                      \
    "Shared Subscription Available", in(PacketType::kConnack))

enum class PropertyId : std::uint8_t {
#define CAIRN_X(id, enumerator, member, type, name, scope) enumerator = id,
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
};

struct PropertyInfo {
  PropertyId id;
  PropertyType type;
  std::string_view name;
  PropertyScope scope;
};

// The table above as data: every property, in ascending identifier order.
std::span<const PropertyInfo> all_properties() noexcept;
// The entry for a wire identifier, or nullptr when no property has it.
const PropertyInfo* find_property(std::uint8_t id) noexcept;

struct UserProperty {
  std::string key;
  std::string value;
  bool operator==(const UserProperty&) const = default;
};

// How a property of each wire type is held. A property that may appear more
// than once (User Property; Subscription Identifier in a PUBLISH sent to a
// client) is a vector, every other one an optional.
template <PropertyType T>
struct PropertyStorage;
template <>
struct PropertyStorage<PropertyType::kByte> {
  using type = std::optional<std::uint8_t>;
};
template <>
struct PropertyStorage<PropertyType::kTwoByteInteger> {
  using type = std::optional<std::uint16_t>;
};
template <>
struct PropertyStorage<PropertyType::kFourByteInteger> {
  using type = std::optional<std::uint32_t>;
};
template <>
struct PropertyStorage<PropertyType::kVariableByteInteger> {
  using type = std::vector<std::uint32_t>;
};
template <>
struct PropertyStorage<PropertyType::kUtf8String> {
  using type = std::optional<std::string>;
};
template <>
struct PropertyStorage<PropertyType::kBinaryData> {  // binary data held as bytes in a string
  using type = std::optional<std::string>;
};
template <>
struct PropertyStorage<PropertyType::kUtf8StringPair> {
  using type = std::vector<UserProperty>;
};

// The properties of one packet (or of a CONNECT's will). Empty in MQTT 3.x.
struct Properties {
#define CAIRN_X(id, enumerator, member, wire_type, name, scope) \
  PropertyStorage<PropertyType::wire_type>::type member;
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X

  bool operator==(const Properties&) const = default;
  bool empty() const noexcept;
};

}  // namespace cairn::mqtt
