// Malformed packets, part 6: MQTT 5 properties (unknown identifiers,
// properties a packet or a will may not carry, duplicates, 0/1 properties with
// another value, the four zero-value rules, lengths running past the end).
// The reason codes are those of the table in src/mqtt/README.md.
//
// Each case writes its property bytes by hand; the packet around them is built
// by a helper that computes the lengths.
#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// PUBLISH QoS 0, topic "a", properties `p`, no payload.
Bytes publish(const Bytes& p) { return frame(0x30, cat({str("a"), props(p)})); }
// CONNECT, MQTT 5, clean start, keep alive 60, properties `p`, client id "c".
Bytes connect(const Bytes& p) {
  return frame(0x10, cat({str("MQTT"), {0x05, 0x02, 0x00, 0x3C}, props(p), str("c")}));
}
// CONNECT, MQTT 5, with a will (QoS 0) whose properties are `wp`; topic "w", payload "p".
Bytes connect_with_will(const Bytes& wp) {
  return frame(0x10, cat({str("MQTT"),
                          {0x05, 0x06, 0x00, 0x3C},
                          props({}),
                          str("c"),
                          props(wp),
                          str("w"),
                          str("p")}));
}
// CONNACK, MQTT 5, Success, properties `p`.
Bytes connack(const Bytes& p) { return frame(0x20, cat({{0x00, 0x00}, props(p)})); }
// PUBACK, packet id 1, Success, properties `p`.
Bytes puback(const Bytes& p) { return frame(0x40, cat({{0x00, 0x01, 0x00}, props(p)})); }
// PUBREL, packet id 1, Success, properties `p`.
Bytes pubrel(const Bytes& p) { return frame(0x62, cat({{0x00, 0x01, 0x00}, props(p)})); }
// SUBSCRIBE, packet id 1, properties `p`, filter "a" QoS 0.
Bytes subscribe(const Bytes& p) {
  return frame(0x82, cat({{0x00, 0x01}, props(p), str("a"), {0x00}}));
}
// SUBACK, packet id 1, properties `p`, Granted QoS 0.
Bytes suback(const Bytes& p) { return frame(0x90, cat({{0x00, 0x01}, props(p), {0x00}})); }
// UNSUBSCRIBE, packet id 1, properties `p`, filter "a".
Bytes unsubscribe(const Bytes& p) { return frame(0xA2, cat({{0x00, 0x01}, props(p), str("a")})); }
// UNSUBACK, packet id 1, properties `p`, Success.
Bytes unsuback(const Bytes& p) { return frame(0xB0, cat({{0x00, 0x01}, props(p), {0x00}})); }
// DISCONNECT, Normal disconnection, properties `p`.
Bytes disconnect(const Bytes& p) { return frame(0xE0, cat({{0x00}, props(p)})); }
// AUTH, Continue authentication, properties `p`.
Bytes auth(const Bytes& p) { return frame(0xF0, cat({{0x18}, props(p)})); }

// ---- Unknown property identifier: 0x81 ----
std::vector<MalformedCase> unknown_cases() {
  return {
      {"Publish_Id00", kV5, publish({0x00, 0x00}), kMalformed},
      {"Publish_Id04", kV5, publish({0x04, 0x00}), kMalformed},
      {"Publish_Id0C", kV5, publish({0x0C, 0x00}), kMalformed},
      {"Publish_Id80", kV5, publish({0x80, 0x01}), kMalformed},
      {"Publish_IdFF", kV5, publish({0xFF, 0x7F}), kMalformed},
      {"Publish_UnknownAfterKnown", kV5,
       publish({0x01, 0x01,    // Payload Format Indicator 1
                0x10, 0x00}),  // 0x10: no such property
       kMalformed},
      {"Connect_Id14", kV5, connect({0x14, 0x00}), kMalformed},
      {"Will_Id0A", kV5, connect_with_will({0x0A, 0x00}), kMalformed},
      {"Connack_Id2B", kV5, connack({0x2B, 0x00}), kMalformed},
      {"Connack_Id1B", kV5, connack({0x1B, 0x00}), kMalformed},
      {"Subscribe_Id20", kV5, subscribe({0x20, 0x00}), kMalformed},
      {"Disconnect_Id7F", kV5, disconnect({0x7F, 0x00}), kMalformed},
      {"Auth_Id1D", kV5, auth({0x1D, 0x00}), kMalformed},
  };
}

