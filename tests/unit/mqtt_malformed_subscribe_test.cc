// Malformed packets, part 5: SUBSCRIBE and UNSUBSCRIBE (no topic filter,
// invalid topic filters, subscription options, packet identifier 0). The
// reason codes are those of the table in src/mqtt/README.md.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// SUBSCRIBE, packet id 1, one filter with options byte `options`.
Bytes subscribe(ProtocolVersion version, std::string_view filter, std::uint8_t options = 0x00) {
  return frame(0x82, cat({{0x00, 0x01},                            // packet id 1
                          version == kV5 ? Bytes{0x00} : Bytes{},  // property length 0
                          str(filter),
                          {options}}));
}

// UNSUBSCRIBE, packet id 1, one filter.
Bytes unsubscribe(ProtocolVersion version, std::string_view filter) {
  return frame(0xA2, cat({{0x00, 0x01},                            // packet id 1
                          version == kV5 ? Bytes{0x00} : Bytes{},  // property length 0
                          str(filter)}));
}

struct Filter {
  const char* label;
  std::string_view text;
};

// Not topic filters [MQTT-4.7.1-1/2], [MQTT-4.7.3-1], in any version.
constexpr Filter kBadFilters[] = {
    {"HashNotLast", "a/#/b"},
    {"HashInsideLevel", "a#"},
    {"PlusInsideLevel", "a/b+"},
    {"PlusBeforeText", "+a"},
    {"Empty", ""},
    {"HashThenSlash", "#/"},
    {"DoubleHash", "##"},
    {"DoublePlus", "a/++"},
    {"HashAfterHashLevel", "#/#"},
    {"PlusHash", "+#"},
    {"HashThenLevel", "a/#/"},
};

// Shared subscriptions with a bad form [MQTT-4.8.2-1/2]; checked in MQTT 5 only
// (3.x has no shared subscriptions).
constexpr Filter kBadSharedFilters[] = {
    {"ShareEmptyName", "$share//x"},    {"ShareNoFilter", "$share/g"},
    {"SharePlusInName", "$share/g+/x"}, {"ShareEmptyFilter", "$share/g/"},
    {"ShareHashInName", "$share/#/x"},  {"ShareBadFilter", "$share/g/a#"},
    {"ShareOnlyPrefix", "$share/"},
};

std::vector<MalformedCase> filter_cases() {
  std::vector<MalformedCase> cases;
  for (const Filter& f : kBadFilters) {
    const std::string label = f.label;
    cases.push_back({"V311_Subscribe_" + label, kV311, subscribe(kV311, f.text), kFilterInvalid});
    cases.push_back({"V5_Subscribe_" + label, kV5, subscribe(kV5, f.text), kFilterInvalid});
    cases.push_back(
        {"V311_Unsubscribe_" + label, kV311, unsubscribe(kV311, f.text), kFilterInvalid});
    cases.push_back({"V5_Unsubscribe_" + label, kV5, unsubscribe(kV5, f.text), kFilterInvalid});
  }
  cases.push_back({"V31_Subscribe_HashNotLast", kV31, subscribe(kV31, "a/#/b"), kFilterInvalid});
  for (const Filter& f : kBadSharedFilters) {
    const std::string label = f.label;
    cases.push_back({"V5_Subscribe_" + label, kV5, subscribe(kV5, f.text), kFilterInvalid});
    cases.push_back({"V5_Unsubscribe_" + label, kV5, unsubscribe(kV5, f.text), kFilterInvalid});
  }
  return cases;
}

