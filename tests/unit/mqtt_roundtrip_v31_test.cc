// Round trips of every MQTT 3.1 control packet against bytes derived by hand
// from the MQTT V3.1 Protocol Specification (IBM / Eurotech, 2010). 3.1 is
// 3.1.1's wire format but for CONNECT's protocol name "MQIsdp" and level 3, a
// CONNACK whose first byte is reserved (no Session Present), and a SUBACK that
// only grants QoS 0, 1 or 2 (no 0x80 failure code).
#include <cstddef>
#include <cstdint>

#include <gtest/gtest.h>

#include "mqtt/packet.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"
#include "support/hex.h"
#include "support/roundtrip.h"

namespace cairn::mqtt {
namespace {

using ::cairn::test::as_string;
using ::cairn::test::Bytes;
using ::cairn::test::bytes;
using ::cairn::test::cat;
using ::cairn::test::round_trips;
using ::cairn::test::sequence;

constexpr ProtocolVersion kV31 = ProtocolVersion::kV31;

// --- CONNECT (§3.1) ----------------------------------------------------------

TEST(MqttRoundTripV31, ConnectMinimal) {
  // A 3.1 client identifier has 1 to 23 characters: it cannot be empty.
  Connect connect;
  connect.version = kV31;
  connect.clean_start = true;
  connect.keep_alive = 0;
  connect.client_id = "c";

  const Bytes expected = bytes({
      0x10,                          // CONNECT
      0x0F,                          // Remaining Length 15
      0x00, 0x06,                    // protocol name length 6
      'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
      0x03,                          // protocol version 3
      0x02,                          // connect flags: Clean Session
      0x00, 0x00,                    // keep alive 0
      0x00, 0x01,                    // client identifier length 1
      'c',                           // "c"
  });
  EXPECT_TRUE(round_trips(connect, kV31, expected));
}

TEST(MqttRoundTripV31, ConnectKeepAliveWithoutCleanSession) {
  Connect connect;
  connect.version = kV31;
  connect.clean_start = false;
  connect.keep_alive = 60;
  connect.client_id = "c1";

  const Bytes expected = bytes({
      0x10,                          // CONNECT
      0x10,                          // Remaining Length 16
      0x00, 0x06,                    // protocol name length 6
      'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
      0x03,                          // protocol version 3
      0x00,                          // connect flags: none (Clean Session 0)
      0x00, 0x3C,                    // keep alive 60 s
      0x00, 0x02,                    // client identifier length 2
      'c', '1',                      // "c1"
  });
  EXPECT_TRUE(round_trips(connect, kV31, expected));
}

TEST(MqttRoundTripV31, ConnectWithWillUserNameAndPassword) {
  Connect connect;
  connect.version = kV31;
  connect.clean_start = true;
  connect.keep_alive = 300;
  connect.client_id = "dev";
  connect.will.emplace();
  connect.will->topic = "w/t";
  connect.will->payload = "bye";
  connect.will->qos = QoS::kAtLeastOnce;
  connect.will->retain = true;
  connect.username = "u";
  connect.password = "pw";

  const Bytes expected = bytes({
      0x10,                          // CONNECT
      0x22,                          // Remaining Length 34
      0x00, 0x06,                    // protocol name length 6
      'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
      0x03,                          // protocol version 3
      0xEE,                          // flags: user name 0x80 | password 0x40
                                     //   | will retain 0x20 | will QoS 1 0x08
                                     //   | will 0x04 | Clean Session 0x02
      0x01, 0x2C,                    // keep alive 300 s
      0x00, 0x03, 'd', 'e', 'v',     // client identifier "dev"
      0x00, 0x03, 'w', '/', 't',     // will topic "w/t"
      0x00, 0x03, 'b', 'y', 'e',     // will message "bye"
      0x00, 0x01, 'u',               // user name "u"
      0x00, 0x02, 'p', 'w',          // password "pw"
  });
  EXPECT_TRUE(round_trips(connect, kV31, expected));
}

TEST(MqttRoundTripV31, ConnectWithWillQoS2) {
  Connect connect;
  connect.version = kV31;
  connect.clean_start = false;
  connect.keep_alive = 10;
  connect.client_id = "x";
  connect.will.emplace();
  connect.will->topic = "t";
  connect.will->payload = "m";
  connect.will->qos = QoS::kExactlyOnce;
  connect.will->retain = false;

  const Bytes expected = bytes({
      0x10,                            // CONNECT
      0x15,                            // Remaining Length 21
      0x00, 0x06,                      // protocol name length 6
      'M',  'Q',  'I', 's', 'd', 'p',  // "MQIsdp"
      0x03,                            // protocol version 3
      0x14,                            // flags: will QoS 2 0x10 | will 0x04
      0x00, 0x0A,                      // keep alive 10 s
      0x00, 0x01, 'x',                 // client identifier "x"
      0x00, 0x01, 't',                 // will topic "t"
      0x00, 0x01, 'm',                 // will message "m"
  });
  EXPECT_TRUE(round_trips(connect, kV31, expected));
}

// --- CONNACK (§3.2) ----------------------------------------------------------

// 3.1's return codes are 3.1.1's (table in §3.2); the first byte is reserved.
TEST(MqttRoundTripV31, ConnackEveryReturnCode) {
  struct Case {
    std::uint8_t return_code;
    ReasonCode reason;
    const char* meaning;
  };
  const Case cases[] = {
      {0x00, ReasonCode::kSuccess, "Connection Accepted"},
      {0x01, ReasonCode::kUnsupportedProtocolVersion, "unacceptable protocol version"},
      {0x02, ReasonCode::kClientIdentifierNotValid, "identifier rejected"},
      {0x03, ReasonCode::kServerUnavailable, "server unavailable"},
      {0x04, ReasonCode::kBadUserNameOrPassword, "bad user name or password"},
      {0x05, ReasonCode::kNotAuthorized, "not authorized"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.meaning);
    Connack connack;
    connack.session_present = false;
    connack.reason_code = c.reason;
    const Bytes expected = bytes({
        0x20,           // CONNACK
        0x02,           // Remaining Length 2
        0x00,           // reserved (Topic Name Compression Response, not used)
        c.return_code,  // return code
    });
    EXPECT_TRUE(round_trips(connack, kV31, expected));
  }
}

TEST(MqttRoundTripV31, ConnackHasNoSessionPresent) {
  // 3.1's first CONNACK byte is reserved: a session_present of true is not
  // written, and whatever a 3.1 server sends there is ignored.
  Connack connack;
  connack.session_present = true;
  EXPECT_TRUE(test::encodes_to(connack, kV31, bytes({0x20, 0x02, 0x00, 0x00})));
  Connack without;
  EXPECT_TRUE(test::decodes_to(bytes({0x20, 0x02, 0x01, 0x00}), kV31, without));
}

// --- PUBLISH (§3.3) ----------------------------------------------------------

TEST(MqttRoundTripV31, PublishQoS0) {
  Publish publish;
  publish.qos = QoS::kAtMostOnce;
  publish.topic = "a/b";
  publish.payload = "hi";
  const Bytes expected = bytes({
      0x30,                       // PUBLISH, DUP 0, QoS 0, RETAIN 0
      0x07,                       // Remaining Length 7
      0x00, 0x03, 'a', '/', 'b',  // topic name "a/b"; no message ID at QoS 0
      'h', 'i',                   // payload
  });
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

TEST(MqttRoundTripV31, PublishQoS1DupRetain) {
  Publish publish;
  publish.dup = true;
  publish.qos = QoS::kAtLeastOnce;
  publish.retain = true;
  publish.topic = "a/b";
  publish.packet_id = 0x1234;
  publish.payload = "x";
  const Bytes expected = bytes({
      0x3B,                       // PUBLISH, DUP 0x08 | QoS 1 0x02 | RETAIN 0x01
      0x08,                       // Remaining Length 8
      0x00, 0x03, 'a', '/', 'b',  // topic name "a/b"
      0x12, 0x34,                 // message ID 0x1234
      'x',                        // payload
  });
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

TEST(MqttRoundTripV31, PublishQoS2) {
  Publish publish;
  publish.qos = QoS::kExactlyOnce;
  publish.topic = "t";
  publish.packet_id = 0xFFFF;
  publish.payload = "q2";
  const Bytes expected = bytes({
      0x34,             // PUBLISH, QoS 2 0x04
      0x07,             // Remaining Length 7
      0x00, 0x01, 't',  // topic name "t"
      0xFF, 0xFF,       // message ID 65535
      'q', '2',         // payload
  });
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

TEST(MqttRoundTripV31, PublishRetainedEmptyPayload) {
  Publish publish;
  publish.retain = true;
  publish.topic = "a/b";
  const Bytes expected = bytes({
      0x31,                       // PUBLISH, QoS 0, RETAIN 0x01
      0x05,                       // Remaining Length 5
      0x00, 0x03, 'a', '/', 'b',  // topic name "a/b"; empty payload
  });
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

TEST(MqttRoundTripV31, PublishPayloadOver127Bytes) {
  // 5 (topic "a/b") + 2 (message ID) + 300 = 307 = 51 + 2*128: 0xB3 (51 | 0x80), 0x02.
  Publish publish;
  publish.qos = QoS::kAtLeastOnce;
  publish.topic = "a/b";
  publish.packet_id = 2;
  publish.payload = as_string(sequence(300));
  const Bytes expected = cat(bytes({
                                 0x32,                       // PUBLISH, QoS 1
                                 0xB3, 0x02,                 // Remaining Length 307
                                 0x00, 0x03, 'a', '/', 'b',  // topic name "a/b"
                                 0x00, 0x02,                 // message ID 2
                             }),
                             sequence(300));  // payload
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

TEST(MqttRoundTripV31, PublishPayloadNeedingThreeLengthBytes) {
  // 3 (topic "t") + 20000 = 20003 = 35 + 28*128 + 1*128^2: 0xA3, 0x9C, 0x01.
  Publish publish;
  publish.topic = "t";
  publish.payload = as_string(sequence(20000));
  const Bytes expected = cat(bytes({
                                 0x30,              // PUBLISH, QoS 0
                                 0xA3, 0x9C, 0x01,  // Remaining Length 20003
                                 0x00, 0x01, 't',   // topic name "t"
                             }),
                             sequence(20000));  // payload
  EXPECT_TRUE(round_trips(publish, kV31, expected));
}

// --- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4 - §3.7) -------------------------------

TEST(MqttRoundTripV31, Puback) {
  Puback puback;
  puback.packet_id = 1;
  EXPECT_TRUE(round_trips(puback, kV31,
                          bytes({0x40,            // PUBACK
                                 0x02,            // Remaining Length 2
                                 0x00, 0x01})));  // message ID 1
}

TEST(MqttRoundTripV31, Pubrec) {
  Pubrec pubrec;
  pubrec.packet_id = 0x1234;
  EXPECT_TRUE(round_trips(pubrec, kV31,
                          bytes({0x50,            // PUBREC
                                 0x02,            // Remaining Length 2
                                 0x12, 0x34})));  // message ID 0x1234
}

TEST(MqttRoundTripV31, Pubrel) {
  Pubrel pubrel;
  pubrel.packet_id = 0xABCD;
  EXPECT_TRUE(round_trips(pubrel, kV31,
                          bytes({0x62,            // PUBREL, QoS 1 in the fixed header
                                 0x02,            // Remaining Length 2
                                 0xAB, 0xCD})));  // message ID 0xABCD
}

TEST(MqttRoundTripV31, Pubcomp) {
  Pubcomp pubcomp;
  pubcomp.packet_id = 0xFFFF;
  EXPECT_TRUE(round_trips(pubcomp, kV31,
                          bytes({0x70,            // PUBCOMP
                                 0x02,            // Remaining Length 2
                                 0xFF, 0xFF})));  // message ID 65535
}

// --- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 - §3.11) ---------------------

TEST(MqttRoundTripV31, SubscribeSeveralFiltersEachQoS) {
  Subscribe subscribe;
  subscribe.packet_id = 10;
  subscribe.subscriptions = {
      {.filter = "a/+", .options = {.max_qos = QoS::kAtMostOnce}},
      {.filter = "b/#", .options = {.max_qos = QoS::kAtLeastOnce}},
      {.filter = "c", .options = {.max_qos = QoS::kExactlyOnce}},
  };
  const Bytes expected = bytes({
      0x82,                       // SUBSCRIBE, QoS 1 in the fixed header
      0x12,                       // Remaining Length 18
      0x00, 0x0A,                 // message ID 10
      0x00, 0x03, 'a', '/', '+',  // topic "a/+"
      0x00,                       // requested QoS 0
      0x00, 0x03, 'b', '/', '#',  // topic "b/#"
      0x01,                       // requested QoS 1
      0x00, 0x01, 'c',            // topic "c"
      0x02,                       // requested QoS 2
  });
  EXPECT_TRUE(round_trips(subscribe, kV31, expected));
}

TEST(MqttRoundTripV31, SubackGrantedQoS) {
  Suback suback;
  suback.packet_id = 10;
  suback.reason_codes = {ReasonCode::kGrantedQoS0, ReasonCode::kGrantedQoS1,
                         ReasonCode::kGrantedQoS2};
  const Bytes expected = bytes({
      0x90,        // SUBACK
      0x05,        // Remaining Length 5
      0x00, 0x0A,  // message ID 10
      0x00,        // granted QoS 0
      0x01,        // granted QoS 1
      0x02,        // granted QoS 2
  });
  EXPECT_TRUE(round_trips(suback, kV31, expected));
}

TEST(MqttRoundTripV31, Unsubscribe) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 11;
  unsubscribe.filters = {"a/+", "b/#"};
  const Bytes expected = bytes({
      0xA2,                       // UNSUBSCRIBE, QoS 1 in the fixed header
      0x0C,                       // Remaining Length 12
      0x00, 0x0B,                 // message ID 11
      0x00, 0x03, 'a', '/', '+',  // topic "a/+"
      0x00, 0x03, 'b', '/', '#',  // topic "b/#"
  });
  EXPECT_TRUE(round_trips(unsubscribe, kV31, expected));
}

TEST(MqttRoundTripV31, Unsuback) {
  Unsuback unsuback;
  unsuback.packet_id = 11;
  EXPECT_TRUE(round_trips(unsuback, kV31,
                          bytes({0xB0,            // UNSUBACK
                                 0x02,            // Remaining Length 2
                                 0x00, 0x0B})));  // message ID 11
}

// --- PINGREQ, PINGRESP, DISCONNECT (§3.12 - §3.14) -------------------------------

TEST(MqttRoundTripV31, Pingreq) {
  EXPECT_TRUE(round_trips(Pingreq{}, kV31,
                          bytes({0xC0,      // PINGREQ
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV31, Pingresp) {
  EXPECT_TRUE(round_trips(Pingresp{}, kV31,
                          bytes({0xD0,      // PINGRESP
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV31, Disconnect) {
  EXPECT_TRUE(round_trips(Disconnect{}, kV31,
                          bytes({0xE0,      // DISCONNECT
                                 0x00})));  // Remaining Length 0
}

}  // namespace
}  // namespace cairn::mqtt