// ---- A property the packet (or the will) may not carry [MQTT-2.2.2-2]: 0x81 ----
std::vector<MalformedCase> not_allowed_cases() {
  return {
      {"Connect_TopicAlias", kV5, connect({0x23, 0x00, 0x01}), kMalformed},
      {"Connect_WillDelayInterval", kV5, connect({0x18, 0x00, 0x00, 0x00, 0x05}), kMalformed},
      {"Connect_ServerKeepAlive", kV5, connect({0x13, 0x00, 0x0A}), kMalformed},
      {"Connect_MaximumQoS", kV5, connect({0x24, 0x01}), kMalformed},
      {"Connect_PayloadFormatIndicator", kV5, connect({0x01, 0x01}), kMalformed},
      {"Connect_AssignedClientIdentifier", kV5, connect({0x12, 0x00, 0x01, 'x'}), kMalformed},
      {"Connect_ReasonString", kV5, connect({0x1F, 0x00, 0x01, 'x'}), kMalformed},
      {"Publish_WillDelayInterval", kV5, publish({0x18, 0x00, 0x00, 0x00, 0x05}), kMalformed},
      {"Publish_ReasonString", kV5, publish({0x1F, 0x00, 0x01, 'x'}), kMalformed},
      {"Publish_SessionExpiryInterval", kV5, publish({0x11, 0x00, 0x00, 0x00, 0x0A}), kMalformed},
      {"Publish_ReceiveMaximum", kV5, publish({0x21, 0x00, 0x0A}), kMalformed},
      {"Will_SessionExpiryInterval", kV5, connect_with_will({0x11, 0x00, 0x00, 0x00, 0x0A}),
       kMalformed},
      {"Will_TopicAlias", kV5, connect_with_will({0x23, 0x00, 0x01}), kMalformed},
      {"Will_RequestProblemInformation", kV5, connect_with_will({0x17, 0x01}), kMalformed},
      {"Will_SubscriptionIdentifier", kV5, connect_with_will({0x0B, 0x01}), kMalformed},
      {"Will_AuthenticationMethod", kV5, connect_with_will({0x15, 0x00, 0x01, 'x'}), kMalformed},
      {"Connack_SubscriptionIdentifier", kV5, connack({0x0B, 0x01}), kMalformed},
      {"Connack_ResponseTopic", kV5, connack({0x08, 0x00, 0x01, 'x'}), kMalformed},
      {"Connack_RequestProblemInformation", kV5, connack({0x17, 0x01}), kMalformed},
      {"Connack_WillDelayInterval", kV5, connack({0x18, 0x00, 0x00, 0x00, 0x01}), kMalformed},
      {"Puback_TopicAlias", kV5, puback({0x23, 0x00, 0x01}), kMalformed},
      {"Puback_SessionExpiryInterval", kV5, puback({0x11, 0x00, 0x00, 0x00, 0x01}), kMalformed},
      {"Pubrel_ContentType", kV5, pubrel({0x03, 0x00, 0x01, 'x'}), kMalformed},
      {"Subscribe_ReasonString", kV5, subscribe({0x1F, 0x00, 0x01, 'x'}), kMalformed},
      {"Subscribe_TopicAlias", kV5, subscribe({0x23, 0x00, 0x01}), kMalformed},
      {"Suback_SubscriptionIdentifier", kV5, suback({0x0B, 0x01}), kMalformed},
      {"Unsubscribe_SubscriptionIdentifier", kV5, unsubscribe({0x0B, 0x01}), kMalformed},
      {"Unsubscribe_ReasonString", kV5, unsubscribe({0x1F, 0x00, 0x01, 'x'}), kMalformed},
      {"Unsuback_ServerReference", kV5, unsuback({0x1C, 0x00, 0x01, 'x'}), kMalformed},
      {"Disconnect_AuthenticationMethod", kV5, disconnect({0x15, 0x00, 0x01, 'x'}), kMalformed},
      {"Disconnect_ReceiveMaximum", kV5, disconnect({0x21, 0x00, 0x01}), kMalformed},
      {"Auth_SessionExpiryInterval", kV5, auth({0x11, 0x00, 0x00, 0x00, 0x01}), kMalformed},
      {"Auth_ServerReference", kV5, auth({0x1C, 0x00, 0x01, 'x'}), kMalformed},
  };
}