std::vector<MalformedCase> subscribe_cases() {
  return {
      // No topic filter [MQTT-3.8.3-2], [MQTT-3.10.3-2]: 0x82.
      {"V311_SubscribeNoFilter", kV311, {0x82, 0x02, 0x00, 0x01}, kProtocolError},
      {"V31_SubscribeNoFilter", kV31, {0x82, 0x02, 0x00, 0x01}, kProtocolError},
      {"V5_SubscribeNoFilter",
       kV5,
       {0x82, 0x03,  // SUBSCRIBE, RL 3
        0x00, 0x01,  // packet id 1
        0x00},       // property length 0, then no filter
       kProtocolError},
      {"V5_SubscribeNoFilterAfterProperties",
       kV5,
       {0x82, 0x05,   // SUBSCRIBE, RL 5
        0x00, 0x01,   // packet id 1
        0x02,         // property length 2
        0x0B, 0x01},  // Subscription Identifier 1, then no filter
       kProtocolError},
      {"V311_UnsubscribeNoFilter", kV311, {0xA2, 0x02, 0x00, 0x01}, kProtocolError},
      {"V5_UnsubscribeNoFilter", kV5, {0xA2, 0x03, 0x00, 0x01, 0x00}, kProtocolError},
      // A 3.1.1-shaped packet sent on a 5.0 connection: no Property Length
      // [MQTT-2.2.2-1], so the filter's length is read from the wrong bytes
      // and runs past the end: 0x81.
      {"V5_SubscribeWithoutPropertyLength",
       kV5,
       {0x82, 0x06,       // SUBSCRIBE, RL 6
        0x00, 0x01,       // packet id 1
        0x00, 0x01, 'a',  // filter "a" where the property length belongs
        0x01},            // QoS 1
       kMalformed},
      {"V5_UnsubscribeWithoutPropertyLength",
       kV5,
       {0xA2, 0x05,        // UNSUBSCRIBE, RL 5
        0x00, 0x01,        // packet id 1
        0x00, 0x01, 'a'},  // filter "a" where the property length belongs
       kMalformed},
      // An invalid filter after a valid one: 0x8F.
      {"V311_SubscribeSecondFilterInvalid",
       kV311,
       {0x82, 0x0B,            // SUBSCRIBE, RL 11
        0x00, 0x01,            // packet id 1
        0x00, 0x01, 'a',       // filter "a"
        0x01,                  // QoS 1
        0x00, 0x02, 'b', '#',  // filter "b#"
        0x00},                 // QoS 0
       kFilterInvalid},
      {"V5_UnsubscribeSecondFilterInvalid",
       kV5,
       {0xA2, 0x0A,             // UNSUBSCRIBE, RL 10
        0x00, 0x01,             // packet id 1
        0x00,                   // property length 0
        0x00, 0x01, '#',        // filter "#"
        0x00, 0x02, '+', '+'},  // filter "++"
       kFilterInvalid},
      // Subscription options: QoS 3 or reserved bits (6-7 in 5.0, 2-7 in 3.x) [MQTT-3.8.3-5]: 0x81.
      {"V311_OptionsQoS3", kV311, subscribe(kV311, "a", 0x03), kMalformed},
      {"V311_OptionsBit2", kV311, subscribe(kV311, "a", 0x04), kMalformed},  // v5's No Local
      {"V311_OptionsBit3", kV311, subscribe(kV311, "a", 0x08), kMalformed},
      {"V311_OptionsBit4", kV311, subscribe(kV311, "a", 0x11), kMalformed},
      {"V311_OptionsBit6", kV311, subscribe(kV311, "a", 0x40), kMalformed},
      {"V311_OptionsBit7", kV311, subscribe(kV311, "a", 0x82), kMalformed},
      {"V31_OptionsQoS3", kV31, subscribe(kV31, "a", 0x03), kMalformed},
      {"V31_OptionsBit5", kV31, subscribe(kV31, "a", 0x20), kMalformed},
      {"V5_OptionsQoS3", kV5, subscribe(kV5, "a", 0x03), kProtocolError},  // §3.8.3.1
      {"V5_OptionsBit6", kV5, subscribe(kV5, "a", 0x40), kMalformed},
      {"V5_OptionsBit7", kV5, subscribe(kV5, "a", 0x81), kMalformed},
      {"V5_OptionsBits6And7", kV5, subscribe(kV5, "a", 0xC0), kMalformed},
      {"V5_SecondOptionsQoS3",
       kV5,
       {0x82, 0x0B,       // SUBSCRIBE, RL 11
        0x00, 0x01,       // packet id 1
        0x00,             // property length 0
        0x00, 0x01, 'a',  // filter "a"
        0x02,             // QoS 2
        0x00, 0x01, 'b',  // filter "b"
        0x03},            // QoS 3
       kProtocolError},
      // Retain Handling 3; No Local on a shared subscription [MQTT-3.8.3-4]: 0x82.
      {"V5_RetainHandling3", kV5, subscribe(kV5, "a", 0x30), kProtocolError},
      {"V5_RetainHandling3QoS1", kV5, subscribe(kV5, "a", 0x31), kProtocolError},
      {"V5_NoLocalOnShared",
       kV5,
       {0x82, 0x10,                                                    // SUBSCRIBE, RL 16
        0x00, 0x01,                                                    // packet id 1
        0x00,                                                          // property length 0
        0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a',  // "$share/g/a"
        0x04},                                                         // No Local
       kProtocolError},
      {"V5_NoLocalOnSharedHash", kV5, subscribe(kV5, "$share/group/#", 0x05), kProtocolError},
      // Packet identifier 0 [MQTT-2.2.1-3]: 0x82.
      {"V311_SubscribePacketId0",
       kV311,
       {0x82, 0x06,       // SUBSCRIBE, RL 6
        0x00, 0x00,       // packet id 0
        0x00, 0x01, 'a',  // filter "a"
        0x00},            // QoS 0
       kProtocolError},
      {"V5_SubscribePacketId0",
       kV5,
       {0x82, 0x07,       // SUBSCRIBE, RL 7
        0x00, 0x00,       // packet id 0
        0x00,             // property length 0
        0x00, 0x01, 'a',  // filter "a"
        0x00},            // options
       kProtocolError},
      {"V311_UnsubscribePacketId0",
       kV311,
       {0xA2, 0x05,        // UNSUBSCRIBE, RL 5
        0x00, 0x00,        // packet id 0
        0x00, 0x01, 'a'},  // filter "a"
       kProtocolError},
      {"V5_UnsubscribePacketId0",
       kV5,
       {0xA2, 0x06,        // UNSUBSCRIBE, RL 6
        0x00, 0x00,        // packet id 0
        0x00,              // property length 0
        0x00, 0x01, 'a'},  // filter "a"
       kProtocolError},
  };
}

