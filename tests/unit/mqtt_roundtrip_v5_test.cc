// Round trips of every MQTT 5.0 control packet against bytes derived by hand
// from the MQTT Version 5.0 specification (OASIS Standard, 7 March 2019),
// without properties; mqtt_roundtrip_v5_properties_test.cc and
// mqtt_roundtrip_v5_more_properties_test.cc add them. Every reason code of
// table 2-6 round-trips in each packet that may carry it.
//
// The encoder writes the shortest form (src/mqtt/README.md); the longer forms
// a peer may send instead are in mqtt_roundtrip_v5_short_forms_test.cc.
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include <gtest/gtest.h>

#include "mqtt/packet.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"
#include "support/hex.h"
#include "support/mqtt_print.h"
#include "support/roundtrip.h"

namespace cairn::mqtt {
namespace {

using ::cairn::test::as_string;
using ::cairn::test::Bytes;
using ::cairn::test::bytes;
using ::cairn::test::cat;
using ::cairn::test::describe;
using ::cairn::test::round_trips;
using ::cairn::test::sequence;

constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

// --- CONNECT (§3.1) ----------------------------------------------------------

TEST(MqttRoundTripV5, ConnectMinimal) {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = true;
  connect.keep_alive = 0;
  connect.client_id = "";  // the server assigns one [MQTT-3.1.3-6]

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x0D,                // Remaining Length 13
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x05,                // protocol version 5
      0x02,                // connect flags: Clean Start
      0x00, 0x00,          // keep alive 0
      0x00,                // property length 0
      0x00, 0x00,          // client identifier length 0
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

TEST(MqttRoundTripV5, ConnectKeepAliveWithoutCleanStart) {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = false;
  connect.keep_alive = 60;
  connect.client_id = "c1";

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x0F,                // Remaining Length 15
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x05,                // protocol version 5
      0x00,                // connect flags: none (Clean Start 0)
      0x00, 0x3C,          // keep alive 60 s
      0x00,                // property length 0
      0x00, 0x02,          // client identifier length 2
      'c', '1',            // "c1"
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

TEST(MqttRoundTripV5, ConnectWithWillUserNameAndPassword) {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = true;
  connect.keep_alive = 300;
  connect.client_id = "dev";
  connect.will.emplace();
  connect.will->topic = "w/t";
  connect.will->payload = "bye";
  connect.will->qos = QoS::kAtLeastOnce;
  connect.will->retain = true;
  connect.username = "u";
  connect.password = as_string(bytes({'p', 0x00, 0xFF}));  // Binary Data

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x23,                // Remaining Length 35
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x05,                // protocol version 5
      0xEE,                // flags: user name 0x80 | password 0x40 | will retain 0x20
                           //        | will QoS 1 0x08 | will 0x04 | Clean Start 0x02
      0x01, 0x2C,          // keep alive 300 s
      0x00,                // property length 0
      0x00, 0x03,          // client identifier length 3
      'd', 'e', 'v',       // "dev"
      0x00,                // will property length 0
      0x00, 0x03,          // will topic length 3
      'w', '/', 't',       // "w/t"
      0x00, 0x03,          // will payload length 3
      'b', 'y', 'e',       // "bye"
      0x00, 0x01,          // user name length 1
      'u',                 // "u"
      0x00, 0x03,          // password length 3
      'p', 0x00, 0xFF,     // password bytes
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

TEST(MqttRoundTripV5, ConnectPasswordWithoutUserName) {
  // Allowed from 5.0 on (§3.1.2.9); 3.1.1 forbade it [MQTT-3.1.2-22].
  Connect connect;
  connect.version = kV5;
  connect.client_id = "c";
  connect.password = "pw";

  const Bytes expected = bytes({
      0x10,                  // CONNECT
      0x12,                  // Remaining Length 18
      0x00, 0x04,            // protocol name length 4
      'M',  'Q',  'T', 'T',  // "MQTT"
      0x05,                  // protocol version 5
      0x42,                  // flags: password 0x40 | Clean Start 0x02
      0x00, 0x00,            // keep alive 0
      0x00,                  // property length 0
      0x00, 0x01, 'c',       // client identifier "c"
      0x00, 0x02,            // password length 2
      'p',  'w',             // "pw"
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

TEST(MqttRoundTripV5, ConnectWithWillQoS2AndEmptyPayload) {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = false;
  connect.client_id = "x";
  connect.will.emplace();
  connect.will->topic = "t";
  connect.will->qos = QoS::kExactlyOnce;

  const Bytes expected = bytes({
      0x10,                  // CONNECT
      0x14,                  // Remaining Length 20
      0x00, 0x04,            // protocol name length 4
      'M',  'Q',  'T', 'T',  // "MQTT"
      0x05,                  // protocol version 5
      0x14,                  // flags: will QoS 2 0x10 | will 0x04
      0x00, 0x00,            // keep alive 0
      0x00,                  // property length 0
      0x00, 0x01, 'x',       // client identifier "x"
      0x00,                  // will property length 0
      0x00, 0x01, 't',       // will topic "t"
      0x00, 0x00,            // will payload length 0
  });
  EXPECT_TRUE(round_trips(connect, kV5, expected));
}

// --- CONNACK (§3.2) ----------------------------------------------------------

TEST(MqttRoundTripV5, ConnackSuccess) {
  const Bytes expected = bytes({
      0x20,  // CONNACK
      0x03,  // Remaining Length 3
      0x00,  // acknowledge flags: Session Present 0
      0x00,  // reason code Success
      0x00,  // property length 0
  });
  EXPECT_TRUE(round_trips(Connack{}, kV5, expected));
}

TEST(MqttRoundTripV5, ConnackSessionPresent) {
  Connack connack;
  connack.session_present = true;
  const Bytes expected = bytes({
      0x20,  // CONNACK
      0x03,  // Remaining Length 3
      0x01,  // acknowledge flags: Session Present 1
      0x00,  // reason code Success
      0x00,  // property length 0
  });
  EXPECT_TRUE(round_trips(connack, kV5, expected));
}

TEST(MqttRoundTripV5, ConnackEveryReasonCode) {
  // §3.2.2.2, table 3-1.
  for (std::uint8_t code : {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                            0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F}) {
    Connack connack;
    connack.reason_code = static_cast<ReasonCode>(code);
    SCOPED_TRACE(describe(connack.reason_code));
    const Bytes expected = bytes({
        0x20,  // CONNACK
        0x03,  // Remaining Length 3
        0x00,  // acknowledge flags: Session Present 0 (0 with a failure [MQTT-3.2.2-6])
        code,  // reason code
        0x00,  // property length 0
    });
    EXPECT_TRUE(round_trips(connack, kV5, expected));
  }
}

// --- PUBLISH (§3.3) ----------------------------------------------------------

TEST(MqttRoundTripV5, PublishQoS0) {
  Publish publish;
  publish.topic = "a/b";
  publish.payload = "hi";
  const Bytes expected = bytes({
      0x30,           // PUBLISH, DUP 0, QoS 0, RETAIN 0
      0x08,           // Remaining Length 8
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"; no packet identifier at QoS 0
      0x00,           // property length 0
      'h', 'i',       // payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5, PublishQoS1Dup) {
  Publish publish;
  publish.dup = true;
  publish.qos = QoS::kAtLeastOnce;
  publish.topic = "a/b";
  publish.packet_id = 0x1234;
  publish.payload = "x";
  const Bytes expected = bytes({
      0x3A,           // PUBLISH, DUP 0x08 | QoS 1 0x02
      0x09,           // Remaining Length 9
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"
      0x12, 0x34,     // packet identifier 0x1234
      0x00,           // property length 0
      'x',            // payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5, PublishQoS2Retain) {
  Publish publish;
  publish.qos = QoS::kExactlyOnce;
  publish.retain = true;
  publish.topic = "t";
  publish.packet_id = 0xFFFF;
  publish.payload = "q2";
  const Bytes expected = bytes({
      0x35,        // PUBLISH, QoS 2 0x04 | RETAIN 0x01
      0x08,        // Remaining Length 8
      0x00, 0x01,  // topic name length 1
      't',         // "t"
      0xFF, 0xFF,  // packet identifier 65535
      0x00,        // property length 0
      'q', '2',    // payload
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5, PublishRetainedEmptyPayload) {
  Publish publish;
  publish.retain = true;
  publish.topic = "a/b";
  const Bytes expected = bytes({
      0x31,           // PUBLISH, QoS 0, RETAIN 0x01
      0x06,           // Remaining Length 6
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"
      0x00,           // property length 0; the payload is empty
  });
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5, PublishPayloadOver127Bytes) {
  // 5 (topic "a/b") + 1 (property length) + 200 = 206 = 78 + 1*128: 0xCE, 0x01.
  Publish publish;
  publish.topic = "a/b";
  publish.payload = as_string(sequence(200));
  const Bytes expected = cat(bytes({
                                 0x30,           // PUBLISH, QoS 0
                                 0xCE, 0x01,     // Remaining Length 206
                                 0x00, 0x03,     // topic name length 3
                                 'a', '/', 'b',  // "a/b"
                                 0x00,           // property length 0
                             }),
                             sequence(200));  // payload
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

TEST(MqttRoundTripV5, PublishPayloadNeedingThreeLengthBytes) {
  // 3 (topic "t") + 1 + 16384 = 16388 = 4 + 0*128 + 1*128^2: 0x84, 0x80, 0x01.
  Publish publish;
  publish.topic = "t";
  publish.payload = as_string(sequence(16384));
  const Bytes expected = cat(bytes({
                                 0x30,              // PUBLISH, QoS 0
                                 0x84, 0x80, 0x01,  // Remaining Length 16388
                                 0x00, 0x01, 't',   // topic name "t"
                                 0x00,              // property length 0
                             }),
                             sequence(16384));  // payload
  EXPECT_TRUE(round_trips(publish, kV5, expected));
}

// --- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4 - §3.7) -------------------------------

// Each of `codes` in a response to packet identifier 0x0102: Success with no
// properties as Remaining Length 2, any other code with none as 3 [MQTT-3.4.2.1].
template <typename Ack>
void expect_each_code_round_trips(std::uint8_t first_byte,
                                  std::initializer_list<std::uint8_t> codes) {
  for (std::uint8_t code : codes) {
    Ack ack;
    ack.packet_id = 0x0102;
    ack.reason_code = static_cast<ReasonCode>(code);
    SCOPED_TRACE(describe(Packet(ack)));
    const Bytes expected = code == 0x00 ? bytes({
                                              first_byte,  // the packet type and flags
                                              0x02,        // Remaining Length 2
                                              0x01, 0x02,  // packet identifier 0x0102
                                          })
                                        : bytes({
                                              first_byte,  // the packet type and flags
                                              0x03,        // Remaining Length 3
                                              0x01, 0x02,  // packet identifier 0x0102
                                              code,        // reason code; no properties
                                          });
    EXPECT_TRUE(round_trips(ack, kV5, expected));
  }
}

TEST(MqttRoundTripV5, PubackEveryReasonCode) {
  // §3.4.2.1, table 3-4.
  expect_each_code_round_trips<Puback>(0x40,  // PUBACK
                                       {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
}

TEST(MqttRoundTripV5, PubrecEveryReasonCode) {
  // §3.5.2.1, table 3-5.
  expect_each_code_round_trips<Pubrec>(0x50,  // PUBREC
                                       {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
}

TEST(MqttRoundTripV5, PubrelEveryReasonCode) {
  // §3.6.2.1, table 3-6. PUBREL's flags are 0b0010 [MQTT-3.6.1-1].
  expect_each_code_round_trips<Pubrel>(0x62,  // PUBREL, flags 0b0010
                                       {0x00, 0x92});
}

TEST(MqttRoundTripV5, PubcompEveryReasonCode) {
  // §3.7.2.1, table 3-7.
  expect_each_code_round_trips<Pubcomp>(0x70,  // PUBCOMP
                                        {0x00, 0x92});
}

// --- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 - §3.11) ---------------------

TEST(MqttRoundTripV5, SubscribeEveryOption) {
  Subscribe subscribe;
  subscribe.packet_id = 10;
  auto add = [&](const char* filter, QoS qos, bool no_local, bool retain_as_published,
                 RetainHandling retain_handling) {
    TopicSubscription s;
    s.filter = filter;
    s.options.max_qos = qos;
    s.options.no_local = no_local;
    s.options.retain_as_published = retain_as_published;
    s.options.retain_handling = retain_handling;
    subscribe.subscriptions.push_back(s);
  };
  add("a/+", QoS::kAtMostOnce, false, false, RetainHandling::kSendOnSubscribe);
  add("b/#", QoS::kAtLeastOnce, true, false, RetainHandling::kSendOnSubscribe);
  add("c", QoS::kExactlyOnce, false, true, RetainHandling::kSendOnSubscribe);
  add("d", QoS::kAtMostOnce, false, false, RetainHandling::kSendOnNewSubscribe);
  add("e", QoS::kAtLeastOnce, true, true, RetainHandling::kDoNotSend);
  add("$share/g/f", QoS::kAtLeastOnce, false, false, RetainHandling::kSendOnSubscribe);

  // Subscription options (§3.8.3.1): bits 0-1 Maximum QoS, bit 2 No Local,
  // bit 3 Retain As Published, bits 4-5 Retain Handling, bits 6-7 reserved.
  const Bytes expected = bytes({
      0x82,                            // SUBSCRIBE, flags 0b0010
      0x28,                            // Remaining Length 40
      0x00, 0x0A,                      // packet identifier 10
      0x00,                            // property length 0
      0x00, 0x03, 'a', '/', '+',       // topic filter "a/+"
      0x00,                            //   QoS 0
      0x00, 0x03, 'b', '/', '#',       // topic filter "b/#"
      0x05,                            //   QoS 1 0x01 | No Local 0x04
      0x00, 0x01, 'c',                 // topic filter "c"
      0x0A,                            //   QoS 2 0x02 | Retain As Published 0x08
      0x00, 0x01, 'd',                 // topic filter "d"
      0x10,                            //   QoS 0 | Retain Handling 1 (0x10)
      0x00, 0x01, 'e',                 // topic filter "e"
      0x2D,                            //   QoS 1 | No Local | RAP | Retain Handling 2 (0x20)
      0x00, 0x0A,                      // topic filter length 10
      '$',  's',  'h', 'a', 'r', 'e',  //   "$share
      '/',  'g',  '/', 'f',            //   /g/f": shared, so No Local is 0 [MQTT-3.8.3-4]
      0x01,                            //   QoS 1
  });
  EXPECT_TRUE(round_trips(subscribe, kV5, expected));
}

TEST(MqttRoundTripV5, SubackEveryReasonCode) {
  // §3.9.3, table 3-8: one reason code per filter, in order.
  Suback suback;
  suback.packet_id = 10;
  for (std::uint8_t code :
       {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}) {
    suback.reason_codes.push_back(static_cast<ReasonCode>(code));
  }
  const Bytes expected = bytes({
      0x90,        // SUBACK
      0x0F,        // Remaining Length 15
      0x00, 0x0A,  // packet identifier 10
      0x00,        // property length 0
      0x00,        // Granted QoS 0
      0x01,        // Granted QoS 1
      0x02,        // Granted QoS 2
      0x80,        // Unspecified error
      0x83,        // Implementation specific error
      0x87,        // Not authorized
      0x8F,        // Topic Filter invalid
      0x91,        // Packet Identifier in use
      0x97,        // Quota exceeded
      0x9E,        // Shared Subscriptions not supported
      0xA1,        // Subscription Identifiers not supported
      0xA2,        // Wildcard Subscriptions not supported
  });
  EXPECT_TRUE(round_trips(suback, kV5, expected));
}

TEST(MqttRoundTripV5, Unsubscribe) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 11;
  unsubscribe.filters = {"a/+", "b/#"};
  const Bytes expected = bytes({
      0xA2,                       // UNSUBSCRIBE, flags 0b0010
      0x0D,                       // Remaining Length 13
      0x00, 0x0B,                 // packet identifier 11
      0x00,                       // property length 0
      0x00, 0x03, 'a', '/', '+',  // topic filter "a/+"
      0x00, 0x03, 'b', '/', '#',  // topic filter "b/#"
  });
  EXPECT_TRUE(round_trips(unsubscribe, kV5, expected));
}

TEST(MqttRoundTripV5, UnsubackEveryReasonCode) {
  // §3.11.3, table 3-9.
  Unsuback unsuback;
  unsuback.packet_id = 11;
  for (std::uint8_t code : {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}) {
    unsuback.reason_codes.push_back(static_cast<ReasonCode>(code));
  }
  const Bytes expected = bytes({
      0xB0,        // UNSUBACK
      0x0A,        // Remaining Length 10
      0x00, 0x0B,  // packet identifier 11
      0x00,        // property length 0
      0x00,        // Success
      0x11,        // No subscription existed
      0x80,        // Unspecified error
      0x83,        // Implementation specific error
      0x87,        // Not authorized
      0x8F,        // Topic Filter invalid
      0x91,        // Packet Identifier in use
  });
  EXPECT_TRUE(round_trips(unsuback, kV5, expected));
}

// --- PINGREQ, PINGRESP (§3.12, §3.13) --------------------------------------------

TEST(MqttRoundTripV5, Pingreq) {
  EXPECT_TRUE(round_trips(Pingreq{}, kV5,
                          bytes({0xC0,      // PINGREQ
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV5, Pingresp) {
  EXPECT_TRUE(round_trips(Pingresp{}, kV5,
                          bytes({0xD0,      // PINGRESP
                                 0x00})));  // Remaining Length 0
}

// --- DISCONNECT (§3.14), AUTH (§3.15) --------------------------------------------

TEST(MqttRoundTripV5, DisconnectNormalIsEmpty) {
  // Normal disconnection and no properties: both may be left out (§3.14.2.1).
  EXPECT_TRUE(round_trips(Disconnect{}, kV5,
                          bytes({0xE0,      // DISCONNECT
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV5, DisconnectEveryReasonCode) {
  // §3.14.2.1, table 3-10. With no properties the Property Length is left out.
  for (std::uint8_t code :
       {0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2}) {
    Disconnect disconnect;
    disconnect.reason_code = static_cast<ReasonCode>(code);
    SCOPED_TRACE(describe(disconnect.reason_code));
    const Bytes expected = bytes({
        0xE0,  // DISCONNECT
        0x01,  // Remaining Length 1
        code,  // reason code
    });
    EXPECT_TRUE(round_trips(disconnect, kV5, expected));
  }
}

TEST(MqttRoundTripV5, AuthSuccessIsEmpty) {
  // Success and no properties: both may be left out (§3.15.2.1).
  EXPECT_TRUE(round_trips(Auth{}, kV5,
                          bytes({0xF0,      // AUTH
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV5, AuthContinueAndReauthenticate) {
  // §3.15.2.1, table 3-11. The encoder writes the Property Length with another code.
  for (std::uint8_t code : {0x18, 0x19}) {
    Auth auth;
    auth.reason_code = static_cast<ReasonCode>(code);
    SCOPED_TRACE(describe(auth.reason_code));
    const Bytes expected = bytes({
        0xF0,  // AUTH
        0x02,  // Remaining Length 2
        code,  // reason code: Continue authentication / Re-authenticate
        0x00,  // property length 0
    });
    EXPECT_TRUE(round_trips(auth, kV5, expected));
  }
}

}  // namespace
}  // namespace cairn::mqtt
