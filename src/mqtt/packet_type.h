// MQTT control packet types: the high nibble of a packet's first byte ([MQTT-2.1.2]).
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::mqtt {

enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,  // MQTT 5 only; reserved in 3.1 and 3.1.1
};

std::string_view packet_type_name(PacketType type) noexcept;

}  // namespace cairn::mqtt
