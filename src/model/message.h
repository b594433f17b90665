// Message: an application message as the broker holds, routes and stores it.
//
// Immutable once built and shared between every session it is queued for
// (MessagePtr), so fan-out to N subscribers costs N pointers, not N copies.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/qos.h"

namespace cairn::model {

// Wall-clock time: expiry survives restarts, so it is stored as an absolute
// system_clock time point, never as a steady_clock one.
using WallTime = std::chrono::system_clock::time_point;

// Identifies a session for the broker's lifetime (never reused), so shared
// structures refer to sessions without owning them.
using SessionId = std::uint64_t;

// The MQTT 5 properties a broker forwards unchanged from publisher to
// subscribers ([MQTT-3.3.2-15..20]). Empty for messages from 3.x clients.
struct MessageProperties {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;  // in order [MQTT-3.3.2-18]
  bool operator==(const MessageProperties&) const = default;
};

struct Message {
  std::string topic;
  std::string payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  MessageProperties properties;
  // From the Message Expiry Interval: a subscriber gets what remains of it
  // [MQTT-3.3.2-6]; an expired message is not delivered [MQTT-3.3.2-5].
  std::optional<WallTime> expires_at;
  // The publishing session, for No Local [MQTT-3.8.3-3]; 0 for messages the
  // broker makes itself ($SYS).
  SessionId origin = 0;
  bool operator==(const Message&) const = default;
};

using MessagePtr = std::shared_ptr<const Message>;

// The bytes a client gets of a message: topic, payload and forwarded
// properties (what its PUBLISH carries, less the header).
inline std::uint64_t data_bytes(const Message& m) noexcept {
  std::uint64_t bytes = m.topic.size() + m.payload.size();
  const MessageProperties& p = m.properties;
  if (p.content_type) bytes += p.content_type->size();
  if (p.response_topic) bytes += p.response_topic->size();
  if (p.correlation_data) bytes += p.correlation_data->size();
  for (const auto& [k, v] : p.user_properties) bytes += k.size() + v.size();
  return bytes;
}

// What the broker spends to hold a message queued beyond its data: the
// Message with its control block, the payload's allocation, the queue's
// Delivery, allocator headers. Measured (bench/stalled_reader.sh,
// 2026-12-07): a subscriber that stopped reading held 59,075 QoS 0 messages
// of 64 bytes in a 4 MiB window counted by their data alone (71 bytes each),
// for 33 MiB of resident memory: about 480 bytes each beyond their data.
inline constexpr std::uint64_t kMessageOverhead = 512;

// What a queued message weighs for the queue limits and the memory window
// (limits.max_queued_mb, limits.memory_window_mb) and the store's caps in
// bytes: its data and the broker's overhead, so that a limit in bytes
// bounds memory (issue 17, item 4).
inline std::uint64_t footprint(const Message& m) noexcept {
  return kMessageOverhead + data_bytes(m);
}

}  // namespace cairn::model
