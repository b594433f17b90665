// Decoding one complete packet: fixed-header flags and body to a Packet.
//
// Pure and stateless; FrameDecoder finds packet boundaries and calls this. The
// body of CONNECT is decoded by the version its own Protocol Level names; every
// other packet by `version`, the one agreed at CONNECT.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "mqtt/decode_result.h"
#include "mqtt/packet.h"
#include "mqtt/protocol_version.h"

namespace cairn::mqtt {

// Checks a packet's first byte alone: a known type for `version` and the
// fixed-header flags the specification requires of it [MQTT-2.1.3-1]. Lets a
// FrameDecoder refuse a packet before buffering its body.
std::optional<DecodeError> check_fixed_header(std::uint8_t first_byte, ProtocolVersion version);

// `first_byte` is the packet's first byte (type and flags); `body` is the
// Variable Header and Payload, exactly Remaining Length bytes.
std::variant<Packet, DecodeError> decode_packet(std::uint8_t first_byte,
                                                std::span<const std::uint8_t> body,
                                                ProtocolVersion version);

}  // namespace cairn::mqtt
