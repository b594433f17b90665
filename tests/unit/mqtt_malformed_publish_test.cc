// Malformed packets, part 4: PUBLISH (QoS 3, DUP on QoS 0, wildcards and
// empty topics, packet identifier 0, fields past the end). The reason codes
// are those of the table in src/mqtt/README.md.
#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

std::vector<MalformedCase> publish_cases() {
  return {
      // QoS 3 [MQTT-3.3.1-4]: 0x81.
      {"V311_QoS3",
       kV311,
       {0x36,             // PUBLISH, QoS 3
        0x05,             // RL 5
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x01},      // packet id 1
       kMalformed},
      {"V311_QoS3DupRetain", kV311, {0x3F, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}, kMalformed},
      {"V31_QoS3", kV31, {0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}, kMalformed},
      {"V5_QoS3",
       kV5,
       {0x36,             // PUBLISH, QoS 3
        0x06,             // RL 6
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x01,       // packet id 1
        0x00},            // property length 0
       kMalformed},
      // DUP set on QoS 0 [MQTT-3.3.1-2]: 0x81.
      {"V311_DupOnQoS0",
       kV311,
       {0x38,              // PUBLISH, DUP, QoS 0
        0x03,              // RL 3
        0x00, 0x01, 'a'},  // topic "a"
       kMalformed},
      {"V311_DupRetainOnQoS0", kV311, {0x39, 0x03, 0x00, 0x01, 'a'}, kMalformed},
      {"V5_DupOnQoS0",
       kV5,
       {0x38,             // PUBLISH, DUP, QoS 0
        0x04,             // RL 4
        0x00, 0x01, 'a',  // topic "a"
        0x00},            // property length 0
       kMalformed},
      // Topic name with '+' or '#' [MQTT-3.3.2-2]: 0x90.
      {"V311_TopicPlus", kV311, {0x30, 0x03, 0x00, 0x01, '+'}, kNameInvalid},
      {"V311_TopicHash", kV311, {0x30, 0x03, 0x00, 0x01, '#'}, kNameInvalid},
      {"V311_TopicLevelPlus",
       kV311,
       {0x30, 0x05,                  // PUBLISH, RL 5
        0x00, 0x03, 'a', '/', '+'},  // topic "a/+"
       kNameInvalid},
      {"V311_TopicLevelHash", kV311, {0x30, 0x05, 0x00, 0x03, 'a', '/', '#'}, kNameInvalid},
      {"V311_TopicPlusInsideLevel",
       kV311,
       {0x30, 0x05, 0x00, 0x03, 'a', '+', 'b'},  // topic "a+b"
       kNameInvalid},
      {"V311_TopicHashInsideLevelQoS1",
       kV311,
       {0x32, 0x07,                 // PUBLISH QoS 1, RL 7
        0x00, 0x03, 'a', '#', 'b',  // topic "a#b"
        0x00, 0x01},                // packet id 1
       kNameInvalid},
      {"V31_TopicHash", kV31, {0x30, 0x03, 0x00, 0x01, '#'}, kNameInvalid},
      {"V5_TopicLevelPlus",
       kV5,
       {0x30, 0x06,                 // PUBLISH, RL 6
        0x00, 0x03, 'a', '/', '+',  // topic "a/+"
        0x00},                      // property length 0
       kNameInvalid},
      {"V5_TopicHashWithAlias",
       kV5,
       {0x30, 0x07,               // PUBLISH, RL 7
        0x00, 0x01, '#',          // topic "#"
        0x03, 0x23, 0x00, 0x01},  // Topic Alias 1
       kNameInvalid},
      // Empty topic in 3.x: 0x90.
      {"V311_TopicEmpty",
       kV311,
       {0x30, 0x02,   // PUBLISH, RL 2
        0x00, 0x00},  // topic ""
       kNameInvalid},
      {"V311_TopicEmptyQoS1",
       kV311,
       {0x32, 0x04,   // PUBLISH QoS 1, RL 4
        0x00, 0x00,   // topic ""
        0x00, 0x01},  // packet id 1
       kNameInvalid},
      {"V31_TopicEmpty", kV31, {0x30, 0x02, 0x00, 0x00}, kNameInvalid},
      // MQTT 5: empty topic and no Topic Alias [MQTT-3.3.2-8]: 0x82.
      {"V5_TopicEmptyNoAlias",
       kV5,
       {0x30, 0x03,  // PUBLISH, RL 3
        0x00, 0x00,  // topic ""
        0x00},       // property length 0
       kProtocolError},
      {"V5_TopicEmptyNoAliasQoS1",
       kV5,
       {0x32, 0x05,  // PUBLISH QoS 1, RL 5
        0x00, 0x00,  // topic ""
        0x00, 0x01,  // packet id 1
        0x00},       // property length 0
       kProtocolError},
      {"V5_TopicEmptyOtherPropertiesNoAlias",
       kV5,
       {0x30, 0x05,   // PUBLISH, RL 5
        0x00, 0x00,   // topic ""
        0x02,         // property length 2
        0x01, 0x01},  // Payload Format Indicator 1
       kProtocolError},
      // Packet identifier 0 on QoS 1 and 2 [MQTT-2.2.1-3]: 0x82.
      {"V311_QoS1PacketId0",
       kV311,
       {0x32, 0x05,       // PUBLISH QoS 1, RL 5
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x00},      // packet id 0
       kProtocolError},
      {"V311_QoS2PacketId0", kV311, {0x34, 0x05, 0x00, 0x01, 'a', 0x00, 0x00}, kProtocolError},
      {"V31_QoS1PacketId0", kV31, {0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00}, kProtocolError},
      {"V5_QoS1PacketId0",
       kV5,
       {0x32, 0x06,       // PUBLISH QoS 1, RL 6
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x00,       // packet id 0
        0x00},            // property length 0
       kProtocolError},
      {"V5_QoS2DupPacketId0", kV5, {0x3C, 0x06, 0x00, 0x01, 'a', 0x00, 0x00, 0x00}, kProtocolError},
      // Fields running past the end: 0x81.
      {"V311_TopicPastEnd",
       kV311,
       {0x30, 0x03,        // PUBLISH, RL 3
        0x00, 0x05, 'a'},  // topic of 5 bytes, 1 present
       kMalformed},
      {"V311_TopicLengthTruncated", kV311, {0x30, 0x01, 0x00}, kMalformed},  // half a length
      {"V311_NoTopic", kV311, {0x30, 0x00}, kMalformed},                     // RL 0
      {"V311_QoS1NoPacketId",
       kV311,
       {0x32, 0x03,        // PUBLISH QoS 1, RL 3
        0x00, 0x01, 'a'},  // topic "a", then no packet id
       kMalformed},
      {"V311_QoS2HalfPacketId",
       kV311,
       {0x34, 0x04,       // PUBLISH QoS 2, RL 4
        0x00, 0x01, 'a',  // topic "a"
        0x00},            // half a packet id
       kMalformed},
      {"V5_NoPropertyLength",
       kV5,
       {0x30, 0x03,        // PUBLISH, RL 3
        0x00, 0x01, 'a'},  // topic "a", then no property length
       kMalformed},
      {"V5_QoS1NoPropertyLength",
       kV5,
       {0x32, 0x05,       // PUBLISH QoS 1, RL 5
        0x00, 0x01, 'a',  // topic "a"
        0x00, 0x01},      // packet id 1, then no property length
       kMalformed},
  };
}

