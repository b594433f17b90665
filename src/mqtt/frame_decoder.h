// FrameDecoder: the incremental decoder a connection feeds with whatever bytes
// arrived, in any split, and asks for packets.
//
// It owns a buffer. The caller either copies bytes in with feed(), or reads
// from the socket straight into prepare() and then commit()s what arrived.
// next() returns one Packet per call while whole packets are buffered,
// NeedMore when it needs more bytes, or a DecodeError. An error is final: the
// connection must be closed, so every later call returns the same error.
//
// Maximum Packet Size is enforced from the fixed header alone, before any of
// the body is buffered ([MQTT-3.1.2-24]: 0x95 Packet too large).
//
// Not thread-safe: a decoder belongs to one connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mqtt/decode_result.h"
#include "mqtt/protocol_version.h"

namespace cairn::mqtt {

// The largest packet the protocol can express: 1 byte of type, 4 of Remaining
// Length, and a Remaining Length of at most 268,435,455 ([MQTT-1.5.5]).
inline constexpr std::uint32_t kMaxPossiblePacketSize = 1 + 4 + 268'435'455;

class FrameDecoder {
 public:
  // `version` decodes packets until a CONNECT says otherwise: decoding a valid
  // CONNECT switches the decoder to the version it names.
  explicit FrameDecoder(ProtocolVersion version = ProtocolVersion::kV311,
                        std::uint32_t max_packet_size = kMaxPossiblePacketSize);

  void set_version(ProtocolVersion version) noexcept { version_ = version; }
  ProtocolVersion version() const noexcept { return version_; }
  // The largest whole packet (fixed header included) that next() accepts.
  void set_max_packet_size(std::uint32_t bytes) noexcept { max_packet_size_ = bytes; }
  std::uint32_t max_packet_size() const noexcept { return max_packet_size_; }

  // Writable space for at least `min_bytes` (more when a known packet needs
  // it); valid until the next call on this decoder. Follow with commit().
  std::span<std::uint8_t> prepare(std::size_t min_bytes);
  // Marks `bytes` of the space given by prepare() as filled.
  void commit(std::size_t bytes);
  // Copies `bytes` in; the same as prepare + memcpy + commit.
  void feed(std::span<const std::uint8_t> bytes);

  DecodeResult next();

  // Decodes from bytes the caller holds, consuming from the front of `input`
  // what it used: a whole packet there is decoded in place, with no copy; only
  // an incomplete packet's bytes are kept in the decoder's buffer, to be
  // completed by the next call. Call until NeedMore (then `input` is empty).
  // Gives the same packets and errors as feed() followed by next().
  DecodeResult next_from(std::span<const std::uint8_t>& input);

  // Gives the buffer's memory back when no byte is buffered.
  void release_if_empty() noexcept;

  // Bytes received and not yet returned as packets.
  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  // Decodes the packet at `start` (NeedMore when incomplete, setting
  // next_packet_size_ once the fixed header is whole); `consumed` is its size.
  DecodeResult decode_at(const std::uint8_t* start, std::size_t available, std::size_t& consumed);

  std::vector<std::uint8_t> buffer_;
  std::size_t begin_ = 0;             // first byte not yet decoded
  std::size_t end_ = 0;               // one past the last byte received
  std::size_t next_packet_size_ = 0;  // size of the incomplete packet at begin_, once known
  ProtocolVersion version_;
  std::uint32_t max_packet_size_;
  std::optional<DecodeError> failed_;
};

}  // namespace cairn::mqtt