// ---- A single-valued property twice; two Subscription Identifiers in SUBSCRIBE: 0x82 ----
std::vector<MalformedCase> duplicate_cases() {
  return {
      {"Publish_PayloadFormatIndicatorTwice", kV5,
       publish({0x01, 0x00,    // Payload Format Indicator 0
                0x01, 0x00}),  // again
       kProtocolError},
      {"Publish_PayloadFormatIndicatorTwiceDifferent", kV5, publish({0x01, 0x00, 0x01, 0x01}),
       kProtocolError},
      {"Publish_MessageExpiryTwice", kV5,
       publish({0x02, 0x00, 0x00, 0x00, 0x0A,    // Message Expiry Interval 10
                0x02, 0x00, 0x00, 0x00, 0x0A}),  // again
       kProtocolError},
      {"Publish_ContentTypeTwice", kV5,
       publish({0x03, 0x00, 0x01, 'x',    // Content Type "x"
                0x03, 0x00, 0x01, 'y'}),  // Content Type "y"
       kProtocolError},
      {"Publish_ResponseTopicTwice", kV5, publish({0x08, 0x00, 0x01, 'x', 0x08, 0x00, 0x01, 'y'}),
       kProtocolError},
      {"Publish_CorrelationDataTwice", kV5,
       publish({0x09, 0x00, 0x01, 0x01, 0x09, 0x00, 0x01, 0x02}), kProtocolError},
      {"Publish_TopicAliasTwice", kV5,
       publish({0x23, 0x00, 0x01,    // Topic Alias 1
                0x23, 0x00, 0x02}),  // Topic Alias 2
       kProtocolError},
      {"Publish_TopicAliasTwiceApart", kV5,
       publish({0x23, 0x00, 0x01,                        // Topic Alias 1
                0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  // User Property k=v
                0x23, 0x00, 0x01}),                      // Topic Alias 1 again
       kProtocolError},
      {"Connect_SessionExpiryTwice", kV5,
       connect({0x11, 0x00, 0x00, 0x00, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x0A}), kProtocolError},
      {"Connect_ReceiveMaximumTwice", kV5, connect({0x21, 0x00, 0x0A, 0x21, 0x00, 0x0A}),
       kProtocolError},
      {"Connect_MaximumPacketSizeTwice", kV5,
       connect({0x27, 0x00, 0x00, 0x10, 0x00, 0x27, 0x00, 0x00, 0x10, 0x00}), kProtocolError},
      {"Connect_TopicAliasMaximumTwice", kV5, connect({0x22, 0x00, 0x0A, 0x22, 0x00, 0x0B}),
       kProtocolError},
      {"Connect_RequestProblemInformationTwice", kV5, connect({0x17, 0x01, 0x17, 0x01}),
       kProtocolError},
      {"Connect_AuthenticationMethodTwice", kV5,
       connect({0x15, 0x00, 0x01, 'x', 0x15, 0x00, 0x01, 'x'}), kProtocolError},
      {"Connect_AuthenticationDataTwice", kV5,
       connect({0x15, 0x00, 0x01, 'x',     // Authentication Method "x"
                0x16, 0x00, 0x01, 0x01,    // Authentication Data 01
                0x16, 0x00, 0x01, 0x02}),  // Authentication Data 02
       kProtocolError},
      {"Will_WillDelayIntervalTwice", kV5,
       connect_with_will({0x18, 0x00, 0x00, 0x00, 0x05, 0x18, 0x00, 0x00, 0x00, 0x05}),
       kProtocolError},
      {"Will_ContentTypeTwice", kV5,
       connect_with_will({0x03, 0x00, 0x01, 'x', 0x03, 0x00, 0x01, 'x'}), kProtocolError},
      {"Connack_AssignedClientIdentifierTwice", kV5,
       connack({0x12, 0x00, 0x01, 'x', 0x12, 0x00, 0x01, 'y'}), kProtocolError},
      {"Connack_MaximumQoSTwice", kV5, connack({0x24, 0x01, 0x24, 0x01}), kProtocolError},
      {"Connack_ServerKeepAliveTwice", kV5, connack({0x13, 0x00, 0x0A, 0x13, 0x00, 0x0A}),
       kProtocolError},
      {"Connack_RetainAvailableTwice", kV5, connack({0x25, 0x00, 0x25, 0x00}), kProtocolError},
      {"Puback_ReasonStringTwice", kV5, puback({0x1F, 0x00, 0x01, 'x', 0x1F, 0x00, 0x01, 'y'}),
       kProtocolError},
      {"Disconnect_ReasonStringTwice", kV5,
       disconnect({0x1F, 0x00, 0x01, 'x', 0x1F, 0x00, 0x01, 'y'}), kProtocolError},
      {"Disconnect_SessionExpiryTwice", kV5,
       disconnect({0x11, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00}), kProtocolError},
      {"Auth_AuthenticationMethodTwice", kV5, auth({0x15, 0x00, 0x01, 'x', 0x15, 0x00, 0x01, 'x'}),
       kProtocolError},
      {"Subscribe_TwoSubscriptionIdentifiers", kV5,
       subscribe({0x0B, 0x01,    // Subscription Identifier 1
                  0x0B, 0x02}),  // Subscription Identifier 2
       kProtocolError},
      {"Subscribe_TwoEqualSubscriptionIdentifiers", kV5, subscribe({0x0B, 0x05, 0x0B, 0x05}),
       kProtocolError},
  };
}

