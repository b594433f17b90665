// Round trips of every MQTT 3.1.1 control packet against bytes derived by hand
// from the MQTT 3.1.1 specification (OASIS Standard, 29 October 2014). Each
// test builds a packet, checks the encoder writes exactly the annotated bytes,
// then decodes those bytes and checks it gets the packet back.
//
// Also here, because the Remaining Length encoding is the same in every
// version: its 1/2/3/4-byte boundaries (§2.2.3). And what the encoder leaves
// out in 3.x (properties, reason codes), which cannot round-trip.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

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
using ::cairn::test::decodes_to;
using ::cairn::test::encodes_to;
using ::cairn::test::repeat;
using ::cairn::test::round_trips;
using ::cairn::test::sequence;

constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;

// --- CONNECT (§3.1) --------------------------------------------------------

TEST(MqttRoundTripV311, ConnectMinimal) {
  Connect connect;
  connect.version = kV311;
  connect.clean_start = true;  // an empty client identifier needs Clean Session [MQTT-3.1.3-7]
  connect.keep_alive = 0;
  connect.client_id = "";

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x0C,                // Remaining Length 12
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x04,                // protocol level 4 (3.1.1)
      0x02,                // connect flags: Clean Session
      0x00, 0x00,          // keep alive 0 (off)
      0x00, 0x00,          // client identifier length 0
  });
  EXPECT_TRUE(round_trips(connect, kV311, expected));
}

TEST(MqttRoundTripV311, ConnectKeepAliveWithoutCleanSession) {
  Connect connect;
  connect.version = kV311;
  connect.clean_start = false;
  connect.keep_alive = 60;
  connect.client_id = "c1";

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x0E,                // Remaining Length 14
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x04,                // protocol level 4
      0x00,                // connect flags: none (Clean Session 0)
      0x00, 0x3C,          // keep alive 60 s
      0x00, 0x02,          // client identifier length 2
      'c', '1',            // "c1"
  });
  EXPECT_TRUE(round_trips(connect, kV311, expected));
}

TEST(MqttRoundTripV311, ConnectWithWillUserNameAndPassword) {
  Connect connect;
  connect.version = kV311;
  connect.clean_start = true;
  connect.keep_alive = 300;
  connect.client_id = "dev";
  connect.will.emplace();
  connect.will->topic = "w/t";
  connect.will->payload = "bye";
  connect.will->qos = QoS::kAtLeastOnce;
  connect.will->retain = true;
  connect.username = "u";
  connect.password = as_string(bytes({'p', 0x00, 0xFF}));  // Binary Data, not UTF-8

  const Bytes expected = bytes({
      0x10,                // CONNECT
      0x21,                // Remaining Length 33
      0x00, 0x04,          // protocol name length 4
      'M', 'Q', 'T', 'T',  // "MQTT"
      0x04,                // protocol level 4
      0xEE,                // flags: user name 0x80 | password 0x40 | will retain 0x20
                           //        | will QoS 1 0x08 | will 0x04 | Clean Session 0x02
      0x01, 0x2C,          // keep alive 300 s
      0x00, 0x03,          // client identifier length 3
      'd', 'e', 'v',       // "dev"
      0x00, 0x03,          // will topic length 3
      'w', '/', 't',       // "w/t"
      0x00, 0x03,          // will message length 3
      'b', 'y', 'e',       // "bye"
      0x00, 0x01,          // user name length 1
      'u',                 // "u"
      0x00, 0x03,          // password length 3
      'p', 0x00, 0xFF,     // password bytes
  });
  EXPECT_TRUE(round_trips(connect, kV311, expected));
}

