// Malformed packets, part 1: the fixed header (packet type, flags, Remaining
// Length, Maximum Packet Size), fields running past the end or bytes left
// over, bodies where none is allowed, and the sticky error. One row per case;
// the reason codes are those of the table in src/mqtt/README.md. Packet
// identifier 0 and reason codes are in mqtt_malformed_acks_test.cc.
#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// ---- Packet type 0; AUTH (15) in 3.x: 0x81 ----
std::vector<MalformedCase> packet_type_cases() {
  return {
      {"V311_Type0", kV311, {0x00, 0x00}, kMalformed},  // type 0 (reserved), RL 0
      {"V5_Type0", kV5, {0x00, 0x00}, kMalformed},      // type 0 (reserved), RL 0
      {"V31_Type0", kV31, {0x00, 0x00}, kMalformed},    // type 0 (reserved), RL 0
      {"V311_Auth", kV311, {0xF0, 0x00}, kMalformed},   // AUTH does not exist in 3.1.1
      {"V31_Auth", kV31, {0xF0, 0x00}, kMalformed},     // AUTH does not exist in 3.1
      {"V311_AuthWithBody",
       kV311,
       {0xF0,         // AUTH
        0x02,         // RL 2
        0x00, 0x00},  // what would be a v5 reason code and property length
       kMalformed},
  };
}

// ---- Fixed-header flags [MQTT-2.1.3-1]: 0x81 ----
std::vector<MalformedCase> flag_cases() {
  return {
      {"V311_ConnectFlags0001",
       kV311,
       {0x11,                            // CONNECT, flags 0b0001 (must be 0)
        0x0D,                            // RL 13
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
        0x04,                            // level 4
        0x02,                            // clean session
        0x00, 0x3C,                      // keep alive 60
        0x00, 0x01, 'c'},                // client id "c"
       kMalformed},
      {"V5_ConnectFlags1000",
       kV5,
       {0x18,                            // CONNECT, flags 0b1000
        0x0E,                            // RL 14
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
        0x05,                            // level 5
        0x02,                            // clean start
        0x00, 0x3C,                      // keep alive 60
        0x00,                            // property length 0
        0x00, 0x01, 'c'},                // client id "c"
       kMalformed},
      {"V311_ConnackFlags1000", kV311, {0x28, 0x02, 0x00, 0x00}, kMalformed},  // CONNACK, 0b1000
      {"V5_ConnackFlags0001",
       kV5,
       {0x21,   // CONNACK, flags 0b0001
        0x03,   // RL 3
        0x00,   // acknowledge flags
        0x00,   // Success
        0x00},  // property length 0
       kMalformed},
      {"V311_PubackFlags0010", kV311, {0x42, 0x02, 0x00, 0x01}, kMalformed},   // PUBACK, pid 1
      {"V5_PubackFlags0001", kV5, {0x41, 0x02, 0x00, 0x01}, kMalformed},       // PUBACK, pid 1
      {"V311_PubrecFlags0010", kV311, {0x52, 0x02, 0x00, 0x01}, kMalformed},   // PUBREC, pid 1
      {"V5_PubrecFlags0100", kV5, {0x54, 0x02, 0x00, 0x01}, kMalformed},       // PUBREC, pid 1
      {"V311_PubrelFlags0000", kV311, {0x60, 0x02, 0x00, 0x01}, kMalformed},   // PUBREL needs 0010
      {"V311_PubrelFlags0011", kV311, {0x63, 0x02, 0x00, 0x01}, kMalformed},   // PUBREL needs 0010
      {"V5_PubrelFlags0000", kV5, {0x60, 0x02, 0x00, 0x01}, kMalformed},       // PUBREL needs 0010
      {"V31_PubrelFlags0000", kV31, {0x60, 0x02, 0x00, 0x01}, kMalformed},     // PUBREL needs 0010
      {"V311_PubcompFlags1000", kV311, {0x78, 0x02, 0x00, 0x01}, kMalformed},  // PUBCOMP, pid 1
      {"V5_PubcompFlags0010", kV5, {0x72, 0x02, 0x00, 0x01}, kMalformed},      // PUBCOMP, pid 1
      {"V311_SubscribeFlags0000",
       kV311,
       {0x80,             // SUBSCRIBE, flags 0b0000 (must be 0b0010)
        0x06,             // RL 6
        0x00, 0x01,       // packet id 1
        0x00, 0x01, 'a',  // filter "a"
        0x00},            // options: QoS 0
       kMalformed},
      {"V5_SubscribeFlags0011",
       kV5,
       {0x83,             // SUBSCRIBE, flags 0b0011
        0x07,             // RL 7
        0x00, 0x01,       // packet id 1
        0x00,             // property length 0
        0x00, 0x01, 'a',  // filter "a"
        0x00},            // options
       kMalformed},
      {"V311_SubackFlags0010",
       kV311,
       {0x92,        // SUBACK, flags 0b0010 (must be 0)
        0x03,        // RL 3
        0x00, 0x01,  // packet id 1
        0x00},       // Granted QoS 0
       kMalformed},
      {"V311_UnsubscribeFlags0000",
       kV311,
       {0xA0,              // UNSUBSCRIBE, flags 0b0000 (must be 0b0010)
        0x05,              // RL 5
        0x00, 0x01,        // packet id 1
        0x00, 0x01, 'a'},  // filter "a"
       kMalformed},
      {"V5_UnsubscribeFlags1010",
       kV5,
       {0xAA,              // UNSUBSCRIBE, flags 0b1010
        0x06,              // RL 6
        0x00, 0x01,        // packet id 1
        0x00,              // property length 0
        0x00, 0x01, 'a'},  // filter "a"
       kMalformed},
      {"V311_UnsubackFlags0100", kV311, {0xB4, 0x02, 0x00, 0x01}, kMalformed},  // UNSUBACK, pid 1
      {"V311_PingreqFlags0010", kV311, {0xC2, 0x00}, kMalformed},               // PINGREQ, 0b0010
      {"V5_PingreqFlags0001", kV5, {0xC1, 0x00}, kMalformed},                   // PINGREQ, 0b0001
      {"V311_PingrespFlags1111", kV311, {0xDF, 0x00}, kMalformed},              // PINGRESP, 0b1111
      {"V311_DisconnectFlags0001", kV311, {0xE1, 0x00}, kMalformed},  // DISCONNECT, 0b0001
      {"V5_DisconnectFlags1000", kV5, {0xE8, 0x00}, kMalformed},      // DISCONNECT, 0b1000
      {"V5_AuthFlags0010", kV5, {0xF2, 0x00}, kMalformed},            // AUTH, 0b0010
  };
}

