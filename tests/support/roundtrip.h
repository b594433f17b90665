// Round-trip checks of the MQTT codec against hand-annotated bytes.
//
//   EXPECT_TRUE(round_trips(packet, ProtocolVersion::kV5, expected));
//
// round_trips = encodes_to + decodes_to:
//  - encodes_to: encode_packet appends exactly `expected` to a buffer that
//    already holds other bytes, and encoded_size is expected.size();
//  - decodes_to: a FrameDecoder fed `expected` whole gives exactly one packet,
//    equal to `packet`, then NeedMore with nothing left buffered; fed byte by
//    byte (for packets of up to 4 KiB) it gives NeedMore until the last byte;
//    fed the bytes twice it gives the packet twice. A CONNECT is decoded by
//    decoders starting at each version, and each must switch to the CONNECT's.
//
// The bytes must be derived from the specification by hand, never pasted from
// the encoder's output: these tests exist to catch encoder bugs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"
#include "mqtt/protocol_version.h"
#include "support/hex.h"
#include "support/mqtt_print.h"

namespace cairn::test {

namespace roundtrip_detail {

// Appends to `failures` what went wrong when one next() call should give `want`.
inline void check_packet(const mqtt::DecodeResult& got, const mqtt::Packet& want,
                         const std::string& step, std::string& failures) {
  const auto* packet = std::get_if<mqtt::Packet>(&got);
  if (packet == nullptr) {
    failures += step + ": expected " + describe(want) + "\n  got " + describe(got) + "\n";
  } else if (!(*packet == want)) {
    failures += step + ": decoded packet differs\n  expected " + describe(want) + "\n  got      " +
                describe(*packet) + "\n";
  }
}

inline void check_need_more(const mqtt::DecodeResult& got, const std::string& step,
                            std::string& failures) {
  if (!std::holds_alternative<mqtt::NeedMore>(got)) {
    failures += step + ": expected NeedMore, got " + describe(got) + "\n";
  }
}

inline std::string version_name(mqtt::ProtocolVersion v) {
  std::ostringstream os;
  mqtt::PrintTo(v, &os);
  return os.str();
}

inline void decode_with(mqtt::ProtocolVersion start, std::span<const std::uint8_t> bytes,
                        const mqtt::Packet& want, std::string& failures) {
  const auto* connect = std::get_if<mqtt::Connect>(&want);
  const std::string where = " (decoder starting at " + version_name(start) + ")";

  {  // whole
    mqtt::FrameDecoder decoder(start);
    decoder.feed(bytes);
    check_packet(decoder.next(), want, "decoding the bytes whole" + where, failures);
    check_need_more(decoder.next(), "after the packet" + where, failures);
    if (decoder.buffered() != 0) {
      failures += "after the packet" + where + ": " + std::to_string(decoder.buffered()) +
                  " bytes still buffered\n";
    }
    if (connect != nullptr && decoder.version() != connect->version) {
      failures += "after the CONNECT" + where + ": decoder version is " +
                  version_name(decoder.version()) + ", expected " + version_name(connect->version) +
                  "\n";
    }
  }

  {  // twice, back to back
    mqtt::FrameDecoder decoder(start);
    decoder.feed(bytes);
    decoder.feed(bytes);
    check_packet(decoder.next(), want, "first of two packets" + where, failures);
    check_packet(decoder.next(), want, "second of two packets" + where, failures);
    check_need_more(decoder.next(), "after two packets" + where, failures);
  }

  if (bytes.size() <= 4096) {  // byte by byte
    mqtt::FrameDecoder decoder(start);
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      decoder.feed(bytes.subspan(i, 1));
      const mqtt::DecodeResult got = decoder.next();
      if (!std::holds_alternative<mqtt::NeedMore>(got)) {
        failures += "fed byte by byte" + where + ": expected NeedMore after " +
                    std::to_string(i + 1) + " of " + std::to_string(bytes.size()) + " bytes, got " +
                    describe(got) + "\n";
        return;
      }
    }
    decoder.feed(bytes.last(1));
    check_packet(decoder.next(), want, "fed byte by byte" + where, failures);
    check_need_more(decoder.next(), "fed byte by byte, after the packet" + where, failures);
  } else {  // in three pieces, so the body arrives after the header
    mqtt::FrameDecoder decoder(start);
    const std::size_t cuts[] = {1, bytes.size() / 2, bytes.size()};
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      decoder.feed(bytes.subspan(from, cut - from));
      from = cut;
      if (cut < bytes.size()) {
        check_need_more(decoder.next(), "fed in pieces, " + std::to_string(cut) + " bytes" + where,
                        failures);
      }
    }
    check_packet(decoder.next(), want, "fed in pieces" + where, failures);
  }
}

}  // namespace roundtrip_detail

// encode_packet(packet, version) appends exactly `expected`, and encoded_size
// agrees. For a CONNECT pass the CONNECT's own version.
inline testing::AssertionResult encodes_to(const mqtt::Packet& packet,
                                           mqtt::ProtocolVersion version, const Bytes& expected) {
  std::string failures;
  const Bytes prefix = {0xEE, 0xFF};  // encode_packet appends: what is there stays
  Bytes out = prefix;
  mqtt::encode_packet(packet, version, out);
  const std::span<const std::uint8_t> all(out);
  if (out.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), out.begin())) {
    failures += "encode_packet changed the bytes already in the buffer\n";
  } else if (auto r = AssertBytesEqual("expected", "encoded", expected, all.subspan(prefix.size()));
             !r) {
    failures += std::string("encoding ") + describe(packet) + "\n" + r.message() + "\n";
  }
  const std::size_t size = mqtt::encoded_size(packet, version);
  if (size != expected.size()) {
    failures += "encoded_size is " + std::to_string(size) + ", expected " +
                std::to_string(expected.size()) + "\n";
  }
  if (failures.empty()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\n" << failures;
}

// A FrameDecoder for `version` decodes `bytes` to exactly `want` (see above).
inline testing::AssertionResult decodes_to(const Bytes& bytes, mqtt::ProtocolVersion version,
                                           const mqtt::Packet& want) {
  std::string failures;
  if (std::holds_alternative<mqtt::Connect>(want)) {
    // A server's decoder starts at 3.1.1; the CONNECT decides. Try every start.
    for (auto start :
         {mqtt::ProtocolVersion::kV311, mqtt::ProtocolVersion::kV31, mqtt::ProtocolVersion::kV5}) {
      roundtrip_detail::decode_with(start, bytes, want, failures);
    }
  } else {
    roundtrip_detail::decode_with(version, bytes, want, failures);
  }
  if (failures.empty()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\n" << failures;
}

// Build, compare bytes, parse, compare again.
inline testing::AssertionResult round_trips(const mqtt::Packet& packet,
                                            mqtt::ProtocolVersion version, const Bytes& expected) {
  const testing::AssertionResult encoded = encodes_to(packet, version, expected);
  const testing::AssertionResult decoded = decodes_to(expected, version, packet);
  if (encoded && decoded) return testing::AssertionSuccess();
  testing::AssertionResult failure = testing::AssertionFailure();
  if (!encoded) failure << "\n[encode]" << encoded.message();
  if (!decoded) failure << "\n[decode]" << decoded.message();
  return failure;
}

}  // namespace cairn::test
