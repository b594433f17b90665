// How frame_decoder_fuzz reads its input, shared with the seed generator.
//
// The first byte selects how the rest is decoded:
//   bits 0-1  the version the FrameDecoder starts with: 0 = 3.1, 1 = 3.1.1, 2 and 3 = 5.0
//   bits 2-4  how the bytes are split into feeds (see kSplit* below)
//   bits 5-7  the decoder's maximum packet size (see max_packet_size; 0 = 1 MiB)
// The remaining bytes are the stream a peer sent.
#pragma once

#include <cstdint>

#include "mqtt/frame_decoder.h"
#include "mqtt/protocol_version.h"

namespace cairn::fuzz {

enum Split : std::uint8_t {
  kSplitWhole = 0,          // one feed()
  kSplitByteByByte = 1,     // one byte per feed()
  kSplitTwo = 2,            // 2 bytes per feed()
  kSplitSeven = 3,          // 7 bytes per feed()
  kSplitPseudoRandom = 4,   // 1..32 bytes per feed(), from a generator seeded by the input
  kSplitPrepareCommit = 5,  // prepare() + commit() of 1..16 bytes, as a socket read would
  kSplitDrainLate = 6,      // everything fed first, then next() drained (whole-buffer path)
  kSplitHalves = 7,         // two feeds, split in the middle
};

constexpr mqtt::ProtocolVersion selected_version(std::uint8_t selector) noexcept {
  switch (selector & 0x3) {
    case 0:
      return mqtt::ProtocolVersion::kV31;
    case 1:
      return mqtt::ProtocolVersion::kV311;
    default:
      return mqtt::ProtocolVersion::kV5;
  }
}

constexpr Split selected_split(std::uint8_t selector) noexcept {
  return static_cast<Split>((selector >> 2) & 0x7);
}

constexpr std::uint32_t max_packet_size(std::uint8_t selector) noexcept {
  switch (selector >> 5) {
    case 0:
      return 1024 * 1024;  // a typical configured limit
    case 1:
      return 64 * 1024;
    case 2:
      return 256 * 1024;
    case 3:
      // The protocol's own limit: the decoder's buffer grows with the bytes
      // received, not with the size a fixed header claims.
      return mqtt::kMaxPossiblePacketSize;
    case 4:
      return 2;
    case 5:
      return 16;
    case 6:
      return 128;
    default:
      return 4096;
  }
}

constexpr std::uint8_t make_selector(mqtt::ProtocolVersion version, Split split,
                                     std::uint8_t max_size_choice = 0) noexcept {
  std::uint8_t v = version == mqtt::ProtocolVersion::kV31    ? 0
                   : version == mqtt::ProtocolVersion::kV311 ? 1
                                                             : 2;
  return static_cast<std::uint8_t>(v | (split << 2) | (max_size_choice << 5));
}

}  // namespace cairn::fuzz
