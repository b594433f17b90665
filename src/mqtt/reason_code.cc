#include "mqtt/reason_code.h"

#include <array>

namespace cairn::mqtt {
namespace {

using Scope = std::uint16_t;  // one bit per PacketType
constexpr Scope bit(PacketType t) { return static_cast<Scope>(1u << static_cast<unsigned>(t)); }

constexpr Scope kConnack = bit(PacketType::kConnack);
constexpr Scope kPuback = bit(PacketType::kPuback);
constexpr Scope kPubrec = bit(PacketType::kPubrec);
constexpr Scope kPubrel = bit(PacketType::kPubrel);
constexpr Scope kPubcomp = bit(PacketType::kPubcomp);
constexpr Scope kSuback = bit(PacketType::kSuback);
constexpr Scope kUnsuback = bit(PacketType::kUnsuback);
constexpr Scope kDisconnect = bit(PacketType::kDisconnect);
constexpr Scope kAuth = bit(PacketType::kAuth);

struct Entry {
  std::uint8_t code;
  Scope scope;
  std::string_view name;
};

// Table 2-6 of MQTT 5.0, less 0x00 whose name depends on the packet.
constexpr std::array kTable{
    Entry{0x01, kSuback, "Granted QoS 1"},
    Entry{0x02, kSuback, "Granted QoS 2"},
    Entry{0x04, kDisconnect, "Disconnect with Will Message"},
    Entry{0x10, kPuback | kPubrec, "No matching subscribers"},
    Entry{0x11, kUnsuback, "No subscription existed"},
    Entry{0x18, kAuth, "Continue authentication"},
    Entry{0x19, kAuth, "Re-authenticate"},
    Entry{0x80, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect,
          "Unspecified error"},
    Entry{0x81, kConnack | kDisconnect, "Malformed Packet"},
    Entry{0x82, kConnack | kDisconnect, "Protocol Error"},
    Entry{0x83, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect,
          "Implementation specific error"},
    Entry{0x84, kConnack, "Unsupported Protocol Version"},
    Entry{0x85, kConnack, "Client Identifier not valid"},
    Entry{0x86, kConnack, "Bad User Name or Password"},
    Entry{0x87, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect, "Not authorized"},
    Entry{0x88, kConnack, "Server unavailable"},
    Entry{0x89, kConnack | kDisconnect, "Server busy"},
    Entry{0x8A, kConnack, "Banned"},
    Entry{0x8B, kDisconnect, "Server shutting down"},
    Entry{0x8C, kConnack | kDisconnect, "Bad authentication method"},
    Entry{0x8D, kDisconnect, "Keep Alive timeout"},
    Entry{0x8E, kDisconnect, "Session taken over"},
    Entry{0x8F, kSuback | kUnsuback | kDisconnect, "Topic Filter invalid"},
    Entry{0x90, kConnack | kPuback | kPubrec | kDisconnect, "Topic Name invalid"},
    Entry{0x91, kPuback | kPubrec | kSuback | kUnsuback, "Packet Identifier in use"},
    Entry{0x92, kPubrel | kPubcomp, "Packet Identifier not found"},
    Entry{0x93, kDisconnect, "Receive Maximum exceeded"},
    Entry{0x94, kDisconnect, "Topic Alias invalid"},
    Entry{0x95, kConnack | kDisconnect, "Packet too large"},
    Entry{0x96, kDisconnect, "Message rate too high"},
    Entry{0x97, kConnack | kPuback | kPubrec | kSuback | kDisconnect, "Quota exceeded"},
    Entry{0x98, kDisconnect, "Administrative action"},
    Entry{0x99, kConnack | kPuback | kPubrec | kDisconnect, "Payload format invalid"},
    Entry{0x9A, kConnack | kDisconnect, "Retain not supported"},
    Entry{0x9B, kConnack | kDisconnect, "QoS not supported"},
    Entry{0x9C, kConnack | kDisconnect, "Use another server"},
    Entry{0x9D, kConnack | kDisconnect, "Server moved"},
    Entry{0x9E, kSuback | kDisconnect, "Shared Subscriptions not supported"},
    Entry{0x9F, kConnack | kDisconnect, "Connection rate exceeded"},
    Entry{0xA0, kDisconnect, "Maximum connect time"},
    Entry{0xA1, kSuback | kDisconnect, "Subscription Identifiers not supported"},
    Entry{0xA2, kSuback | kDisconnect, "Wildcard Subscriptions not supported"},
};

// 0x00 is allowed everywhere a reason code is carried.
constexpr Scope kZeroScope =
    kConnack | kPuback | kPubrec | kPubrel | kPubcomp | kSuback | kUnsuback | kDisconnect | kAuth;

const Entry* find(std::uint8_t code) {
  for (const Entry& e : kTable) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

std::string_view reason_code_name(ReasonCode code, PacketType type) noexcept {
  const auto value = static_cast<std::uint8_t>(code);
  if (value == 0) {
    if (type == PacketType::kDisconnect) return "Normal disconnection";
    if (type == PacketType::kSuback) return "Granted QoS 0";
    return "Success";
  }
  const Entry* e = find(value);
  return e ? e->name : "Unknown reason code";
}

bool is_reason_code_allowed(PacketType type, ReasonCode code) noexcept {
  const auto value = static_cast<std::uint8_t>(code);
  const Scope scope = value == 0 ? kZeroScope : (find(value) ? find(value)->scope : 0);
  return (scope & bit(type)) != 0;
}

bool may_client_send_in_disconnect(ReasonCode code) noexcept {
  switch (code) {
    case ReasonCode::kNormalDisconnection:
    case ReasonCode::kDisconnectWithWillMessage:
    case ReasonCode::kUnspecifiedError:
    case ReasonCode::kMalformedPacket:
    case ReasonCode::kProtocolError:
    case ReasonCode::kImplementationSpecificError:
    case ReasonCode::kTopicNameInvalid:
    case ReasonCode::kReceiveMaximumExceeded:
    case ReasonCode::kTopicAliasInvalid:
    case ReasonCode::kPacketTooLarge:
    case ReasonCode::kMessageRateTooHigh:
    case ReasonCode::kQuotaExceeded:
    case ReasonCode::kAdministrativeAction:
    case ReasonCode::kPayloadFormatInvalid:
      return true;
    default:
      return false;
  }
}

std::uint8_t to_v3_connack_code(ReasonCode code) noexcept {
  switch (code) {
    case ReasonCode::kSuccess:
      return 0;
    case ReasonCode::kUnsupportedProtocolVersion:
      return 1;
    case ReasonCode::kClientIdentifierNotValid:
      return 2;
    case ReasonCode::kServerUnavailable:
      return 3;
    case ReasonCode::kBadUserNameOrPassword:
    case ReasonCode::kBadAuthenticationMethod:
      return 4;
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kBanned:
      return 5;
    default:
      return 3;
  }
}

std::optional<ReasonCode> from_v3_connack_code(std::uint8_t code) noexcept {
  switch (code) {
    case 0:
      return ReasonCode::kSuccess;
    case 1:
      return ReasonCode::kUnsupportedProtocolVersion;
    case 2:
      return ReasonCode::kClientIdentifierNotValid;
    case 3:
      return ReasonCode::kServerUnavailable;
    case 4:
      return ReasonCode::kBadUserNameOrPassword;
    case 5:
      return ReasonCode::kNotAuthorized;
    default:
      return std::nullopt;
  }
}

}  // namespace cairn::mqtt
