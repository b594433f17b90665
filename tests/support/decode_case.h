// Helpers for the decoder tests: byte builders, a printer for DecodeResult, and
// the table rows of the malformed-packet and accepted-packet suites.
//
// Every expected byte and reason code in those suites comes from the MQTT
// specification and src/mqtt/README.md, never from running the codec.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_type.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"

namespace cairn::mqtt::test {

using Bytes = std::vector<std::uint8_t>;

inline constexpr ProtocolVersion kV31 = ProtocolVersion::kV31;
inline constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
inline constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

inline constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;                      // 0x81
inline constexpr ReasonCode kProtocolError = ReasonCode::kProtocolError;                    // 0x82
inline constexpr ReasonCode kUnsupportedVersion = ReasonCode::kUnsupportedProtocolVersion;  // 0x84
inline constexpr ReasonCode kFilterInvalid = ReasonCode::kTopicFilterInvalid;               // 0x8F
inline constexpr ReasonCode kNameInvalid = ReasonCode::kTopicNameInvalid;                   // 0x90
inline constexpr ReasonCode kTooLarge = ReasonCode::kPacketTooLarge;                        // 0x95

inline const char* version_name(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::kV31:
      return "3.1";
    case ProtocolVersion::kV311:
      return "3.1.1";
    case ProtocolVersion::kV5:
      return "5.0";
  }
  return "?";
}

inline std::string hex(const Bytes& bytes, std::size_t limit = 64) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    if (i != 0) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0F];
  }
  if (bytes.size() > limit) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

inline std::string reason_hex(ReasonCode code) {
  std::ostringstream out;
  out << "0x" << std::hex << std::uppercase << static_cast<int>(code);
  return out.str();
}

// "NeedMore", "Packet <type>" or "DecodeError 0x81 (<why>)", for failure messages.
inline std::string describe(const DecodeResult& result) {
  if (std::holds_alternative<NeedMore>(result)) return "NeedMore";
  if (const auto* packet = std::get_if<Packet>(&result)) {
    return "Packet " + std::string(packet_type_name(packet_type(*packet)));
  }
  const auto& error = std::get<DecodeError>(result);
  return "DecodeError " + reason_hex(error.reason) + " (" + (error.why ? error.why : "") + ")";
}

// ---- Byte builders, for cases generated from a template ----

// Appends `value` as a Variable Byte Integer in its shortest form [MQTT-1.5.5].
inline void put_vbi(Bytes& out, std::uint32_t value) {
  do {
    std::uint8_t byte = value % 128;
    value /= 128;
    if (value > 0) byte |= 0x80;
    out.push_back(byte);
  } while (value > 0);
}

// Concatenates byte runs.
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A UTF-8 Encoded String or Binary Data field: two-byte big-endian length, then the bytes.
inline Bytes str(std::string_view s) {
  Bytes out;
  out.reserve(2 + s.size());
  out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(s.size()));
  for (const char c : s) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

// The raw bytes of `s`, with no length prefix.
inline Bytes raw(std::string_view s) { return Bytes(s.begin(), s.end()); }

// MQTT 5 properties block: Property Length (VBI), then the properties.
inline Bytes props(const Bytes& properties) {
  Bytes out;
  put_vbi(out, static_cast<std::uint32_t>(properties.size()));
  out.insert(out.end(), properties.begin(), properties.end());
  return out;
}

// A whole packet: `first_byte`, Remaining Length in its shortest form, `body`.
inline Bytes frame(std::uint8_t first_byte, const Bytes& body) {
  Bytes out = {first_byte};
  put_vbi(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// ---- Table rows ----

// Bytes a decoder of `version` must refuse with `reason`.
struct MalformedCase {
  std::string name;  // the test's name: letters, digits and '_'
  ProtocolVersion version;
  Bytes bytes;
  ReasonCode reason;
};

inline void PrintTo(const MalformedCase& c, std::ostream* os) {
  *os << c.name << " [" << version_name(c.version) << "] " << hex(c.bytes) << " -> "
      << reason_hex(c.reason);
}

// Bytes a decoder of `version` must accept as exactly one packet of `type`.
struct AcceptedCase {
  std::string name;
  ProtocolVersion version;
  Bytes bytes;
  PacketType type;
};

inline void PrintTo(const AcceptedCase& c, std::ostream* os) {
  *os << c.name << " [" << version_name(c.version) << "] " << hex(c.bytes) << " -> "
      << packet_type_name(c.type);
}

template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// Feeds `bytes` whole to a fresh decoder and asserts that the first next() is
// a DecodeError with `reason`, and that the error is sticky.
inline void expect_refused(ProtocolVersion version, const Bytes& bytes, ReasonCode reason) {
  FrameDecoder decoder(version);
  decoder.feed(bytes);
  const DecodeResult first = decoder.next();
  const auto* error = std::get_if<DecodeError>(&first);
  ASSERT_NE(error, nullptr) << "expected DecodeError " << reason_hex(reason) << ", got "
                            << describe(first) << "\n  bytes: " << hex(bytes);
  EXPECT_EQ(reason_hex(error->reason), reason_hex(reason))
      << "why: " << (error->why ? error->why : "") << "\n  bytes: " << hex(bytes);
  const DecodeResult again = decoder.next();
  EXPECT_EQ(describe(again), describe(first)) << "the error must be sticky";
}

// Feeds `bytes` whole to a fresh decoder and returns the first packet, after
// asserting that it has `type` and that nothing is left over.
inline Packet expect_accepted(ProtocolVersion version, const Bytes& bytes, PacketType type) {
  FrameDecoder decoder(version);
  decoder.feed(bytes);
  const DecodeResult first = decoder.next();
  const auto* packet = std::get_if<Packet>(&first);
  EXPECT_NE(packet, nullptr) << "expected Packet " << packet_type_name(type) << ", got "
                             << describe(first) << "\n  bytes: " << hex(bytes);
  if (packet == nullptr) return Pingreq{};
  EXPECT_EQ(packet_type_name(packet_type(*packet)), packet_type_name(type));
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  return *packet;
}

// A PUBLISH whose payload is `payload` bytes of a fixed pattern.
inline Publish make_publish(QoS qos, std::uint16_t packet_id, std::string topic,
                            std::size_t payload) {
  Publish p;
  p.qos = qos;
  p.packet_id = packet_id;
  p.topic = std::move(topic);
  p.payload.resize(payload);
  for (std::size_t i = 0; i < payload; ++i) p.payload[i] = static_cast<char>(i * 7 + 3);
  return p;
}

// Calls next() until NeedMore, appending the packets; fails on an error.
inline void drain(FrameDecoder& decoder, std::vector<Packet>& out) {
  for (;;) {
    DecodeResult result = decoder.next();
    if (std::holds_alternative<NeedMore>(result)) return;
    if (auto* packet = std::get_if<Packet>(&result)) {
      out.push_back(std::move(*packet));
      continue;
    }
    ADD_FAILURE() << "after " << out.size() << " packets: " << describe(result);
    return;
  }
}

// Expects the packets to be equal one by one.
inline void expect_same_packets(const std::vector<Packet>& actual,
                                const std::vector<Packet>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(actual[i] == expected[i])
        << "packet " << i << " (" << packet_type_name(packet_type(expected[i]))
        << ") decodes differently";
  }
}

}  // namespace cairn::mqtt::test