// ---- A 0/1 property with another value: 0x82 ----
std::vector<MalformedCase> boolean_cases() {
  return {
      {"Publish_PayloadFormatIndicator2", kV5, publish({0x01, 0x02}), kProtocolError},
      {"Publish_PayloadFormatIndicatorFF", kV5, publish({0x01, 0xFF}), kProtocolError},
      {"Will_PayloadFormatIndicator2", kV5, connect_with_will({0x01, 0x02}), kProtocolError},
      {"Connect_RequestProblemInformation2", kV5, connect({0x17, 0x02}), kProtocolError},
      {"Connect_RequestResponseInformation2", kV5, connect({0x19, 0x02}), kProtocolError},
      {"Connect_RequestResponseInformation80", kV5, connect({0x19, 0x80}), kProtocolError},
      {"Connack_MaximumQoS2", kV5, connack({0x24, 0x02}), kProtocolError},
      {"Connack_RetainAvailable2", kV5, connack({0x25, 0x02}), kProtocolError},
      {"Connack_WildcardSubscriptionAvailable2", kV5, connack({0x28, 0x02}), kProtocolError},
      {"Connack_SubscriptionIdentifierAvailable2", kV5, connack({0x29, 0x02}), kProtocolError},
      {"Connack_SharedSubscriptionAvailable2", kV5, connack({0x2A, 0x02}), kProtocolError},
      {"Connack_SharedSubscriptionAvailableFF", kV5, connack({0x2A, 0xFF}), kProtocolError},
  };
}

// ---- Receive Maximum, Maximum Packet Size, Topic Alias or Subscription Identifier of 0: 0x82 ----
std::vector<MalformedCase> zero_cases() {
  return {
      {"Connect_ReceiveMaximum0", kV5, connect({0x21, 0x00, 0x00}), kProtocolError},
      {"Connack_ReceiveMaximum0", kV5, connack({0x21, 0x00, 0x00}), kProtocolError},
      {"Connect_MaximumPacketSize0", kV5, connect({0x27, 0x00, 0x00, 0x00, 0x00}), kProtocolError},
      {"Connack_MaximumPacketSize0", kV5, connack({0x27, 0x00, 0x00, 0x00, 0x00}), kProtocolError},
      // [MQTT-3.3.2-8], §3.3.4: a Topic Alias of 0 gets 0x94 Topic Alias invalid.
      {"Publish_TopicAlias0", kV5, publish({0x23, 0x00, 0x00}), ReasonCode::kTopicAliasInvalid},
      {"Publish_EmptyTopicTopicAlias0", kV5,
       frame(0x30, cat({str(""), props({0x23, 0x00, 0x00})})),  // topic "", Topic Alias 0
       ReasonCode::kTopicAliasInvalid},
      {"Subscribe_SubscriptionIdentifier0", kV5, subscribe({0x0B, 0x00}), kProtocolError},
      {"Publish_SubscriptionIdentifier0", kV5, publish({0x0B, 0x00}), kProtocolError},
      {"Publish_SecondSubscriptionIdentifier0", kV5, publish({0x0B, 0x01, 0x0B, 0x00}),
       kProtocolError},
  };
}