TEST(MqttRoundTripV311, ConnectWithWillQoS2EmptyMessageAndUserNameOnly) {
  Connect connect;
  connect.version = kV311;
  connect.clean_start = false;
  connect.keep_alive = 10;
  connect.client_id = "x";
  connect.will.emplace();
  connect.will->topic = "t";
  connect.will->payload = "";
  connect.will->qos = QoS::kExactlyOnce;
  connect.will->retain = false;
  connect.username = "user";

  const Bytes expected = bytes({
      0x10,                  // CONNECT
      0x18,                  // Remaining Length 24
      0x00, 0x04,            // protocol name length 4
      'M',  'Q',  'T', 'T',  // "MQTT"
      0x04,                  // protocol level 4
      0x94,                  // flags: user name 0x80 | will QoS 2 0x10 | will 0x04
      0x00, 0x0A,            // keep alive 10 s
      0x00, 0x01,            // client identifier length 1
      'x',                   // "x"
      0x00, 0x01,            // will topic length 1
      't',                   // "t"
      0x00, 0x00,            // will message length 0
      0x00, 0x04,            // user name length 4
      'u',  's',  'e', 'r',  // "user"
  });
  EXPECT_TRUE(round_trips(connect, kV311, expected));
}

TEST(MqttRoundTripV311, ConnectWithWillQoS0) {
  Connect connect;
  connect.version = kV311;
  connect.client_id = "c";
  connect.will.emplace();
  connect.will->topic = "t";
  connect.will->payload = "m";
  connect.will->qos = QoS::kAtMostOnce;
  connect.will->retain = false;

  const Bytes expected = bytes({
      0x10,                  // CONNECT
      0x13,                  // Remaining Length 19
      0x00, 0x04,            // protocol name length 4
      'M',  'Q',  'T', 'T',  // "MQTT"
      0x04,                  // protocol level 4
      0x06,                  // flags: will 0x04 | Clean Session 0x02
      0x00, 0x00,            // keep alive 0
      0x00, 0x01, 'c',       // client identifier "c"
      0x00, 0x01, 't',       // will topic "t"
      0x00, 0x01, 'm',       // will message "m"
  });
  EXPECT_TRUE(round_trips(connect, kV311, expected));
}

// --- CONNACK (§3.2) --------------------------------------------------------

TEST(MqttRoundTripV311, ConnackAccepted) {
  Connack connack;
  connack.session_present = false;
  connack.reason_code = ReasonCode::kSuccess;
  const Bytes expected = bytes({
      0x20,  // CONNACK
      0x02,  // Remaining Length 2
      0x00,  // acknowledge flags: Session Present 0
      0x00,  // return code 0: Connection Accepted
  });
  EXPECT_TRUE(round_trips(connack, kV311, expected));
}

TEST(MqttRoundTripV311, ConnackSessionPresent) {
  Connack connack;
  connack.session_present = true;
  connack.reason_code = ReasonCode::kSuccess;
  const Bytes expected = bytes({
      0x20,  // CONNACK
      0x02,  // Remaining Length 2
      0x01,  // acknowledge flags: Session Present 1
      0x00,  // return code 0: Connection Accepted
  });
  EXPECT_TRUE(round_trips(connack, kV311, expected));
}

// Table 3.1 (§3.2.2.3): the refusals, each the MQTT 5 reason code of the same
// meaning (MQTT 5 §3.2.2.2); session present is 0 with a refusal [MQTT-3.2.2-4].
TEST(MqttRoundTripV311, ConnackEveryReturnCode) {
  struct Case {
    std::uint8_t return_code;
    ReasonCode reason;
    const char* meaning;
  };
  const Case cases[] = {
      {0x00, ReasonCode::kSuccess, "Connection Accepted"},
      {0x01, ReasonCode::kUnsupportedProtocolVersion, "unacceptable protocol version"},
      {0x02, ReasonCode::kClientIdentifierNotValid, "identifier rejected"},
      {0x03, ReasonCode::kServerUnavailable, "Server unavailable"},
      {0x04, ReasonCode::kBadUserNameOrPassword, "bad user name or password"},
      {0x05, ReasonCode::kNotAuthorized, "not authorized"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.meaning);
    EXPECT_EQ(to_v3_connack_code(c.reason), c.return_code);
    EXPECT_EQ(from_v3_connack_code(c.return_code), c.reason);
    Connack connack;
    connack.session_present = false;
    connack.reason_code = c.reason;
    const Bytes expected = bytes({
        0x20,           // CONNACK
        0x02,           // Remaining Length 2
        0x00,           // acknowledge flags: Session Present 0
        c.return_code,  // return code
    });
    EXPECT_TRUE(round_trips(connack, kV311, expected));
  }
  EXPECT_EQ(from_v3_connack_code(6), std::nullopt);  // 6-255 are reserved
}

