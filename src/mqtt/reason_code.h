// MQTT 5 reason codes ([MQTT-2.4], table 2-6) and the packets each may appear in.
//
// MQTT 3.1/3.1.1 have no reason codes except CONNACK's return code and SUBACK's
// return codes; cairn uses ReasonCode throughout and the codec maps to the
// 3.x values on the wire (see to_v3_connack_code).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mqtt/packet_type.h"

namespace cairn::mqtt {

enum class ReasonCode : std::uint8_t {
  kSuccess = 0x00,  // also Normal disconnection, Granted QoS 0
  kNormalDisconnection = 0x00,
  kGrantedQoS0 = 0x00,
  kGrantedQoS1 = 0x01,
  kGrantedQoS2 = 0x02,
  kDisconnectWithWillMessage = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQoSNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

// The specification's name of `code` as used in a packet of `type` (0x00 is
// "Success", "Normal disconnection" or "Granted QoS 0" depending on the packet).
std::string_view reason_code_name(ReasonCode code, PacketType type) noexcept;

// True when table 2-6 lists `code` for packets of `type`.
bool is_reason_code_allowed(PacketType type, ReasonCode code) noexcept;

// True when a client may send `code` in a DISCONNECT: the "Sent by" column of
// Table 3-10 of MQTT 5.0 names it Client or Client/Server ([MQTT-3.14.2-1]).
bool may_client_send_in_disconnect(ReasonCode code) noexcept;

// True for codes of 0x80 and above, which report a failure [MQTT-2.4].
constexpr bool is_failure(ReasonCode code) noexcept {
  return static_cast<std::uint8_t>(code) >= 0x80;
}

// MQTT 3.1/3.1.1 CONNACK return codes 0..5 ([MQTT-3.2.2.3]) and their MQTT 5
// equivalents. A 5.0 code with no 3.x equivalent maps to the nearest one:
// authentication problems to 4, refusals by policy to 5, the rest to 3
// (server unavailable).
std::uint8_t to_v3_connack_code(ReasonCode code) noexcept;
std::optional<ReasonCode> from_v3_connack_code(std::uint8_t code) noexcept;

}  // namespace cairn::mqtt