// ---- What a property says that its packet may not: 0x82 ----
std::vector<MalformedCase> meaning_cases() {
  return {
      // [MQTT-3.3.2-14]: a Response Topic names a topic: no wildcard, not empty.
      {"Publish_ResponseTopicPlus", kV5, publish({0x08, 0x00, 0x03, 'a', '/', '+'}),
       kProtocolError},
      {"Publish_ResponseTopicHash", kV5, publish({0x08, 0x00, 0x01, '#'}), kProtocolError},
      {"Publish_ResponseTopicEmpty", kV5, publish({0x08, 0x00, 0x00}), kProtocolError},
      {"Will_ResponseTopicHash", kV5, connect_with_will({0x08, 0x00, 0x03, 'a', '/', '#'}),
       kProtocolError},
      // §3.1.2.11.10: Authentication Data without an Authentication Method.
      {"Connect_AuthenticationDataWithoutMethod", kV5, connect({0x16, 0x00, 0x01, 0x01}),
       kProtocolError},
  };
}

// ---- Lengths running past the end of the packet or of the properties: 0x81 ----
std::vector<MalformedCase> length_cases() {
  return {
      {"Publish_PropertyLengthPastPacket",
       kV5,
       {0x30, 0x05,       // PUBLISH, RL 5
        0x00, 0x01, 'a',  // topic "a"
        0x05,             // property length 5
        0x01},            // one byte present
       kMalformed},
      {"Publish_StringPropertyPastPropertyBlock",
       kV5,
       {0x30, 0x0A,             // PUBLISH, RL 10
        0x00, 0x01, 'a',        // topic "a"
        0x04,                   // property length 4
        0x03, 0x00, 0x03, 'x',  // Content Type of 3 bytes, 1 inside the properties
        'y', 'z'},              // payload
       kMalformed},
      {"Publish_FourByteIntegerTruncated",
       kV5,
       {0x30, 0x07,         // PUBLISH, RL 7
        0x00, 0x01, 'a',    // topic "a"
        0x03,               // property length 3
        0x02, 0x00, 0x00},  // Message Expiry Interval, 2 of 4 bytes
       kMalformed},
      {"Publish_FourByteIntegerPastPropertyBlock",
       kV5,
       {0x30, 0x09,        // PUBLISH, RL 9
        0x00, 0x01, 'a',   // topic "a"
        0x03,              // property length 3
        0x02, 0x00, 0x00,  // Message Expiry Interval, 2 of 4 bytes inside the properties
        0x00, 0x0A},       // payload
       kMalformed},
      {"Publish_TwoByteIntegerTruncated",
       kV5,
       {0x30, 0x06, 0x00, 0x01, 'a',
        0x02,         // property length 2
        0x23, 0x00},  // Topic Alias, 1 of 2 bytes
       kMalformed},
      {"Publish_ByteValueMissing",
       kV5,
       {0x30, 0x05, 0x00, 0x01, 'a',
        0x01,   // property length 1
        0x01},  // Payload Format Indicator without its value
       kMalformed},
      {"Publish_SubscriptionIdentifierTruncated",
       kV5,
       {0x30, 0x07, 0x00, 0x01, 'a',
        0x02,        // property length 2
        0x0B, 0x81,  // Subscription Identifier, VBI continues
        0x01},       // payload
       kMalformed},
      {"Publish_UserPropertyValueMissing", kV5,
       publish({0x26, 0x00, 0x01, 'k'}),  // User Property with a key and no value
       kMalformed},
      {"Publish_CorrelationDataPastPropertyBlock", kV5,
       frame(0x30, cat({str("a"), {0x03, 0x09, 0x00, 0x05}, raw("hello")})), kMalformed},
      {"Connack_PropertyLengthPastPacket",
       kV5,
       {0x20, 0x03, 0x00, 0x00, 0x01},  // property length 1, none present
       kMalformed},
      {"Connect_PropertyLengthCoversClientId",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C,
        0x03,              // property length 3: swallows the client id
        0x00, 0x01, 'c'},  // read as property 0x00: unknown, or no client id
       kMalformed},
      {"Will_PropertyLengthPastPacket",
       kV5,
       {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x06,              // will flag + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c',   // client id "c"
        0x09,              // will property length 9
        0x00},             // one byte present
       kMalformed},
      {"Puback_PropertyPastPropertyBlock",
       kV5,
       {0x40, 0x09, 0x00, 0x01,  // packet id 1
        0x10,                    // No matching subscribers
        0x03,                    // property length 3
        0x1F, 0x00, 0x03,        // Reason String of 3 bytes, none inside the properties
        'a', 'b'},               // past the properties
       kMalformed},
  };
}