class MalformedSubscribe : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedSubscribe, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(TopicFilter, MalformedSubscribe, ::testing::ValuesIn(filter_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Subscribe, MalformedSubscribe, ::testing::ValuesIn(subscribe_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls ----

constexpr std::string_view kGoodFilters[] = {
    "a/+/#",  "+", "#", "/", "+/+", "a//b", "//", "+/#", "/+", "+/", "$SYS/#", "a/b/c/#",
    "$share",  // no "$share/" prefix: an ordinary filter
};
constexpr std::string_view kGoodSharedFilters[] = {
    "$share/g/#", "$share/g/a/+", "$share/group/+/x/#", "$share/g//", "$share/g/+",
};

TEST(AcceptedSubscribe, ValidFiltersInEveryVersion) {
  for (const std::string_view filter : kGoodFilters) {
    SCOPED_TRACE(std::string(filter));
    for (const ProtocolVersion version : {kV31, kV311, kV5}) {
      SCOPED_TRACE(version_name(version));
      const Packet sub =
          expect_accepted(version, subscribe(version, filter, 0x01), PacketType::kSubscribe);
      if (const auto* s = std::get_if<Subscribe>(&sub)) {
        ASSERT_EQ(s->subscriptions.size(), 1u);
        EXPECT_EQ(s->subscriptions[0].filter, filter);
        EXPECT_EQ(s->subscriptions[0].options.max_qos, QoS::kAtLeastOnce);
      }
      const Packet unsub =
          expect_accepted(version, unsubscribe(version, filter), PacketType::kUnsubscribe);
      if (const auto* u = std::get_if<Unsubscribe>(&unsub)) {
        ASSERT_EQ(u->filters.size(), 1u);
        EXPECT_EQ(u->filters[0], filter);
      }
    }
  }
}

TEST(AcceptedSubscribe, ValidSharedFiltersInV5) {
  for (const std::string_view filter : kGoodSharedFilters) {
    SCOPED_TRACE(std::string(filter));
    expect_accepted(kV5, subscribe(kV5, filter, 0x02), PacketType::kSubscribe);
    expect_accepted(kV5, unsubscribe(kV5, filter), PacketType::kUnsubscribe);
  }
}

TEST(AcceptedSubscribe, V5AllOptions) {
  const Packet packet = expect_accepted(kV5,
                                        {0x82, 0x09,        // SUBSCRIBE, RL 9
                                         0x00, 0x05,        // packet id 5
                                         0x02, 0x0B, 0x07,  // Subscription Identifier 7
                                         0x00, 0x01, 'a',   // filter "a"
                                         0x2E},  // QoS 2, No Local, RAP, Retain Handling 2
                                        PacketType::kSubscribe);
  const auto& sub = std::get<Subscribe>(packet);
  EXPECT_EQ(sub.packet_id, 5);
  EXPECT_EQ(sub.properties.subscription_identifiers, std::vector<std::uint32_t>{7});
  ASSERT_EQ(sub.subscriptions.size(), 1u);
  const SubscriptionOptions& o = sub.subscriptions[0].options;
  EXPECT_EQ(o.max_qos, QoS::kExactlyOnce);
  EXPECT_TRUE(o.no_local);
  EXPECT_TRUE(o.retain_as_published);
  EXPECT_EQ(o.retain_handling, RetainHandling::kDoNotSend);
}

TEST(AcceptedSubscribe, V5SharedWithoutNoLocalAndRetainHandling1) {
  const Packet packet =
      expect_accepted(kV5, subscribe(kV5, "$share/g/a", 0x19), PacketType::kSubscribe);
  const auto& o = std::get<Subscribe>(packet).subscriptions.at(0).options;
  EXPECT_EQ(o.max_qos, QoS::kAtLeastOnce);
  EXPECT_FALSE(o.no_local);
  EXPECT_TRUE(o.retain_as_published);
  EXPECT_EQ(o.retain_handling, RetainHandling::kSendOnNewSubscribe);
}

TEST(AcceptedSubscribe, V311SeveralFilters) {
  const Packet packet = expect_accepted(kV311,
                                        {0x82, 0x0C,                        // SUBSCRIBE, RL 12
                                         0x00, 0x02,                        // packet id 2
                                         0x00, 0x01, '#', 0x00,             // "#", QoS 0
                                         0x00, 0x03, 'a', '/', '+', 0x02},  // "a/+", QoS 2
                                        PacketType::kSubscribe);
  const auto& sub = std::get<Subscribe>(packet);
  ASSERT_EQ(sub.subscriptions.size(), 2u);
  EXPECT_EQ(sub.subscriptions[1].filter, "a/+");
  EXPECT_EQ(sub.subscriptions[1].options.max_qos, QoS::kExactlyOnce);
}

}  // namespace
}  // namespace cairn::mqtt
