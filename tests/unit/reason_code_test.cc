// Reason codes: where table 2-6 of MQTT 5.0 allows each, their names, and the
// mapping to and from the MQTT 3.x CONNACK return codes ([MQTT-3.2.2.3]).
#include "mqtt/reason_code.h"

#include <cstdint>
#include <initializer_list>

#include <gtest/gtest.h>

#include "mqtt/packet_type.h"

namespace cairn::mqtt {
namespace {

using RC = ReasonCode;
using PT = PacketType;

constexpr RC code(std::uint8_t value) { return static_cast<RC>(value); }

void expect_allowed(PT type, std::initializer_list<std::uint8_t> codes) {
  for (const std::uint8_t c : codes) {
    EXPECT_TRUE(is_reason_code_allowed(type, code(c)))
        << packet_type_name(type) << " 0x" << std::hex << int{c};
  }
}

void expect_not_allowed(PT type, std::initializer_list<std::uint8_t> codes) {
  for (const std::uint8_t c : codes) {
    EXPECT_FALSE(is_reason_code_allowed(type, code(c)))
        << packet_type_name(type) << " 0x" << std::hex << int{c};
  }
}

TEST(ReasonCodeAllowed, Connack) {
  expect_allowed(PT::kConnack, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                                0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
  expect_not_allowed(PT::kConnack,
                     {0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x8B, 0x8D, 0x8E, 0x8F, 0x91,
                      0x92, 0x93, 0x94, 0x96, 0x98, 0x9E, 0xA0, 0xA1, 0xA2, 0x03, 0xFF});
}

TEST(ReasonCodeAllowed, PubackAndPubrec) {
  for (const PT type : {PT::kPuback, PT::kPubrec}) {
    expect_allowed(type, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    expect_not_allowed(
        type, {0x01, 0x02, 0x04, 0x11, 0x18, 0x81, 0x82, 0x84, 0x8F, 0x92, 0x95, 0x9A, 0xA2});
  }
}

TEST(ReasonCodeAllowed, PubrelAndPubcomp) {
  for (const PT type : {PT::kPubrel, PT::kPubcomp}) {
    expect_allowed(type, {0x00, 0x92});
    expect_not_allowed(type, {0x10, 0x80, 0x83, 0x87, 0x91, 0x97});
  }
}

TEST(ReasonCodeAllowed, Suback) {
  expect_allowed(PT::kSuback,
                 {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
  expect_not_allowed(PT::kSuback, {0x03, 0x04, 0x10, 0x11, 0x81, 0x82, 0x90, 0x92, 0x99});
}

TEST(ReasonCodeAllowed, Unsuback) {
  expect_allowed(PT::kUnsuback, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
  expect_not_allowed(PT::kUnsuback, {0x01, 0x02, 0x10, 0x97, 0x9E, 0xA1, 0xA2});
}

TEST(ReasonCodeAllowed, Disconnect) {
  expect_allowed(PT::kDisconnect, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C,
                                   0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
                                   0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
  expect_not_allowed(PT::kDisconnect, {0x01, 0x02, 0x10, 0x11, 0x18, 0x19, 0x84, 0x85, 0x86, 0x88,
                                       0x8A, 0x91, 0x92});
}

TEST(ReasonCodeAllowed, Auth) {
  expect_allowed(PT::kAuth, {0x00, 0x18, 0x19});
  expect_not_allowed(PT::kAuth, {0x01, 0x04, 0x80, 0x81, 0x82, 0x87, 0x8C});
}

TEST(ReasonCodeAllowed, PacketsWithoutReasonCodes) {
  for (const PT type : {PT::kConnect, PT::kPublish, PT::kSubscribe, PT::kUnsubscribe, PT::kPingreq,
                        PT::kPingresp}) {
    expect_not_allowed(type, {0x80, 0x81, 0x82, 0x87});
  }
}

TEST(ReasonCodeName, ZeroDependsOnThePacket) {
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kConnack), "Success");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kPuback), "Success");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kPubrel), "Success");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kUnsuback), "Success");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kAuth), "Success");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kDisconnect), "Normal disconnection");
  EXPECT_EQ(reason_code_name(RC::kSuccess, PT::kSuback), "Granted QoS 0");
}

