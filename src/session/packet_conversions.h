// Internal to src/session: conversions between the codec's packets and the
// model's messages, shared by the machine's incoming and outgoing halves.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

#include "model/message.h"
#include "mqtt/packet.h"

namespace cairn::session::detail {

inline constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;

constexpr bool is_v5(mqtt::ProtocolVersion v) { return v == mqtt::ProtocolVersion::kV5; }

// The properties a broker forwards unchanged, taken out of a PUBLISH or will.
inline model::MessageProperties forwarded_properties(mqtt::Properties&& p) {
  model::MessageProperties out;
  out.payload_format_indicator = p.payload_format_indicator;
  out.content_type = std::move(p.content_type);
  out.response_topic = std::move(p.response_topic);
  out.correlation_data = std::move(p.correlation_data);
  out.user_properties.reserve(p.user_properties.size());
  for (auto& u : p.user_properties) {
    out.user_properties.emplace_back(std::move(u.key), std::move(u.value));
  }
  return out;
}

inline void add_forwarded(const model::MessageProperties& in, mqtt::Properties& p) {
  p.payload_format_indicator = in.payload_format_indicator;
  p.content_type = in.content_type;
  p.response_topic = in.response_topic;
  p.correlation_data = in.correlation_data;
  for (const auto& [key, value] : in.user_properties) p.user_properties.push_back({key, value});
}

// Seconds left before `expires_at`, rounded up so a message is never
// forwarded with an interval of 0 while it is still alive [MQTT-3.3.2-6].
inline std::uint32_t remaining_seconds(model::WallTime expires_at, model::WallTime now) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(expires_at - now).count();
  return static_cast<std::uint32_t>(std::clamp<long long>(left, 1, kNeverExpires - 1));
}

// PUBACK, PUBREC, PUBREL or PUBCOMP for `packet_id`.
template <class P>
P response(std::uint16_t packet_id, mqtt::ReasonCode reason = mqtt::ReasonCode::kSuccess) {
  P p;
  p.packet_id = packet_id;
  p.reason_code = reason;
  return p;
}

}  // namespace cairn::session::detail
