// What decoding bytes can give: a packet, a need for more bytes, or an error
// carrying the reason code the specification names for it.
#pragma once

#include <variant>

#include "mqtt/packet.h"
#include "mqtt/reason_code.h"

namespace cairn::mqtt {

// A packet the specification says must not be accepted. `reason` is the code
// to send (in a CONNACK before the session exists, else in a DISCONNECT for
// MQTT 5; a 3.x peer is disconnected). `why` is a static string for the log.
struct DecodeError {
  ReasonCode reason = ReasonCode::kMalformedPacket;
  const char* why = "";
  friend bool operator==(const DecodeError& a, const DecodeError& b) noexcept {
    return a.reason == b.reason;  // `why` is prose, not part of the verdict
  }
};

struct NeedMore {
  bool operator==(const NeedMore&) const = default;
};

using DecodeResult = std::variant<NeedMore, Packet, DecodeError>;

}  // namespace cairn::mqtt
