// The protocol levels cairn speaks, as carried in CONNECT's Protocol Level byte.
#pragma once

#include <cstdint>

namespace cairn::mqtt {

enum class ProtocolVersion : std::uint8_t {
  kV31 = 3,   // MQTT 3.1, protocol name "MQIsdp"
  kV311 = 4,  // MQTT 3.1.1, protocol name "MQTT"
  kV5 = 5,    // MQTT 5.0, protocol name "MQTT"
};

}  // namespace cairn::mqtt
