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
#include <string_view>
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

// A PUBLISH whose topic, payload and properties live elsewhere (the broker's
// stored message), encoded without first being copied into a Publish: the
// path of every delivery. Encodes to exactly the bytes of the equal Publish.
struct PublishView {
  bool dup = false;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  std::string_view topic;  // empty in MQTT 5 when a Topic Alias stands for it
  std::uint16_t packet_id = 0;
  const Properties* properties = nullptr;  // MQTT 5 only; null: no properties
  std::string_view payload;
};

// SIZE_MAX when the PUBLISH is too large for MQTT to express at all, so a
// comparison with any Maximum Packet Size refuses it.
std::size_t encoded_size(const PublishView& publish, ProtocolVersion version);
void encode_publish(const PublishView& publish, ProtocolVersion version,
                    std::vector<std::uint8_t>& out);

}  // namespace cairn::mqtt