// ---- Variable Byte Integers other than Remaining Length [MQTT-1.5.5]: at most
// 4 bytes, and the shortest form (MQTT-1.5.5-1 applies to every VBI): 0x81 ----
std::vector<MalformedCase> vbi_cases() {
  return {
      {"Publish_PropertyLength5Bytes",
       kV5,
       {0x30, 0x08, 0x00, 0x01, 'a', 0x80, 0x80, 0x80, 0x80,
        0x00},  // property length with a fifth byte
       kMalformed},
      {"Publish_PropertyLengthNotShortest",
       kV5,
       {0x30, 0x05, 0x00, 0x01, 'a', 0x80, 0x00},  // property length 0 in 2 bytes
       kMalformed},
      {"Publish_SubscriptionIdentifier5Bytes", kV5, publish({0x0B, 0x81, 0x80, 0x80, 0x80, 0x01}),
       kMalformed},
      {"Publish_SubscriptionIdentifierNotShortest", kV5,
       publish({0x0B, 0x81, 0x00}),  // Subscription Identifier 1 in 2 bytes
       kMalformed},
      {"Subscribe_SubscriptionIdentifierNotShortest", kV5,
       subscribe({0x0B, 0x85, 0x80, 0x00}),  // Subscription Identifier 5 in 3 bytes
       kMalformed},
  };
}

