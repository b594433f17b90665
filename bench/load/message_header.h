// The header every load message carries at the start of its payload: the
// publisher's id, its per-publisher sequence number (from 0) and the
// steady_clock time it was sent, in host byte order (sender and receiver are
// the same process). The rest of the payload is zero padding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace cairn::load {

inline constexpr std::size_t kMessageHeaderSize = 4 + 8 + 8;

struct MessageHeader {
  std::uint32_t publisher = 0;
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;
};

// REQUIRES: `payload` holds at least kMessageHeaderSize bytes.
inline void write_header(const MessageHeader& header, char* payload) {
  std::memcpy(payload, &header.publisher, 4);
  std::memcpy(payload + 4, &header.sequence, 8);
  std::memcpy(payload + 12, &header.sent_ns, 8);
}

inline std::optional<MessageHeader> read_header(std::string_view payload) {
  if (payload.size() < kMessageHeaderSize) return std::nullopt;
  MessageHeader header;
  std::memcpy(&header.publisher, payload.data(), 4);
  std::memcpy(&header.sequence, payload.data() + 4, 8);
  std::memcpy(&header.sent_ns, payload.data() + 12, 8);
  return header;
}

}  // namespace cairn::load
