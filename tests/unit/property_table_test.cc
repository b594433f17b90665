// The property table against MQTT 5.0 table 2-4: identifier, wire type and
// the packets (and Will Properties) each property may appear in.
#include <cstdint>
#include <set>
#include <string_view>

#include <gtest/gtest.h>

#include "mqtt/packet_type.h"
#include "mqtt/property.h"

namespace cairn::mqtt {
namespace {

using PT = PacketType;
using T = PropertyType;

constexpr PropertyScope scope(std::initializer_list<PT> types, bool will = false) {
  PropertyScope s = will ? kInWill : 0;
  for (const PT t : types) s |= in(t);
  return s;
}

struct Expected {
  std::uint8_t id;
  T type;
  std::string_view name;
  PropertyScope scope;
};

// Table 2-4, written out from the specification.
const Expected kTable[] = {
    {0x01, T::kByte, "Payload Format Indicator", scope({PT::kPublish}, true)},
    {0x02, T::kFourByteInteger, "Message Expiry Interval", scope({PT::kPublish}, true)},
    {0x03, T::kUtf8String, "Content Type", scope({PT::kPublish}, true)},
    {0x08, T::kUtf8String, "Response Topic", scope({PT::kPublish}, true)},
    {0x09, T::kBinaryData, "Correlation Data", scope({PT::kPublish}, true)},
    {0x0B, T::kVariableByteInteger, "Subscription Identifier",
     scope({PT::kPublish, PT::kSubscribe})},
    {0x11, T::kFourByteInteger, "Session Expiry Interval",
     scope({PT::kConnect, PT::kConnack, PT::kDisconnect})},
    {0x12, T::kUtf8String, "Assigned Client Identifier", scope({PT::kConnack})},
    {0x13, T::kTwoByteInteger, "Server Keep Alive", scope({PT::kConnack})},
    {0x15, T::kUtf8String, "Authentication Method", scope({PT::kConnect, PT::kConnack, PT::kAuth})},
    {0x16, T::kBinaryData, "Authentication Data", scope({PT::kConnect, PT::kConnack, PT::kAuth})},
    {0x17, T::kByte, "Request Problem Information", scope({PT::kConnect})},
    {0x18, T::kFourByteInteger, "Will Delay Interval", scope({}, true)},
    {0x19, T::kByte, "Request Response Information", scope({PT::kConnect})},
    {0x1A, T::kUtf8String, "Response Information", scope({PT::kConnack})},
    {0x1C, T::kUtf8String, "Server Reference", scope({PT::kConnack, PT::kDisconnect})},
    {0x1F, T::kUtf8String, "Reason String",
     scope({PT::kConnack, PT::kPuback, PT::kPubrec, PT::kPubrel, PT::kPubcomp, PT::kSuback,
            PT::kUnsuback, PT::kDisconnect, PT::kAuth})},
    {0x21, T::kTwoByteInteger, "Receive Maximum", scope({PT::kConnect, PT::kConnack})},
    {0x22, T::kTwoByteInteger, "Topic Alias Maximum", scope({PT::kConnect, PT::kConnack})},
    {0x23, T::kTwoByteInteger, "Topic Alias", scope({PT::kPublish})},
    {0x24, T::kByte, "Maximum QoS", scope({PT::kConnack})},
    {0x25, T::kByte, "Retain Available", scope({PT::kConnack})},
    {0x26, T::kUtf8StringPair, "User Property",
     scope({PT::kConnect, PT::kConnack, PT::kPublish, PT::kPuback, PT::kPubrec, PT::kPubrel,
            PT::kPubcomp, PT::kSubscribe, PT::kSuback, PT::kUnsubscribe, PT::kUnsuback,
            PT::kDisconnect, PT::kAuth},
           true)},
    {0x27, T::kFourByteInteger, "Maximum Packet Size", scope({PT::kConnect, PT::kConnack})},
    {0x28, T::kByte, "Wildcard Subscription Available", scope({PT::kConnack})},
    {0x29, T::kByte, "Subscription Identifier Available", scope({PT::kConnack})},
    {0x2A, T::kByte, "Shared Subscription Available", scope({PT::kConnack})},
};

TEST(PropertyTable, FindPropertyMatchesTheSpecification) {
  for (const Expected& e : kTable) {
    SCOPED_TRACE(e.name);
    const PropertyInfo* info = find_property(e.id);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(static_cast<unsigned>(info->id), e.id);
    EXPECT_EQ(info->type, e.type);
    EXPECT_EQ(info->name, e.name);
    EXPECT_EQ(info->scope, e.scope)
        << std::hex << "got 0x" << info->scope << ", want 0x" << e.scope;
  }
}

TEST(PropertyTable, OtherIdentifiersAreUnknown) {
  std::set<unsigned> known;
  for (const Expected& e : kTable) known.insert(e.id);
  for (unsigned id = 0; id < 256; ++id) {
    if (known.count(id)) continue;
    EXPECT_EQ(find_property(static_cast<std::uint8_t>(id)), nullptr) << "0x" << std::hex << id;
  }
}

TEST(PropertyTable, AllPropertiesAscendingAnd27) {
  const auto all = all_properties();
  ASSERT_EQ(all.size(), 27u);
  ASSERT_EQ(all.size(), std::size(kTable));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<unsigned>(all[i].id), kTable[i].id);
    if (i > 0) {
      EXPECT_LT(all[i - 1].id, all[i].id);
    }
    EXPECT_EQ(find_property(static_cast<std::uint8_t>(all[i].id)), &all[i]);
  }
}

TEST(PropertyTable, ScopeBitsAreThePacketTypes) {
  EXPECT_EQ(in(PT::kConnect), 1u << 1);
  EXPECT_EQ(in(PT::kAuth), 1u << 15);
  EXPECT_EQ(kInWill, 1u << 0);
  // Only the Will Delay Interval is in the will alone, and no property is in PINGREQ/PINGRESP.
  for (const PropertyInfo& info : all_properties()) {
    EXPECT_EQ(info.scope & (in(PT::kPingreq) | in(PT::kPingresp)), 0) << info.name;
    EXPECT_EQ(info.scope == kInWill, info.id == PropertyId::kWillDelayInterval) << info.name;
  }
}

TEST(Properties, EmptyAndEquality) {
  Properties p;
  EXPECT_TRUE(p.empty());
  p.user_properties.push_back({"k", "v"});
  EXPECT_FALSE(p.empty());
  Properties q;
  q.subscription_identifiers.push_back(1);
  EXPECT_FALSE(q.empty());
  Properties r;
  r.payload_format_indicator = 0;  // present, even with value 0
  EXPECT_FALSE(r.empty());
  EXPECT_NE(p, q);
  EXPECT_EQ(Properties{}, Properties{});
}

}  // namespace
}  // namespace cairn::mqtt