class MalformedProperties : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedProperties, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Unknown, MalformedProperties, ::testing::ValuesIn(unknown_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(NotAllowed, MalformedProperties, ::testing::ValuesIn(not_allowed_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Duplicate, MalformedProperties, ::testing::ValuesIn(duplicate_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(ZeroOrOne, MalformedProperties, ::testing::ValuesIn(boolean_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Zero, MalformedProperties, ::testing::ValuesIn(zero_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Meaning, MalformedProperties, ::testing::ValuesIn(meaning_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Length, MalformedProperties, ::testing::ValuesIn(length_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(VariableByteInteger, MalformedProperties, ::testing::ValuesIn(vbi_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls ----
std::vector<AcceptedCase> accepted_cases() {
  return {
      {"Publish_PayloadFormatIndicator1", kV5, publish({0x01, 0x01}), PacketType::kPublish},
      {"Publish_TwoSubscriptionIdentifiers", kV5,
       publish({0x0B, 0x01, 0x0B, 0x02}),  // a server may send several
       PacketType::kPublish},
      {"Publish_SubscriptionIdentifierMax", kV5,
       publish({0x0B, 0xFF, 0xFF, 0xFF, 0x7F}),  // 268,435,455
       PacketType::kPublish},
      {"Publish_UserPropertyTwiceSameKey", kV5,
       publish({0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'w'}),
       PacketType::kPublish},
      {"Publish_CorrelationDataBinary", kV5,
       publish({0x09, 0x00, 0x03, 0xC0, 0x80, 0x00}),  // binary, not UTF-8
       PacketType::kPublish},
      {"Publish_MessageExpiry0", kV5, publish({0x02, 0x00, 0x00, 0x00, 0x00}),
       PacketType::kPublish},
      {"Publish_TopicAliasMax", kV5, publish({0x23, 0xFF, 0xFF}), PacketType::kPublish},
      {"Connect_TopicAliasMaximum0", kV5, connect({0x22, 0x00, 0x00}), PacketType::kConnect},
      {"Connect_SessionExpiry0", kV5, connect({0x11, 0x00, 0x00, 0x00, 0x00}),
       PacketType::kConnect},
      {"Connect_ReceiveMaximum1", kV5, connect({0x21, 0x00, 0x01}), PacketType::kConnect},
      {"Connect_RequestInformation0And1", kV5, connect({0x17, 0x00, 0x19, 0x01}),
       PacketType::kConnect},
      {"Connect_UserPropertyEmpty", kV5, connect({0x26, 0x00, 0x00, 0x00, 0x00}),
       PacketType::kConnect},
      {"Will_AllWillProperties", kV5,
       connect_with_will({0x01, 0x01,                            // Payload Format Indicator 1
                          0x02, 0x00, 0x00, 0x00, 0x3C,          // Message Expiry Interval 60
                          0x03, 0x00, 0x01, 't',                 // Content Type "t"
                          0x08, 0x00, 0x01, 'r',                 // Response Topic "r"
                          0x09, 0x00, 0x01, 0x00,                // Correlation Data 00
                          0x18, 0x00, 0x00, 0x00, 0x05,          // Will Delay Interval 5
                          0x26, 0x00, 0x01, 'k',  0x00, 0x00}),  // User Property k=""
       PacketType::kConnect},
      {"Connack_AllFlags", kV5,
       connack({0x24, 0x00, 0x25, 0x01, 0x28, 0x00, 0x29, 0x01, 0x2A, 0x01}), PacketType::kConnack},
      {"Connack_MaximumQoS1", kV5, connack({0x24, 0x01}), PacketType::kConnack},
      {"Disconnect_SessionExpiry", kV5, disconnect({0x11, 0x00, 0x00, 0x00, 0x0A}),
       PacketType::kDisconnect},
      {"Disconnect_ServerReference", kV5, disconnect({0x1C, 0x00, 0x01, 's'}),
       PacketType::kDisconnect},
      {"Auth_MethodAndData", kV5, auth({0x15, 0x00, 0x01, 'm', 0x16, 0x00, 0x01, 0x00}),
       PacketType::kAuth},
      {"Pubrel_ReasonString", kV5, pubrel({0x1F, 0x00, 0x01, 'x'}), PacketType::kPubrel},
      {"Suback_UserProperty", kV5, suback({0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'}),
       PacketType::kSuback},
      {"Unsubscribe_UserProperty", kV5, unsubscribe({0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'}),
       PacketType::kUnsubscribe},
  };
}

class AcceptedProperties : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedProperties, IsAccepted) {
  const AcceptedCase& c = GetParam();
  expect_accepted(c.version, c.bytes, c.type);
}

INSTANTIATE_TEST_SUITE_P(Controls, AcceptedProperties, ::testing::ValuesIn(accepted_cases()),
                         case_name<AcceptedCase>);

TEST(AcceptedPropertiesDetail, WillPropertiesLandInTheWill) {
  const Packet packet = expect_accepted(
      kV5, connect_with_will({0x18, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01}), PacketType::kConnect);
  const auto& connect = std::get<Connect>(packet);
  EXPECT_TRUE(connect.properties.empty());
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->properties.will_delay_interval, std::optional<std::uint32_t>(5));
  EXPECT_EQ(connect.will->properties.payload_format_indicator, std::optional<std::uint8_t>(1));
}

TEST(AcceptedPropertiesDetail, RepeatedPropertiesKeepTheirOrder) {
  const Packet packet = expect_accepted(
      kV5,
      publish({0x0B, 0x02, 0x0B, 0x80, 0x01,  // ids 2, 128
               0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'w'}),
      PacketType::kPublish);
  const auto& p = std::get<Publish>(packet).properties;
  EXPECT_EQ(p.subscription_identifiers, (std::vector<std::uint32_t>{2, 128}));
  ASSERT_EQ(p.user_properties.size(), 2u);
  EXPECT_EQ(p.user_properties[0], (UserProperty{"k", "v"}));
  EXPECT_EQ(p.user_properties[1], (UserProperty{"k", "w"}));
}

}  // namespace
}  // namespace cairn::mqtt
