// Malformed packets, part 2: packet identifier 0 where one is required, reason
// codes table 2-6 does not list for the packet, 3.x SUBACK return codes, and
// SUBACK / UNSUBACK without a reason code. The reason codes are those of the
// table in src/mqtt/README.md.
#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// ---- Packet identifier 0 where one is required [MQTT-2.2.1-3]: 0x82 ----
// (PUBLISH, SUBSCRIBE and UNSUBSCRIBE are in their own files.)
std::vector<MalformedCase> packet_id_cases() {
  return {
      {"V311_PubackPacketId0", kV311, {0x40, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_PubackPacketId0", kV5, {0x40, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_PubackPacketId0WithCode",
       kV5,
       {0x40, 0x04,  // PUBACK, RL 4
        0x00, 0x00,  // packet id 0
        0x10,        // No matching subscribers
        0x00},       // property length 0
       kProtocolError},
      {"V311_PubrecPacketId0", kV311, {0x50, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_PubrecPacketId0", kV5, {0x50, 0x02, 0x00, 0x00}, kProtocolError},
      {"V311_PubrelPacketId0", kV311, {0x62, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_PubrelPacketId0", kV5, {0x62, 0x02, 0x00, 0x00}, kProtocolError},
      {"V31_PubrelPacketId0", kV31, {0x62, 0x02, 0x00, 0x00}, kProtocolError},
      {"V311_PubcompPacketId0", kV311, {0x70, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_PubcompPacketId0", kV5, {0x70, 0x02, 0x00, 0x00}, kProtocolError},
      {"V311_SubackPacketId0",
       kV311,
       {0x90, 0x03,  // SUBACK, RL 3
        0x00, 0x00,  // packet id 0
        0x01},       // Granted QoS 1
       kProtocolError},
      {"V5_SubackPacketId0",
       kV5,
       {0x90, 0x04,  // SUBACK, RL 4
        0x00, 0x00,  // packet id 0
        0x00,        // property length 0
        0x01},       // Granted QoS 1
       kProtocolError},
      {"V311_UnsubackPacketId0", kV311, {0xB0, 0x02, 0x00, 0x00}, kProtocolError},
      {"V5_UnsubackPacketId0",
       kV5,
       {0xB0, 0x04,  // UNSUBACK, RL 4
        0x00, 0x00,  // packet id 0
        0x00,        // property length 0
        0x00},       // Success
       kProtocolError},
  };
}

// ---- A reason code table 2-6 does not list for the packet; a 3.x SUBACK code
// other than 0, 1, 2, 0x80; SUBACK / MQTT 5 UNSUBACK without a code: 0x82 ----
// (CONNACK is in the CONNECT file.)
std::vector<MalformedCase> reason_code_cases() {
  return {
      {"V5_Puback_Code04", kV5, {0x40, 0x03, 0x00, 0x01, 0x04}, kProtocolError},  // 0x04 DISC only
      {"V5_Puback_Code8F", kV5, {0x40, 0x03, 0x00, 0x01, 0x8F}, kProtocolError},  // filter invalid
      {"V5_Puback_Code92",
       kV5,
       {0x40, 0x03, 0x00, 0x01, 0x92},
       kProtocolError},  // PUBREL/COMP only
      {"V5_Puback_Code01", kV5, {0x40, 0x03, 0x00, 0x01, 0x01}, kProtocolError},  // SUBACK only
      {"V5_Pubrec_Code92", kV5, {0x50, 0x03, 0x00, 0x01, 0x92}, kProtocolError},
      {"V5_Pubrec_Code8E", kV5, {0x50, 0x03, 0x00, 0x01, 0x8E}, kProtocolError},  // DISC only
      {"V5_Pubrel_Code10", kV5, {0x62, 0x03, 0x00, 0x01, 0x10}, kProtocolError},  // PUBACK/REC only
      {"V5_Pubrel_Code80", kV5, {0x62, 0x03, 0x00, 0x01, 0x80}, kProtocolError},
      {"V5_Pubcomp_Code80", kV5, {0x70, 0x03, 0x00, 0x01, 0x80}, kProtocolError},
      {"V5_Pubcomp_Code91", kV5, {0x70, 0x03, 0x00, 0x01, 0x91}, kProtocolError},
      {"V5_Pubcomp_CodeFF", kV5, {0x70, 0x03, 0x00, 0x01, 0xFF}, kProtocolError},  // no such code
      {"V5_Suback_Code03",
       kV5,
       {0x90, 0x04,  // SUBACK, RL 4
        0x00, 0x01,  // packet id 1
        0x00,        // property length 0
        0x03},       // not a reason code
       kProtocolError},
      {"V5_Suback_Code11",
       kV5,
       {0x90, 0x05,  // SUBACK, RL 5
        0x00, 0x01,  // packet id 1
        0x00,        // property length 0
        0x00,        // Granted QoS 0
        0x11},       // No subscription existed: UNSUBACK only
       kProtocolError},
      {"V5_Suback_Code8F_Allowed_Then_Code90",
       kV5,
       {0x90, 0x05,  // SUBACK, RL 5
        0x00, 0x01,  // packet id 1
        0x00,        // property length 0
        0x8F,        // Topic Filter invalid (allowed)
        0x90},       // Topic Name invalid: not in SUBACK
       kProtocolError},
      {"V5_Unsuback_Code01",
       kV5,
       {0xB0, 0x04,  // UNSUBACK, RL 4
        0x00, 0x01,  // packet id 1
        0x00,        // property length 0
        0x01},       // Granted QoS 1: SUBACK only
       kProtocolError},
      {"V5_Unsuback_Code10",
       kV5,
       {0xB0, 0x04, 0x00, 0x01, 0x00, 0x10},  // No matching subscribers: PUBACK/PUBREC only
       kProtocolError},
      {"V5_Disconnect_Code01", kV5, {0xE0, 0x01, 0x01}, kProtocolError},
      {"V5_Disconnect_Code84", kV5, {0xE0, 0x01, 0x84}, kProtocolError},  // CONNACK only
      {"V5_Disconnect_Code10", kV5, {0xE0, 0x01, 0x10}, kProtocolError},
      {"V5_Disconnect_Code91", kV5, {0xE0, 0x02, 0x91, 0x00}, kProtocolError},  // with prop length
      {"V5_Auth_Code01", kV5, {0xF0, 0x02, 0x01, 0x00}, kProtocolError},
      {"V5_Auth_Code80", kV5, {0xF0, 0x02, 0x80, 0x00}, kProtocolError},
      {"V5_Auth_Code87", kV5, {0xF0, 0x02, 0x87, 0x00}, kProtocolError},
      {"V311_Suback_Code03",
       kV311,
       {0x90, 0x03,  // SUBACK, RL 3
        0x00, 0x01,  // packet id 1
        0x03},       // 3.1.1 return codes are 0, 1, 2 and 0x80
       kProtocolError},
      {"V311_Suback_Code81", kV311, {0x90, 0x03, 0x00, 0x01, 0x81}, kProtocolError},
      {"V311_Suback_Code8F", kV311, {0x90, 0x03, 0x00, 0x01, 0x8F}, kProtocolError},
      {"V311_Suback_SecondCode04",
       kV311,
       {0x90, 0x04, 0x00, 0x01,
        0x80,   // Failure (allowed)
        0x04},  // not a return code
       kProtocolError},
      {"V31_Suback_Code03", kV31, {0x90, 0x03, 0x00, 0x01, 0x03}, kProtocolError},
      // SUBACK / UNSUBACK without a reason code.
      {"V311_Suback_NoCode", kV311, {0x90, 0x02, 0x00, 0x01}, kProtocolError},
      {"V31_Suback_NoCode", kV31, {0x90, 0x02, 0x00, 0x01}, kProtocolError},
      {"V5_Suback_NoCode",
       kV5,
       {0x90, 0x03,  // SUBACK, RL 3
        0x00, 0x01,  // packet id 1
        0x00},       // property length 0, then no reason code
       kProtocolError},
      {"V5_Unsuback_NoCode",
       kV5,
       {0xB0, 0x03,  // UNSUBACK, RL 3
        0x00, 0x01,  // packet id 1
        0x00},       // property length 0, then no reason code
       kProtocolError},
      {"V5_Unsuback_NoCodeAfterProperties",
       kV5,
       {0xB0, 0x07,              // UNSUBACK, RL 7
        0x00, 0x01,              // packet id 1
        0x04,                    // property length 4
        0x1F, 0x00, 0x01, 'x'},  // Reason String "x", then no reason code
       kProtocolError},
  };
}

class MalformedAcks : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedAcks, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(PacketId, MalformedAcks, ::testing::ValuesIn(packet_id_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(ReasonCode, MalformedAcks, ::testing::ValuesIn(reason_code_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls ----

TEST(AcceptedAcks, V5ShortAcksDecodeToSuccessWithoutProperties) {
  const Packet packet = expect_accepted(kV5, {0x40, 0x02, 0x12, 0x34}, PacketType::kPuback);
  const auto& puback = std::get<Puback>(packet);
  EXPECT_EQ(puback.packet_id, 0x1234);
  EXPECT_EQ(puback.reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(puback.properties.empty());

  const Packet disconnect = expect_accepted(kV5, {0xE0, 0x00}, PacketType::kDisconnect);
  EXPECT_EQ(std::get<Disconnect>(disconnect).reason_code, ReasonCode::kNormalDisconnection);
  const Packet with_code = expect_accepted(kV5, {0xE0, 0x01, 0x04}, PacketType::kDisconnect);
  EXPECT_EQ(std::get<Disconnect>(with_code).reason_code, ReasonCode::kDisconnectWithWillMessage);
}

TEST(AcceptedAcks, V311SubackFailureCodeIs0x80) {
  const Packet packet =
      expect_accepted(kV311, {0x90, 0x04, 0x00, 0x07, 0x01, 0x80}, PacketType::kSuback);
  const auto& suback = std::get<Suback>(packet);
  EXPECT_EQ(suback.packet_id, 7);
  ASSERT_EQ(suback.reason_codes.size(), 2u);
  EXPECT_EQ(suback.reason_codes[0], ReasonCode::kGrantedQoS1);
  EXPECT_EQ(suback.reason_codes[1], ReasonCode::kUnspecifiedError);
}

}  // namespace
}  // namespace cairn::mqtt
