// MQTT 5.0 acknowledgements in the forms a peer may send that cairn's encoder
// does not write: PUBACK, PUBREC, PUBREL and PUBCOMP with Success written out
// or a Property Length of 0, DISCONNECT with Remaining Length 0 to 2, AUTH with
// 0 and 2. Decode only; the encoder's own forms round-trip in
// mqtt_roundtrip_v5_test.cc.
#include <cstdint>

#include <gtest/gtest.h>

#include "mqtt/packet.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"
#include "support/hex.h"
#include "support/roundtrip.h"

namespace cairn::mqtt {
namespace {

using ::cairn::test::Bytes;
using ::cairn::test::bytes;
using ::cairn::test::decodes_to;

constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

template <typename Ack>
Ack ack(std::uint16_t packet_id, ReasonCode code) {
  Ack a;
  a.packet_id = packet_id;
  a.reason_code = code;
  return a;
}

TEST(MqttDecodeV5ShortForms, PublishResponsesWithSuccessWritten) {
  // "If the Remaining Length is 2, there is no Reason Code and the value of
  // 0x00 (Success) is used"; with less than 4 there is no Property Length
  // (§3.4.2.1, §3.4.2.2.1; the same for PUBREC, PUBREL and PUBCOMP).
  struct Case {
    Bytes bytes;
    Packet packet;
  };
  const Case cases[] = {
      {bytes({0x40, 0x02, 0x00, 0x07}),  // PUBACK, RL 2, packet identifier 7
       ack<Puback>(7, ReasonCode::kSuccess)},
      {bytes({0x40, 0x03, 0x00, 0x07,  // PUBACK, RL 3, packet identifier 7
              0x00}),                  //   Success written out
       ack<Puback>(7, ReasonCode::kSuccess)},
      {bytes({0x40, 0x03, 0x00, 0x07,  // PUBACK, RL 3, packet identifier 7
              0x10}),                  //   No matching subscribers
       ack<Puback>(7, ReasonCode::kNoMatchingSubscribers)},
      {bytes({0x40, 0x04, 0x00, 0x07,  // PUBACK, RL 4, packet identifier 7
              0x00,                    //   Success
              0x00}),                  //   property length 0
       ack<Puback>(7, ReasonCode::kSuccess)},
      {bytes({0x50, 0x03, 0x00, 0x07,  // PUBREC, RL 3, packet identifier 7
              0x00}),                  //   Success
       ack<Pubrec>(7, ReasonCode::kSuccess)},
      {bytes({0x50, 0x04, 0x00, 0x07,  // PUBREC, RL 4, packet identifier 7
              0x80,                    //   Unspecified error
              0x00}),                  //   property length 0
       ack<Pubrec>(7, ReasonCode::kUnspecifiedError)},
      {bytes({0x62, 0x03, 0x00, 0x07,  // PUBREL, RL 3, packet identifier 7
              0x00}),                  //   Success
       ack<Pubrel>(7, ReasonCode::kSuccess)},
      {bytes({0x62, 0x04, 0x00, 0x07,  // PUBREL, RL 4, packet identifier 7
              0x92,                    //   Packet Identifier not found
              0x00}),                  //   property length 0
       ack<Pubrel>(7, ReasonCode::kPacketIdentifierNotFound)},
      {bytes({0x70, 0x03, 0x00, 0x07,  // PUBCOMP, RL 3, packet identifier 7
              0x00}),                  //   Success
       ack<Pubcomp>(7, ReasonCode::kSuccess)},
      {bytes({0x70, 0x04, 0x00, 0x07,  // PUBCOMP, RL 4, packet identifier 7
              0x00,                    //   Success
              0x00}),                  //   property length 0
       ack<Pubcomp>(7, ReasonCode::kSuccess)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::cairn::test::hex_dump(c.bytes));
    EXPECT_TRUE(decodes_to(c.bytes, kV5, c.packet));
  }
}

TEST(MqttDecodeV5ShortForms, DisconnectShortForms) {
  // "If the Remaining Length is less than 1 the value of 0x00 (Normal
  // disconnection) is used"; with less than 2 there is no Property Length.
  Disconnect with_will;
  with_will.reason_code = ReasonCode::kDisconnectWithWillMessage;
  EXPECT_TRUE(decodes_to(bytes({0xE0, 0x00}),  // DISCONNECT, RL 0
                         kV5, Disconnect{}));
  EXPECT_TRUE(decodes_to(bytes({0xE0, 0x01,  // DISCONNECT, RL 1
                                0x00}),      //   Normal disconnection
                         kV5, Disconnect{}));
  EXPECT_TRUE(decodes_to(bytes({0xE0, 0x01,  // DISCONNECT, RL 1
                                0x04}),      //   Disconnect with Will Message
                         kV5, with_will));
  EXPECT_TRUE(decodes_to(bytes({0xE0, 0x02,  // DISCONNECT, RL 2
                                0x00,        //   Normal disconnection
                                0x00}),      //   property length 0
                         kV5, Disconnect{}));
}

TEST(MqttDecodeV5ShortForms, AuthShortForms) {
  // "The Reason Code and Property Length can be omitted if the Reason Code is
  // 0x00 (Success) and there are no Properties" (§3.15.2.1).
  EXPECT_TRUE(decodes_to(bytes({0xF0, 0x00}),  // AUTH, RL 0
                         kV5, Auth{}));
  EXPECT_TRUE(decodes_to(bytes({0xF0, 0x02,  // AUTH, RL 2
                                0x00,        //   Success
                                0x00}),      //   property length 0
                         kV5, Auth{}));
}

}  // namespace
}  // namespace cairn::mqtt