// ---- Remaining Length longer than 4 bytes or not in its shortest form [MQTT-1.5.5-1]: 0x81 ----

// A PUBLISH (QoS 0, topic "a") whose Remaining Length 127 is written as
// `length_bytes`, followed by 127 bytes of body.
Bytes publish_127_with_length(const Bytes& length_bytes) {
  Bytes out = {0x30};  // PUBLISH, QoS 0
  out.insert(out.end(), length_bytes.begin(), length_bytes.end());
  const Bytes body = cat({str("a"), Bytes(124, 'x')});  // topic "a" (3 bytes) + 124 bytes payload
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<MalformedCase> remaining_length_cases() {
  return {
      {"V311_RemainingLength5Bytes",
       kV311,
       {0x30,                          // PUBLISH
        0x80, 0x80, 0x80, 0x80, 0x01,  // RL with a fifth byte
        0x00, 0x01, 'a'},              // a topic, never reached
       kMalformed},
      {"V5_RemainingLength5BytesAllOnes",
       kV5,
       {0x30,                           // PUBLISH
        0xFF, 0xFF, 0xFF, 0xFF, 0x7F},  // RL with a fifth byte
       kMalformed},
      {"V311_Pingreq_RemainingLength0In2Bytes",
       kV311,
       {0xC0,         // PINGREQ
        0x80, 0x00},  // RL 0 written in 2 bytes
       kMalformed},
      {"V5_Pingreq_RemainingLength0In2Bytes",
       kV5,
       {0xC0,         // PINGREQ
        0x80, 0x00},  // RL 0 written in 2 bytes
       kMalformed},
      {"V311_Disconnect_RemainingLength0In3Bytes",
       kV311,
       {0xE0,               // DISCONNECT
        0x80, 0x80, 0x00},  // RL 0 written in 3 bytes
       kMalformed},
      {"V5_Disconnect_RemainingLength0In4Bytes",
       kV5,
       {0xE0,                     // DISCONNECT
        0x80, 0x80, 0x80, 0x00},  // RL 0 written in 4 bytes
       kMalformed},
      {"V311_Puback_RemainingLength2In2Bytes",
       kV311,
       {0x40,         // PUBACK
        0x82, 0x00,   // RL 2 written in 2 bytes
        0x00, 0x01},  // packet id 1
       kMalformed},
      {"V5_Puback_RemainingLength2In3Bytes",
       kV5,
       {0x40,              // PUBACK
        0x82, 0x80, 0x00,  // RL 2 written in 3 bytes
        0x00, 0x01},       // packet id 1
       kMalformed},
      {"V311_Publish_RemainingLength127In3Bytes", kV311,
       publish_127_with_length({0xFF, 0x80, 0x00}),  // RL 127 written in 3 bytes
       kMalformed},
      {"V311_Publish_RemainingLength127In2Bytes", kV311,
       publish_127_with_length({0xFF, 0x00}),  // RL 127 written in 2 bytes
       kMalformed},
      {"V5_Publish_RemainingLength127In4Bytes", kV5,
       publish_127_with_length({0xFF, 0x80, 0x80, 0x00}),  // RL 127 written in 4 bytes
       kMalformed},
  };
}

// ---- A field running past the end of the packet, or bytes left over: 0x81 ----
std::vector<MalformedCase> length_cases() {
  return {
      {"V311_Puback_RemainingLength1", kV311, {0x40, 0x01, 0x00}, kMalformed},  // half a pid
      {"V5_Puback_RemainingLength1", kV5, {0x40, 0x01, 0x00}, kMalformed},      // half a pid
      {"V311_Puback_ByteLeftOver",
       kV311,
       {0x40,        // PUBACK
        0x03,        // RL 3: 3.1.1 has no reason code
        0x00, 0x01,  // packet id 1
        0x00},       // left over
       kMalformed},
      {"V31_Pubrec_ByteLeftOver", kV31, {0x50, 0x03, 0x00, 0x01, 0x00}, kMalformed},
      {"V311_Pubrel_ByteLeftOver", kV311, {0x62, 0x03, 0x00, 0x01, 0x00}, kMalformed},
      {"V311_Pubcomp_RemainingLength0", kV311, {0x70, 0x00}, kMalformed},  // no packet id at all
      {"V5_Puback_PropertyLengthPastEnd",
       kV5,
       {0x40,        // PUBACK
        0x04,        // RL 4
        0x00, 0x01,  // packet id 1
        0x00,        // Success
        0x05},       // property length 5, but no bytes follow
       kMalformed},
      {"V5_Puback_ByteLeftOver",
       kV5,
       {0x40,        // PUBACK
        0x05,        // RL 5
        0x00, 0x01,  // packet id 1
        0x10,        // No matching subscribers
        0x00,        // property length 0
        0x00},       // left over
       kMalformed},
      {"V311_Connack_RemainingLength1", kV311, {0x20, 0x01, 0x00}, kMalformed},
      {"V311_Connack_ByteLeftOver",
       kV311,
       {0x20,        // CONNACK
        0x03,        // RL 3: 3.1.1 has no properties
        0x00, 0x00,  // flags, return code 0
        0x00},       // left over
       kMalformed},
      {"V5_Connack_NoPropertyLength",
       kV5,
       {0x20,         // CONNACK
        0x02,         // RL 2
        0x00, 0x00},  // flags, Success; the property length is missing
       kMalformed},
      {"V5_Connack_PropertyLengthPastEnd",
       kV5,
       {0x20,        // CONNACK
        0x03,        // RL 3
        0x00, 0x00,  // flags, Success
        0x01},       // property length 1, but no bytes follow
       kMalformed},
      {"V311_Suback_RemainingLength1", kV311, {0x90, 0x01, 0x00}, kMalformed},
      {"V5_Suback_PropertyLengthPastEnd",
       kV5,
       {0x90,        // SUBACK
        0x04,        // RL 4
        0x00, 0x01,  // packet id 1
        0x02,        // property length 2, one byte left
        0x00},       // would be a reason code
       kMalformed},
      {"V311_Unsuback_ByteLeftOver",
       kV311,
       {0xB0,        // UNSUBACK
        0x03,        // RL 3: 3.1.1 UNSUBACK has no payload
        0x00, 0x01,  // packet id 1
        0x00},       // left over
       kMalformed},
      {"V311_Subscribe_OptionsMissing",
       kV311,
       {0x82,              // SUBSCRIBE
        0x05,              // RL 5
        0x00, 0x01,        // packet id 1
        0x00, 0x01, 'a'},  // filter "a"; the options byte is missing
       kMalformed},
      {"V311_Subscribe_FilterLengthTruncated",
       kV311,
       {0x82,        // SUBSCRIBE
        0x03,        // RL 3
        0x00, 0x01,  // packet id 1
        0x00},       // one byte of a two-byte filter length
       kMalformed},
      {"V311_Subscribe_FilterPastEnd",
       kV311,
       {0x82,             // SUBSCRIBE
        0x06,             // RL 6
        0x00, 0x01,       // packet id 1
        0x00, 0x03, 'a',  // filter of 3 bytes, 1 present
        0x00},            // (would be options)
       kMalformed},
      {"V5_Unsubscribe_FilterPastEnd",
       kV5,
       {0xA2,              // UNSUBSCRIBE
        0x06,              // RL 6
        0x00, 0x01,        // packet id 1
        0x00,              // property length 0
        0x00, 0x05, 'a'},  // filter of 5 bytes, 1 present
       kMalformed},
      {"V5_Disconnect_ByteLeftOver",
       kV5,
       {0xE0,   // DISCONNECT
        0x03,   // RL 3
        0x00,   // Normal disconnection
        0x00,   // property length 0
        0x00},  // left over
       kMalformed},
      {"V5_Disconnect_PropertyLengthPastEnd",
       kV5,
       {0xE0,   // DISCONNECT
        0x02,   // RL 2
        0x00,   // Normal disconnection
        0x03},  // property length 3, none present
       kMalformed},
      {"V5_Auth_PropertyLengthPastEnd",
       kV5,
       {0xF0,   // AUTH
        0x02,   // RL 2
        0x18,   // Continue authentication
        0x01},  // property length 1, none present
       kMalformed},
  };
}

// ---- PINGREQ, PINGRESP and 3.x DISCONNECT with a body: 0x81 ----
std::vector<MalformedCase> empty_body_cases() {
  return {
      {"V311_PingreqWithBody", kV311, {0xC0, 0x01, 0x00}, kMalformed},            // RL 1
      {"V5_PingreqWithBody", kV5, {0xC0, 0x01, 0x00}, kMalformed},                // RL 1
      {"V311_PingrespWithBody", kV311, {0xD0, 0x01, 0x00}, kMalformed},           // RL 1
      {"V5_PingrespWithBody", kV5, {0xD0, 0x02, 0x00, 0x00}, kMalformed},         // RL 2
      {"V311_DisconnectWithBody", kV311, {0xE0, 0x01, 0x00}, kMalformed},         // RL 1
      {"V311_DisconnectWithBody2", kV311, {0xE0, 0x02, 0x00, 0x00}, kMalformed},  // RL 2
      {"V31_DisconnectWithBody", kV31, {0xE0, 0x01, 0x00}, kMalformed},           // RL 1
  };
}

class MalformedHeader : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedHeader, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(PacketType, MalformedHeader, ::testing::ValuesIn(packet_type_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Flags, MalformedHeader, ::testing::ValuesIn(flag_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(RemainingLength, MalformedHeader,
                         ::testing::ValuesIn(remaining_length_cases()), case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Length, MalformedHeader, ::testing::ValuesIn(length_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(EmptyBody, MalformedHeader, ::testing::ValuesIn(empty_body_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls: the rules above are not stricter than the specification ----
std::vector<AcceptedCase> accepted_cases() {
  return {
      {"V5_Auth_RemainingLength0", kV5, {0xF0, 0x00}, PacketType::kAuth},
      {"V5_Auth_Continue",
       kV5,
       {0xF0, 0x07,                   // AUTH, RL 7
        0x18,                         // Continue authentication
        0x05,                         // property length 5
        0x15, 0x00, 0x02, 'm', 'x'},  // Authentication Method "mx"
       PacketType::kAuth},
      {"V311_Pubrel_Flags0010", kV311, {0x62, 0x02, 0x00, 0x01}, PacketType::kPubrel},
      {"V311_Subscribe_Flags0010",
       kV311,
       {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00},
       PacketType::kSubscribe},
      {"V311_Unsubscribe_Flags0010",
       kV311,
       {0xA2, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'},
       PacketType::kUnsubscribe},
      {"V311_Publish_AllFlags",
       kV311,
       {0x3D,             // PUBLISH, DUP, QoS 2, retain
        0x05,             // RL 5
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x01},      // packet id 1
       PacketType::kPublish},
      {"V311_Pingreq", kV311, {0xC0, 0x00}, PacketType::kPingreq},
      {"V5_Pingresp", kV5, {0xD0, 0x00}, PacketType::kPingresp},
      {"V311_Disconnect", kV311, {0xE0, 0x00}, PacketType::kDisconnect},
      {"V5_Disconnect_RemainingLength0", kV5, {0xE0, 0x00}, PacketType::kDisconnect},
      {"V5_Disconnect_CodeOnly", kV5, {0xE0, 0x01, 0x04}, PacketType::kDisconnect},
      {"V5_Disconnect_Code8E", kV5, {0xE0, 0x02, 0x8E, 0x00}, PacketType::kDisconnect},
      {"V5_Puback_RemainingLength2", kV5, {0x40, 0x02, 0xFF, 0xFF}, PacketType::kPuback},
      {"V5_Puback_RemainingLength3", kV5, {0x40, 0x03, 0x00, 0x01, 0x10}, PacketType::kPuback},
      {"V5_Puback_RemainingLength4",
       kV5,
       {0x40, 0x04, 0x00, 0x01, 0x99, 0x00},
       PacketType::kPuback},
      {"V5_Pubrec_Code97", kV5, {0x50, 0x03, 0x00, 0x01, 0x97}, PacketType::kPubrec},
      {"V5_Pubrel_Code92", kV5, {0x62, 0x03, 0x00, 0x01, 0x92}, PacketType::kPubrel},
      {"V5_Pubcomp_Code92", kV5, {0x70, 0x03, 0x00, 0x01, 0x92}, PacketType::kPubcomp},
      {"V311_Suback_Codes_0_1_2_80",
       kV311,
       {0x90, 0x06, 0x00, 0x01,   // SUBACK, RL 6, packet id 1
        0x00, 0x01, 0x02, 0x80},  // QoS 0, 1, 2, Failure
       PacketType::kSuback},
      {"V5_Suback_Codes",
       kV5,
       {0x90, 0x09, 0x00, 0x01, 0x00,         // SUBACK, RL 9, packet id 1, no properties
        0x00, 0x02, 0x80, 0x87, 0x9E, 0xA2},  // QoS 0, QoS 2, 0x80, 0x87, 0x9E, 0xA2
       PacketType::kSuback},
      {"V311_Unsuback", kV311, {0xB0, 0x02, 0x00, 0x01}, PacketType::kUnsuback},
      {"V5_Unsuback_Codes", kV5, {0xB0, 0x05, 0x00, 0x01, 0x00, 0x00, 0x11}, PacketType::kUnsuback},
      {"V311_Publish_RemainingLength128", kV311,
       cat({{0x30, 0x80, 0x01},  // PUBLISH, RL 128 in its shortest form
            str("a"),
            Bytes(125, 'x')}),  // topic "a", 125 bytes of payload
       PacketType::kPublish},
  };
}

class AcceptedHeader : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedHeader, IsAccepted) {
  const AcceptedCase& c = GetParam();
  expect_accepted(c.version, c.bytes, c.type);
}

INSTANTIATE_TEST_SUITE_P(Controls, AcceptedHeader, ::testing::ValuesIn(accepted_cases()),
                         case_name<AcceptedCase>);

// ---- Maximum packet size: 0x95, decided from the fixed header alone ----

TEST(MalformedMaxPacketSize, RefusedFromTheFixedHeaderAloneOneByteLength) {
  FrameDecoder decoder(kV311, 100);
  decoder.feed(Bytes{0x30,    // PUBLISH
                     0x63});  // RL 99: the packet would be 101 bytes; no body is fed
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
  EXPECT_EQ(describe(decoder.next()), describe(result)) << "the error must be sticky";
}

TEST(MalformedMaxPacketSize, RefusedFromTheFixedHeaderAloneTwoByteLength) {
  FrameDecoder decoder(kV5, 1000);
  decoder.feed(Bytes{0x30,          // PUBLISH
                     0xE6, 0x07});  // RL 0x66 + 7 * 128 = 998: 1 + 2 + 998 = 1001 bytes
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
}

TEST(MalformedMaxPacketSize, AtTheLimitFromTheFixedHeaderIsNotRefused) {
  FrameDecoder decoder(kV5, 1000);
  decoder.feed(Bytes{0x30,          // PUBLISH
                     0xE5, 0x07});  // RL 0x65 + 7 * 128 = 997: exactly 1000 bytes
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
}

TEST(MalformedMaxPacketSize, HugeRemainingLengthRefusedWithoutTheBody) {
  FrameDecoder decoder(kV311, 64 * 1024);
  decoder.feed(Bytes{0x10,                      // CONNECT
                     0xFF, 0xFF, 0xFF, 0x7F});  // RL 268,435,455, the largest there is
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
}

TEST(MalformedMaxPacketSize, SetMaxPacketSizeApplies) {
  FrameDecoder decoder(kV311);
  decoder.set_max_packet_size(3);
  EXPECT_EQ(decoder.max_packet_size(), 3u);
  decoder.feed(Bytes{0x40, 0x02});  // PUBACK, RL 2: 4 bytes
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
}

// ---- An error is final ----

TEST(MalformedSticky, LaterValidBytesDoNotClearTheError) {
  FrameDecoder decoder(kV311);
  decoder.feed(Bytes{0x00, 0x00});  // type 0
  const DecodeResult first = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(first)) << describe(first);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(first).reason), reason_hex(kMalformed));
  decoder.feed(Bytes{0xC0, 0x00});  // a valid PINGREQ
  for (int i = 0; i < 3; ++i) {
    const DecodeResult again = decoder.next();
    ASSERT_TRUE(std::holds_alternative<DecodeError>(again)) << describe(again);
    EXPECT_EQ(reason_hex(std::get<DecodeError>(again).reason), reason_hex(kMalformed));
  }
}

TEST(MalformedSticky, ErrorAfterAGoodPacketStays) {
  FrameDecoder decoder(kV311);
  decoder.feed(Bytes{0xC0, 0x00,        // PINGREQ
                     0xC0, 0x01, 0x00,  // PINGREQ with a body
                     0xC0, 0x00});      // PINGREQ
  const DecodeResult first = decoder.next();
  ASSERT_TRUE(std::holds_alternative<Packet>(first)) << describe(first);
  for (int i = 0; i < 3; ++i) {
    const DecodeResult result = decoder.next();
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
    EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kMalformed));
  }
}

TEST(MalformedSticky, PacketTooLargeIsSticky) {
  FrameDecoder decoder(kV5, 10);
  decoder.feed(Bytes{0x30, 0x0A});  // PUBLISH of 12 bytes
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoder.next()));
  decoder.set_max_packet_size(kMaxPossiblePacketSize);
  decoder.feed(Bytes(10, 0x00));
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
}

}  // namespace
}  // namespace cairn::mqtt