TEST(ReasonCodeName, SpecificationNames) {
  EXPECT_EQ(reason_code_name(RC::kGrantedQoS1, PT::kSuback), "Granted QoS 1");
  EXPECT_EQ(reason_code_name(RC::kGrantedQoS2, PT::kSuback), "Granted QoS 2");
  EXPECT_EQ(reason_code_name(RC::kDisconnectWithWillMessage, PT::kDisconnect),
            "Disconnect with Will Message");
  EXPECT_EQ(reason_code_name(RC::kNoMatchingSubscribers, PT::kPuback), "No matching subscribers");
  EXPECT_EQ(reason_code_name(RC::kContinueAuthentication, PT::kAuth), "Continue authentication");
  EXPECT_EQ(reason_code_name(RC::kUnspecifiedError, PT::kConnack), "Unspecified error");
  EXPECT_EQ(reason_code_name(RC::kMalformedPacket, PT::kDisconnect), "Malformed Packet");
  EXPECT_EQ(reason_code_name(RC::kProtocolError, PT::kDisconnect), "Protocol Error");
  EXPECT_EQ(reason_code_name(RC::kUnsupportedProtocolVersion, PT::kConnack),
            "Unsupported Protocol Version");
  EXPECT_EQ(reason_code_name(RC::kTopicFilterInvalid, PT::kSuback), "Topic Filter invalid");
  EXPECT_EQ(reason_code_name(RC::kTopicNameInvalid, PT::kPuback), "Topic Name invalid");
  EXPECT_EQ(reason_code_name(RC::kPacketTooLarge, PT::kDisconnect), "Packet too large");
  EXPECT_EQ(reason_code_name(RC::kWildcardSubscriptionsNotSupported, PT::kSuback),
            "Wildcard Subscriptions not supported");
}

TEST(ReasonCode, IsFailure) {
  EXPECT_FALSE(is_failure(RC::kSuccess));
  EXPECT_FALSE(is_failure(RC::kGrantedQoS2));
  EXPECT_FALSE(is_failure(RC::kReAuthenticate));
  EXPECT_TRUE(is_failure(RC::kUnspecifiedError));
  EXPECT_TRUE(is_failure(RC::kWildcardSubscriptionsNotSupported));
}

// MQTT 3.1.1 CONNACK return codes ([MQTT-3.2.2.3]) and their MQTT 5 equivalents.
constexpr struct {
  std::uint8_t v3;
  RC v5;
} kConnackMapping[] = {
    {0, RC::kSuccess},                     // Connection Accepted
    {1, RC::kUnsupportedProtocolVersion},  // unacceptable protocol version
    {2, RC::kClientIdentifierNotValid},    // identifier rejected
    {3, RC::kServerUnavailable},           // server unavailable
    {4, RC::kBadUserNameOrPassword},       // bad user name or password
    {5, RC::kNotAuthorized},               // not authorized
};

TEST(V3ConnackCode, FromV3) {
  for (const auto& m : kConnackMapping) {
    EXPECT_EQ(from_v3_connack_code(m.v3), std::optional<RC>(m.v5)) << int{m.v3};
  }
  for (const std::uint8_t c : {6, 7, 0x80, 0x84, 0xFF}) {
    EXPECT_EQ(from_v3_connack_code(c), std::nullopt) << int{c};
  }
}

TEST(V3ConnackCode, ToV3) {
  for (const auto& m : kConnackMapping) {
    EXPECT_EQ(to_v3_connack_code(m.v5), m.v3) << int{m.v3};
  }
}

TEST(V3ConnackCode, RoundTrip) {
  for (std::uint8_t c = 0; c <= 5; ++c) {
    const auto v5 = from_v3_connack_code(c);
    ASSERT_TRUE(v5.has_value());
    EXPECT_EQ(to_v3_connack_code(*v5), c);
  }
}

TEST(V3ConnackCode, NearestForCodesWithoutA3xEquivalent) {
  // Authentication problems become 4 (bad user name or password).
  EXPECT_EQ(to_v3_connack_code(RC::kBadAuthenticationMethod), 4);
  // Refusals by policy become 5 (not authorized).
  EXPECT_EQ(to_v3_connack_code(RC::kBanned), 5);
  // The rest become 3 (server unavailable).
  EXPECT_EQ(to_v3_connack_code(RC::kUnspecifiedError), 3);
  EXPECT_EQ(to_v3_connack_code(RC::kServerBusy), 3);
  EXPECT_EQ(to_v3_connack_code(RC::kImplementationSpecificError), 3);
}

TEST(V3ConnackCode, EveryConnackCodeMapsToAValid3xCode) {
  for (unsigned c = 0; c < 256; ++c) {
    if (!is_reason_code_allowed(PT::kConnack, code(static_cast<std::uint8_t>(c)))) continue;
    const std::uint8_t v3 = to_v3_connack_code(code(static_cast<std::uint8_t>(c)));
    EXPECT_LE(v3, 5) << std::hex << c;
    EXPECT_EQ(v3 == 0, c == 0) << std::hex << c;  // only Success is accepted
  }
}

}  // namespace
}  // namespace cairn::mqtt
