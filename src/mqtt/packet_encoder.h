// Encoding packets to bytes, appended to a buffer the caller reuses.
//
// Sizes are computed first and the buffer grows once per packet, so encoding
// allocates nothing per field. The encoder writes the shortest form the
// version allows (a PUBACK with reason Success and no properties is 2 bytes of
// body in MQTT 5 too). What a version cannot carry is left out: properties and
// reason codes in 3.x, where CONNACK and SUBACK codes are mapped to 3.x values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mqtt/packet.h"
#include "mqtt/protocol_version.h"

namespace cairn::mqtt {

// The whole packet's size in bytes, fixed header included: what a Maximum
// Packet Size is compared with. A CONNECT is sized by its own `version`.
std::size_t encoded_size(const Packet& packet, ProtocolVersion version);

// Appends the packet to `out`. REQUIRES: the packet exists in `version` (AUTH
// only in MQTT 5) and its Remaining Length fits in 268,435,455 bytes.
void encode_packet(const Packet& packet, ProtocolVersion version, std::vector<std::uint8_t>& out);

}  // namespace cairn::mqtt