class MalformedPublish : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedPublish, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Publish, MalformedPublish, ::testing::ValuesIn(publish_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls ----

const Publish& as_publish(const Packet& packet) { return std::get<Publish>(packet); }

TEST(AcceptedPublish, QoS0BytesAfterTheTopicAreThePayload) {
  // No packet identifier in QoS 0: "00 00" is payload, not a packet id of 0.
  const Packet packet = expect_accepted(kV311,
                                        {0x30, 0x05,       // PUBLISH QoS 0, RL 5
                                         0x00, 0x01, 'a',  // topic "a"
                                         0x00, 0x00},      // payload 00 00
                                        PacketType::kPublish);
  EXPECT_EQ(as_publish(packet).topic, "a");
  EXPECT_EQ(as_publish(packet).payload, std::string("\0\0", 2));
  EXPECT_EQ(as_publish(packet).packet_id, 0);
}

TEST(AcceptedPublish, EmptyPayload) {
  const Packet v311 = expect_accepted(kV311, {0x30, 0x03, 0x00, 0x01, 'a'}, PacketType::kPublish);
  EXPECT_EQ(as_publish(v311).payload, "");
  const Packet v5 = expect_accepted(kV5, {0x30, 0x04, 0x00, 0x01, 'a', 0x00}, PacketType::kPublish);
  EXPECT_EQ(as_publish(v5).payload, "");
}

TEST(AcceptedPublish, FlagsAndPacketId) {
  const Packet packet = expect_accepted(kV311,
                                        {0x3B,             // DUP, QoS 1, retain
                                         0x05,             // RL 5
                                         0x00, 0x01, 'a',  // topic "a"
                                         0xFF, 0xFF},      // packet id 65535
                                        PacketType::kPublish);
  EXPECT_TRUE(as_publish(packet).dup);
  EXPECT_EQ(as_publish(packet).qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(as_publish(packet).retain);
  EXPECT_EQ(as_publish(packet).packet_id, 0xFFFF);
}

TEST(AcceptedPublish, UnusualButValidTopics) {
  for (const std::string topic : {"/", "//", " ", "$SYS/broker", "a/b/c", "$", "a$b", "\x7f"}) {
    SCOPED_TRACE(topic);
    const Packet packet = expect_accepted(kV311, frame(0x30, str(topic)), PacketType::kPublish);
    EXPECT_EQ(as_publish(packet).topic, topic);
  }
}

TEST(AcceptedPublish, V5EmptyTopicWithTopicAlias) {
  const Packet packet = expect_accepted(kV5,
                                        {0x30, 0x06,         // PUBLISH, RL 6
                                         0x00, 0x00,         // topic ""
                                         0x03,               // property length 3
                                         0x23, 0x00, 0x07},  // Topic Alias 7
                                        PacketType::kPublish);
  EXPECT_EQ(as_publish(packet).topic, "");
  EXPECT_EQ(as_publish(packet).properties.topic_alias, std::optional<std::uint16_t>(7));
}

TEST(AcceptedPublish, V5QoS2WithPropertiesAndPayload) {
  const Packet packet = expect_accepted(kV5,
                                        {0x34, 0x0D,                    // PUBLISH QoS 2, RL 13
                                         0x00, 0x01, 't',               // topic "t"
                                         0x12, 0x34,                    // packet id 0x1234
                                         0x05,                          // property length 5
                                         0x02, 0x00, 0x00, 0x01, 0x00,  // Message Expiry 256
                                         'h', 'i'},                     // payload "hi"
                                        PacketType::kPublish);
  EXPECT_EQ(as_publish(packet).packet_id, 0x1234);
  EXPECT_EQ(as_publish(packet).properties.message_expiry_interval,
            std::optional<std::uint32_t>(256));
  EXPECT_EQ(as_publish(packet).payload, "hi");
}

}  // namespace
}  // namespace cairn::mqtt
