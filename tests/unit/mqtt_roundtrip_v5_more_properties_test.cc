// More MQTT 5.0 property round trips, beyond the one-case-per-property table of
// mqtt_roundtrip_v5_properties_test.cc: Reason String and User Properties in
// the acknowledgements, the reason code the encoder must write once properties
// follow, a Property Length of two bytes, every length of Variable Byte Integer
// in a Subscription Identifier, empty strings, integers at their maximum, and
// properties arriving in another order than the encoder's.
#include <cstdint>
#include <string>

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
using ::cairn::test::cat;
using ::cairn::test::decodes_to;
using ::cairn::test::repeat;
using ::cairn::test::round_trips;

constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

// --- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4 - §3.7) -------------------------------

TEST(MqttRoundTripV5MoreProperties, PubackReasonStringAndUserProperties) {
  Puback puback;
  puback.packet_id = 5;
  puback.reason_code = ReasonCode::kNoMatchingSubscribers;
  puback.properties.reason_string = "none";
  puback.properties.user_properties = {{"a", "1"}, {"a", "2"}};
  const Bytes expected = bytes({
      0x40,                   // PUBACK
      0x19,                   // Remaining Length 25
      0x00, 0x05,             // packet identifier 5
      0x10,                   // reason code No matching subscribers
      0x15,                   // property length 21
      0x1F, 0x00, 0x04,       // Reason String, length 4
      'n',  'o',  'n',  'e',  //   "none"
      0x26,                   // User Property
      0x00, 0x01, 'a',        //   key "a"
      0x00, 0x01, '1',        //   value "1"
      0x26,                   // User Property
      0x00, 0x01, 'a',        //   key "a"
      0x00, 0x01, '2',        //   value "2"
  });
  EXPECT_TRUE(round_trips(puback, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PubackSuccessIsWrittenWhenPropertiesFollow) {
  // The Reason Code may be left out only when there are no properties (§3.4.2.1).
  Puback puback;
  puback.packet_id = 5;
  puback.properties.user_properties = {{"a", "1"}};
  const Bytes expected = bytes({
      0x40,             // PUBACK
      0x0B,             // Remaining Length 11
      0x00, 0x05,       // packet identifier 5
      0x00,             // reason code Success
      0x07,             // property length 7
      0x26,             // User Property
      0x00, 0x01, 'a',  //   key "a"
      0x00, 0x01, '1',  //   value "1"
  });
  EXPECT_TRUE(round_trips(puback, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PubrecReasonString) {
  Pubrec pubrec;
  pubrec.packet_id = 6;
  pubrec.reason_code = ReasonCode::kUnspecifiedError;
  pubrec.properties.reason_string = "err";
  const Bytes expected = bytes({
      0x50,              // PUBREC
      0x0A,              // Remaining Length 10
      0x00, 0x06,        // packet identifier 6
      0x80,              // reason code Unspecified error
      0x06,              // property length 6
      0x1F, 0x00, 0x03,  // Reason String, length 3
      'e', 'r', 'r',     //   "err"
  });
  EXPECT_TRUE(round_trips(pubrec, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PubrelUserProperty) {
  Pubrel pubrel;
  pubrel.packet_id = 6;
  pubrel.reason_code = ReasonCode::kPacketIdentifierNotFound;
  pubrel.properties.user_properties = {{"a", "b"}};
  const Bytes expected = bytes({
      0x62,             // PUBREL, flags 0b0010
      0x0B,             // Remaining Length 11
      0x00, 0x06,       // packet identifier 6
      0x92,             // reason code Packet Identifier not found
      0x07,             // property length 7
      0x26,             // User Property
      0x00, 0x01, 'a',  //   key "a"
      0x00, 0x01, 'b',  //   value "b"
  });
  EXPECT_TRUE(round_trips(pubrel, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PubcompSuccessWithReasonString) {
  Pubcomp pubcomp;
  pubcomp.packet_id = 6;
  pubcomp.properties.reason_string = "ok";
  const Bytes expected = bytes({
      0x70,              // PUBCOMP
      0x09,              // Remaining Length 9
      0x00, 0x06,        // packet identifier 6
      0x00,              // reason code Success, written because properties follow
      0x05,              // property length 5
      0x1F, 0x00, 0x02,  // Reason String, length 2
      'o', 'k',          //   "ok"
  });
  EXPECT_TRUE(round_trips(pubcomp, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PropertyLengthOfTwoBytes) {
  // A 130-byte Reason String: property length 1 + 2 + 130 = 133 = 5 + 1*128
  // (0x85, 0x01); Remaining Length 2 + 1 + 2 + 133 = 138 = 10 + 1*128 (0x8A, 0x01).
  Puback puback;
  puback.packet_id = 5;
  puback.reason_code = ReasonCode::kUnspecifiedError;
  puback.properties.reason_string = std::string(130, 'r');
  const Bytes expected = cat(bytes({
                                 0x40,              // PUBACK
                                 0x8A, 0x01,        // Remaining Length 138
                                 0x00, 0x05,        // packet identifier 5
                                 0x80,              // reason code Unspecified error
                                 0x85, 0x01,        // property length 133
                                 0x1F, 0x00, 0x82,  // Reason String, length 130
                             }),
                             repeat('r', 130));  //   "rrr...r"
  EXPECT_TRUE(round_trips(puback, kV5, expected));
}

// --- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 - §3.11) ---------------------

TEST(MqttRoundTripV5MoreProperties, SubackReasonStringAndUserProperty) {
  Suback suback;
  suback.packet_id = 0x10;
  suback.properties.reason_string = "quota";
  suback.properties.user_properties = {{"k", "v"}};
  suback.reason_codes = {ReasonCode::kGrantedQoS1, ReasonCode::kQuotaExceeded};
  const Bytes expected = bytes({
      0x90,                        // SUBACK
      0x14,                        // Remaining Length 20
      0x00, 0x10,                  // packet identifier 16
      0x0F,                        // property length 15
      0x1F, 0x00, 0x05,            // Reason String, length 5
      'q',  'u',  'o',  't', 'a',  //   "quota"
      0x26,                        // User Property
      0x00, 0x01, 'k',             //   key "k"
      0x00, 0x01, 'v',             //   value "v"
      0x01,                        // Granted QoS 1
      0x97,                        // Quota exceeded
  });
  EXPECT_TRUE(round_trips(suback, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, UnsubscribeUserProperty) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 0x11;
  unsubscribe.properties.user_properties = {{"u", "1"}};
  unsubscribe.filters = {"a/b"};
  const Bytes expected = bytes({
      0xA2,                       // UNSUBSCRIBE, flags 0b0010
      0x0F,                       // Remaining Length 15
      0x00, 0x11,                 // packet identifier 17
      0x07,                       // property length 7
      0x26,                       // User Property
      0x00, 0x01, 'u',            //   key "u"
      0x00, 0x01, '1',            //   value "1"
      0x00, 0x03, 'a', '/', 'b',  // topic filter "a/b"
  });
  EXPECT_TRUE(round_trips(unsubscribe, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, UnsubackReasonStringAndUserProperty) {
  Unsuback unsuback;
  unsuback.packet_id = 0x11;
  unsuback.properties.reason_string = "no";
  unsuback.properties.user_properties = {{"u", "1"}};
  unsuback.reason_codes = {ReasonCode::kNoSubscriptionExisted, ReasonCode::kNotAuthorized};
  const Bytes expected = bytes({
      0xB0,              // UNSUBACK
      0x11,              // Remaining Length 17
      0x00, 0x11,        // packet identifier 17
      0x0C,              // property length 12
      0x1F, 0x00, 0x02,  // Reason String, length 2
      'n',  'o',         //   "no"
      0x26,              // User Property
      0x00, 0x01, 'u',   //   key "u"
      0x00, 0x01, '1',   //   value "1"
      0x11,              // No subscription existed
      0x87,              // Not authorized
  });
  EXPECT_TRUE(round_trips(unsuback, kV5, expected));
}

// Subscription Identifier is a Variable Byte Integer (§1.5.5, table 1-1): each
// boundary of its 1, 2, 3 and 4-byte forms.
TEST(MqttRoundTripV5MoreProperties, SubscriptionIdentifierEveryLength) {
  struct Case {
    std::uint32_t id;
    Bytes vbi;
  };
  const Case cases[] = {
      {1, bytes({0x01})},
      {127, bytes({0x7F})},                          // largest 1-byte
      {128, bytes({0x80, 0x01})},                    // 0 + 1*128
      {16383, bytes({0xFF, 0x7F})},                  // largest 2-byte: 127 + 127*128
      {16384, bytes({0x80, 0x80, 0x01})},            // 1*128^2
      {2097151, bytes({0xFF, 0xFF, 0x7F})},          // largest 3-byte
      {2097152, bytes({0x80, 0x80, 0x80, 0x01})},    // 1*128^3
      {268435455, bytes({0xFF, 0xFF, 0xFF, 0x7F})},  // largest 4-byte, the maximum
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    Subscribe subscribe;
    subscribe.packet_id = 1;
    subscribe.properties.subscription_identifiers = {c.id};
    TopicSubscription s;
    s.filter = "t";
    subscribe.subscriptions = {s};
    const auto n = static_cast<std::uint8_t>(c.vbi.size());
    const Bytes expected = cat(bytes({
                                   0x82,                              // SUBSCRIBE
                                   static_cast<std::uint8_t>(8 + n),  // Remaining Length 8 + n
                                   0x00, 0x01,                        // packet identifier 1
                                   static_cast<std::uint8_t>(1 + n),  // property length 1 + n
                                   0x0B,                              // Subscription Identifier
                               }),
                               c.vbi,  //   n bytes
                               bytes({
                                   0x00, 0x01, 't',  // topic filter "t"
                                   0x00,             //   options: QoS 0
                               }));
    EXPECT_TRUE(round_trips(subscribe, kV5, expected));
  }
}

// --- DISCONNECT (§3.14), AUTH (§3.15) --------------------------------------------

TEST(MqttRoundTripV5MoreProperties, DisconnectNormalIsWrittenWhenPropertiesFollow) {
  Disconnect disconnect;
  disconnect.properties.user_properties = {{"a", "b"}};
  const Bytes expected = bytes({
      0xE0,             // DISCONNECT
      0x09,             // Remaining Length 9
      0x00,             // reason code Normal disconnection
      0x07,             // property length 7
      0x26,             // User Property
      0x00, 0x01, 'a',  //   key "a"
      0x00, 0x01, 'b',  //   value "b"
  });
  EXPECT_TRUE(round_trips(disconnect, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, AuthSuccessIsWrittenWhenPropertiesFollow) {
  Auth auth;
  auth.properties.authentication_method = "SCRAM";
  const Bytes expected = bytes({
      0xF0,                     // AUTH
      0x0A,                     // Remaining Length 10
      0x00,                     // reason code Success
      0x08,                     // property length 8
      0x15, 0x00, 0x05,         // Authentication Method, length 5
      'S', 'C', 'R', 'A', 'M',  //   "SCRAM"
  });
  EXPECT_TRUE(round_trips(auth, kV5, expected));
}

// --- User Property strings, property order -----------------------------------

TEST(MqttRoundTripV5MoreProperties, UserPropertyEmptyAndMultiByteStrings) {
  // A UTF-8 String Pair of two empty strings is well formed; "é" is C3 A9 and
  // "€" E2 82 AC (lengths count bytes).
  Publish publish;
  publish.topic = "t";
  publish.properties.user_properties = {{"", ""}, {"\xC3\xA9", "\xE2\x82\xAC"}};
  const Bytes expected = bytes({
      0x30,              // PUBLISH, QoS 0
      0x13,              // Remaining Length 19
      0x00, 0x01, 't',   // topic name "t"
      0x0F,              // property length 15
      0x26,              // User Property
      0x00, 0x00,        //   key ""
      0x00, 0x00,        //   value ""
      0x26,              // User Property
      0x00, 0x02,        //   key length 2
      0xC3, 0xA9,        //   "é"
      0x00, 0x03,        //   value length 3
      0xE2, 0x82, 0xAC,  //   "€"; no payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, EmptyStringAndBinaryPropertiesArePresent) {
  // A property holding a zero-length string is there all the same: 2 bytes of length 0.
  Publish publish;
  publish.topic = "t";
  publish.properties.content_type = "";
  publish.properties.correlation_data = "";
  const Bytes expected = bytes({
      0x30,              // PUBLISH, QoS 0
      0x0A,              // Remaining Length 10
      0x00, 0x01, 't',   // topic name "t"
      0x06,              // property length 6
      0x03, 0x00, 0x00,  // Content Type ""
      0x09, 0x00, 0x00,  // Correlation Data, no bytes; no payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, IntegersAtTheirMaximum) {
  Connect connect;
  connect.version = kV5;
  connect.keep_alive = 0xFFFF;
  connect.properties.session_expiry_interval = 0xFFFFFFFF;
  connect.properties.receive_maximum = 0xFFFF;
  connect.properties.topic_alias_maximum = 0xFFFF;
  connect.properties.maximum_packet_size = 268435460;  // 1 + 4 + 268435455, the largest packet
  const Bytes expected = bytes({
      0x10,                          // CONNECT
      0x1D,                          // Remaining Length 29
      0x00, 0x04,                    // protocol name length 4
      'M',  'Q',  'T',  'T',         // "MQTT"
      0x05,                          // protocol version 5
      0x02,                          // connect flags: Clean Start
      0xFF, 0xFF,                    // keep alive 65535 s
      0x10,                          // property length 16
      0x11, 0xFF, 0xFF, 0xFF, 0xFF,  // Session Expiry Interval 4294967295
      0x21, 0xFF, 0xFF,              // Receive Maximum 65535
      0x22, 0xFF, 0xFF,              // Topic Alias Maximum 65535
      0x27, 0x10, 0x00, 0x00, 0x04,  // Maximum Packet Size 268435460 = 0x10000004
      0x00, 0x00,                    // client identifier ""
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

TEST(MqttRoundTripV5MoreProperties, PropertiesInAnyOrderDecodeAndEncodeAscending) {
  // The specification sets no order; the encoder writes ascending identifiers,
  // and User Properties keep their relative order ([MQTT-3.3.2-18]).
  Publish publish;
  publish.topic = "t";
  publish.payload = "p";
  publish.properties.payload_format_indicator = 1;
  publish.properties.message_expiry_interval = 10;
  publish.properties.topic_alias = 2;
  publish.properties.user_properties = {{"a", "1"}, {"b", "2"}};

  const Bytes as_sent = bytes({
      0x30,                          // PUBLISH, QoS 0
      0x1D,                          // Remaining Length 29
      0x00, 0x01, 't',               // topic name "t"
      0x18,                          // property length 24
      0x26,                          // User Property
      0x00, 0x01, 'a',               //   key "a"
      0x00, 0x01, '1',               //   value "1"
      0x23, 0x00, 0x02,              // Topic Alias 2
      0x01, 0x01,                    // Payload Format Indicator 1
      0x26,                          // User Property
      0x00, 0x01, 'b',               //   key "b"
      0x00, 0x01, '2',               //   value "2"
      0x02, 0x00, 0x00, 0x00, 0x0A,  // Message Expiry Interval 10
      'p',                           // payload
  });
  EXPECT_TRUE(decodes_to(as_sent, kV5, publish));

  const Bytes canonical = bytes({
      0x30,                          // PUBLISH, QoS 0
      0x1D,                          // Remaining Length 29
      0x00, 0x01, 't',               // topic name "t"
      0x18,                          // property length 24
      0x01, 0x01,                    // Payload Format Indicator 1
      0x02, 0x00, 0x00, 0x00, 0x0A,  // Message Expiry Interval 10
      0x23, 0x00, 0x02,              // Topic Alias 2
      0x26,                          // User Property
      0x00, 0x01, 'a',               //   key "a"
      0x00, 0x01, '1',               //   value "1"
      0x26,                          // User Property
      0x00, 0x01, 'b',               //   key "b"
      0x00, 0x01, '2',               //   value "2"
      'p',                           // payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, canonical));
}

}  // namespace
}  // namespace cairn::mqtt