// --- PUBLISH (§3.3) --------------------------------------------------------

TEST(MqttRoundTripV311, PublishQoS0) {
  Publish publish;
  publish.qos = QoS::kAtMostOnce;
  publish.topic = "a/b";
  publish.payload = "hi";
  const Bytes expected = bytes({
      0x30,           // PUBLISH, DUP 0, QoS 0, RETAIN 0
      0x07,           // Remaining Length 7
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"
                      // no packet identifier at QoS 0
      'h', 'i',       // payload
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, PublishQoS1Dup) {
  Publish publish;
  publish.dup = true;
  publish.qos = QoS::kAtLeastOnce;
  publish.topic = "a/b";
  publish.packet_id = 0x1234;
  publish.payload = "x";
  const Bytes expected = bytes({
      0x3A,           // PUBLISH, DUP 0x08 | QoS 1 0x02
      0x08,           // Remaining Length 8
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"
      0x12, 0x34,     // packet identifier 0x1234
      'x',            // payload
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, PublishQoS2Retain) {
  Publish publish;
  publish.qos = QoS::kExactlyOnce;
  publish.retain = true;
  publish.topic = "t";
  publish.packet_id = 0xFFFF;
  publish.payload = "q2";
  const Bytes expected = bytes({
      0x35,        // PUBLISH, QoS 2 0x04 | RETAIN 0x01
      0x07,        // Remaining Length 7
      0x00, 0x01,  // topic name length 1
      't',         // "t"
      0xFF, 0xFF,  // packet identifier 65535
      'q', '2',    // payload
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, PublishQoS2DupRetain) {
  Publish publish;
  publish.dup = true;
  publish.qos = QoS::kExactlyOnce;
  publish.retain = true;
  publish.topic = "t";
  publish.packet_id = 1;
  publish.payload = "z";
  const Bytes expected = bytes({
      0x3D,             // PUBLISH, DUP 0x08 | QoS 2 0x04 | RETAIN 0x01
      0x06,             // Remaining Length 6
      0x00, 0x01, 't',  // topic name "t"
      0x00, 0x01,       // packet identifier 1
      'z',              // payload
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, PublishRetainedEmptyPayload) {
  // A retained message with an empty payload clears the topic's retained message.
  Publish publish;
  publish.qos = QoS::kAtMostOnce;
  publish.retain = true;
  publish.topic = "a/b";
  publish.payload = "";
  const Bytes expected = bytes({
      0x31,           // PUBLISH, QoS 0, RETAIN 0x01
      0x05,           // Remaining Length 5
      0x00, 0x03,     // topic name length 3
      'a', '/', 'b',  // "a/b"; no payload bytes follow
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, PublishUtf8Topic) {
  // "ü/€": U+00FC is C3 BC, U+20AC is E2 82 AC.
  Publish publish;
  publish.topic = "\xC3\xBC/\xE2\x82\xAC";
  const Bytes expected = bytes({
      0x30,              // PUBLISH, QoS 0
      0x08,              // Remaining Length 8
      0x00, 0x06,        // topic name length 6 (bytes, not characters)
      0xC3, 0xBC,        // U+00FC
      '/',               //
      0xE2, 0x82, 0xAC,  // U+20AC
  });
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

// --- Remaining Length (§2.2.3): 7 bits a byte, least significant first --------

// A QoS 0 PUBLISH to "t" (3 bytes of topic) with `payload_size` bytes of payload.
Publish publish_to_t(std::size_t payload_size) {
  Publish publish;
  publish.qos = QoS::kAtMostOnce;
  publish.topic = "t";
  publish.payload = as_string(sequence(payload_size));
  return publish;
}

Bytes publish_to_t_bytes(const Bytes& remaining_length, std::size_t payload_size) {
  return cat(bytes({0x30}),             // PUBLISH, QoS 0
             remaining_length,          // Remaining Length
             bytes({0x00, 0x01, 't'}),  // topic name "t"
             sequence(payload_size));   // payload 00 01 02 ...
}

TEST(MqttRoundTripV311, RemainingLength127IsOneByte) {
  // 3 + 124 = 127 = 0x7F, the largest one-byte value.
  EXPECT_TRUE(round_trips(publish_to_t(124), kV311, publish_to_t_bytes(bytes({0x7F}), 124)));
}

TEST(MqttRoundTripV311, RemainingLength128IsTwoBytes) {
  // 3 + 125 = 128 = 0 + 1*128: 0x80 (0 with the continuation bit), 0x01.
  EXPECT_TRUE(round_trips(publish_to_t(125), kV311, publish_to_t_bytes(bytes({0x80, 0x01}), 125)));
}

TEST(MqttRoundTripV311, PublishPayloadOver127Bytes) {
  // 5 (topic "a/b") + 200 = 205 = 77 + 1*128: 0xCD (77 | 0x80), 0x01.
  Publish publish;
  publish.topic = "a/b";
  publish.payload = as_string(sequence(200));
  const Bytes expected = cat(bytes({
                                 0x30,           // PUBLISH, QoS 0
                                 0xCD, 0x01,     // Remaining Length 205
                                 0x00, 0x03,     // topic name length 3
                                 'a', '/', 'b',  // "a/b"
                             }),
                             sequence(200));  // payload
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

TEST(MqttRoundTripV311, RemainingLength16383IsTwoBytes) {
  // 3 + 16380 = 16383 = 127 + 127*128: 0xFF, 0x7F, the largest two-byte value.
  EXPECT_TRUE(
      round_trips(publish_to_t(16380), kV311, publish_to_t_bytes(bytes({0xFF, 0x7F}), 16380)));
}

TEST(MqttRoundTripV311, RemainingLength16384IsThreeBytes) {
  // 3 + 16381 = 16384 = 0 + 0*128 + 1*128^2: 0x80, 0x80, 0x01.
  EXPECT_TRUE(round_trips(publish_to_t(16381), kV311,
                          publish_to_t_bytes(bytes({0x80, 0x80, 0x01}), 16381)));
}

TEST(MqttRoundTripV311, RemainingLength2097152IsFourBytes) {
  // 3 + 2097149 = 2097152 = 1*128^3: 0x80, 0x80, 0x80, 0x01.
  EXPECT_TRUE(round_trips(publish_to_t(2097149), kV311,
                          publish_to_t_bytes(bytes({0x80, 0x80, 0x80, 0x01}), 2097149)));
}

TEST(MqttRoundTripV311, PublishTopicOfMaximumLength) {
  // A UTF-8 string holds at most 65535 bytes (§1.5.3): length FF FF. Remaining
  // Length 2 + 65535 = 65537 = 1 + 0*128 + 4*128^2: 0x81, 0x80, 0x04.
  Publish publish;
  publish.topic = std::string(65535, 'a');
  const Bytes expected = cat(bytes({
                                 0x30,              // PUBLISH, QoS 0
                                 0x81, 0x80, 0x04,  // Remaining Length 65537
                                 0xFF, 0xFF,        // topic name length 65535
                             }),
                             repeat('a', 65535));  // topic name; no payload
  EXPECT_TRUE(round_trips(publish, kV311, expected));
}

// --- PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4 - §3.7) -----------------------------

TEST(MqttRoundTripV311, Puback) {
  const Bytes expected = bytes({
      0x40,        // PUBACK
      0x02,        // Remaining Length 2
      0x00, 0x01,  // packet identifier 1
  });
  Puback puback;
  puback.packet_id = 1;
  EXPECT_TRUE(round_trips(puback, kV311, expected));
}

TEST(MqttRoundTripV311, Pubrec) {
  const Bytes expected = bytes({
      0x50,        // PUBREC
      0x02,        // Remaining Length 2
      0x12, 0x34,  // packet identifier 0x1234
  });
  Pubrec pubrec;
  pubrec.packet_id = 0x1234;
  EXPECT_TRUE(round_trips(pubrec, kV311, expected));
}

TEST(MqttRoundTripV311, Pubrel) {
  const Bytes expected = bytes({
      0x62,        // PUBREL, flags 0b0010 [MQTT-3.6.1-1]
      0x02,        // Remaining Length 2
      0xAB, 0xCD,  // packet identifier 0xABCD
  });
  Pubrel pubrel;
  pubrel.packet_id = 0xABCD;
  EXPECT_TRUE(round_trips(pubrel, kV311, expected));
}

TEST(MqttRoundTripV311, Pubcomp) {
  const Bytes expected = bytes({
      0x70,        // PUBCOMP
      0x02,        // Remaining Length 2
      0xFF, 0xFF,  // packet identifier 65535
  });
  Pubcomp pubcomp;
  pubcomp.packet_id = 0xFFFF;
  EXPECT_TRUE(round_trips(pubcomp, kV311, expected));
}

// --- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 - §3.11) ------------------

TEST(MqttRoundTripV311, SubscribeSeveralFiltersEachQoS) {
  Subscribe subscribe;
  subscribe.packet_id = 10;
  subscribe.subscriptions = {
      {.filter = "a/+", .options = {.max_qos = QoS::kAtMostOnce}},
      {.filter = "b/#", .options = {.max_qos = QoS::kAtLeastOnce}},
      {.filter = "c", .options = {.max_qos = QoS::kExactlyOnce}},
  };
  const Bytes expected = bytes({
      0x82,             // SUBSCRIBE, flags 0b0010 [MQTT-3.8.1-1]
      0x12,             // Remaining Length 18
      0x00, 0x0A,       // packet identifier 10
      0x00, 0x03,       // topic filter length 3
      'a',  '/',  '+',  // "a/+"
      0x00,             // requested QoS 0
      0x00, 0x03,       // topic filter length 3
      'b',  '/',  '#',  // "b/#"
      0x01,             // requested QoS 1
      0x00, 0x01,       // topic filter length 1
      'c',              // "c"
      0x02,             // requested QoS 2
  });
  EXPECT_TRUE(round_trips(subscribe, kV311, expected));
}

TEST(MqttRoundTripV311, SubackGrantedAndFailure) {
  Suback suback;
  suback.packet_id = 10;
  suback.reason_codes = {ReasonCode::kGrantedQoS0, ReasonCode::kGrantedQoS1,
                         ReasonCode::kGrantedQoS2, ReasonCode::kUnspecifiedError};
  const Bytes expected = bytes({
      0x90,        // SUBACK
      0x06,        // Remaining Length 6
      0x00, 0x0A,  // packet identifier 10
      0x00,        // Success - Maximum QoS 0
      0x01,        // Success - Maximum QoS 1
      0x02,        // Success - Maximum QoS 2
      0x80,        // Failure
  });
  EXPECT_TRUE(round_trips(suback, kV311, expected));
}

TEST(MqttRoundTripV311, Unsubscribe) {
  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 11;
  unsubscribe.filters = {"a/+", "b/#"};
  const Bytes expected = bytes({
      0xA2,           // UNSUBSCRIBE, flags 0b0010 [MQTT-3.10.1-1]
      0x0C,           // Remaining Length 12
      0x00, 0x0B,     // packet identifier 11
      0x00, 0x03,     // topic filter length 3
      'a', '/', '+',  // "a/+"
      0x00, 0x03,     // topic filter length 3
      'b', '/', '#',  // "b/#"
  });
  EXPECT_TRUE(round_trips(unsubscribe, kV311, expected));
}

TEST(MqttRoundTripV311, Unsuback) {
  const Bytes expected = bytes({
      0xB0,        // UNSUBACK
      0x02,        // Remaining Length 2
      0x00, 0x0B,  // packet identifier 11; no payload
  });
  Unsuback unsuback;
  unsuback.packet_id = 11;
  EXPECT_TRUE(round_trips(unsuback, kV311, expected));
}

// --- PINGREQ, PINGRESP, DISCONNECT (§3.12 - §3.14) ----------------------------

TEST(MqttRoundTripV311, Pingreq) {
  EXPECT_TRUE(round_trips(Pingreq{}, kV311,
                          bytes({0xC0,      // PINGREQ
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV311, Pingresp) {
  EXPECT_TRUE(round_trips(Pingresp{}, kV311,
                          bytes({0xD0,      // PINGRESP
                                 0x00})));  // Remaining Length 0
}

TEST(MqttRoundTripV311, Disconnect) {
  EXPECT_TRUE(round_trips(Disconnect{}, kV311,
                          bytes({0xE0,      // DISCONNECT
                                 0x00})));  // Remaining Length 0
}

// --- What 3.x cannot carry: encoded without it (one way only) ---------------

TEST(MqttEncodeV311, LeavesOutPropertiesAndReasonCodes) {
  Publish publish;
  publish.qos = QoS::kAtLeastOnce;
  publish.topic = "t";
  publish.packet_id = 1;
  publish.payload = "p";
  publish.properties.message_expiry_interval = 60;
  publish.properties.user_properties = {{"k", "v"}};
  EXPECT_TRUE(encodes_to(publish, kV311,
                         bytes({0x32,             // PUBLISH, QoS 1
                                0x06,             // Remaining Length 6
                                0x00, 0x01, 't',  // topic name "t"
                                0x00, 0x01,       // packet identifier 1; no properties
                                'p'})));          // payload

  Puback puback;
  puback.packet_id = 7;
  puback.reason_code = ReasonCode::kNoMatchingSubscribers;
  puback.properties.reason_string = "none";
  EXPECT_TRUE(encodes_to(puback, kV311,
                         bytes({0x40, 0x02,      // PUBACK, Remaining Length 2
                                0x00, 0x07})));  // packet identifier 7; nothing else

  Disconnect disconnect;
  disconnect.reason_code = ReasonCode::kDisconnectWithWillMessage;
  disconnect.properties.session_expiry_interval = 10;
  EXPECT_TRUE(encodes_to(disconnect, kV311, bytes({0xE0, 0x00})));  // DISCONNECT, empty

  Unsuback unsuback;
  unsuback.packet_id = 3;
  unsuback.reason_codes = {ReasonCode::kNoSubscriptionExisted};
  EXPECT_TRUE(encodes_to(unsuback, kV311,
                         bytes({0xB0, 0x02,      // UNSUBACK, Remaining Length 2
                                0x00, 0x03})));  // packet identifier 3; no payload
}

TEST(MqttEncodeV311, SubackFailureCodesBecome0x80) {
  // 3.1.1 has one failure return code, 0x80 (§3.9.3); it decodes as Unspecified error.
  Suback suback;
  suback.packet_id = 2;
  suback.reason_codes = {ReasonCode::kNotAuthorized, ReasonCode::kGrantedQoS1,
                         ReasonCode::kTopicFilterInvalid};
  const Bytes expected = bytes({
      0x90,        // SUBACK
      0x05,        // Remaining Length 5
      0x00, 0x02,  // packet identifier 2
      0x80,        // Failure (was Not authorized)
      0x01,        // Success - Maximum QoS 1
      0x80,        // Failure (was Topic Filter invalid)
  });
  EXPECT_TRUE(encodes_to(suback, kV311, expected));
  Suback decoded;
  decoded.packet_id = 2;
  decoded.reason_codes = {ReasonCode::kUnspecifiedError, ReasonCode::kGrantedQoS1,
                          ReasonCode::kUnspecifiedError};
  EXPECT_TRUE(decodes_to(expected, kV311, decoded));
}

}  // namespace
}  // namespace cairn::mqtt
