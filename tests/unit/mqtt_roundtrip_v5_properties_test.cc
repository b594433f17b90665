// MQTT 5.0 properties (§2.2.2, table 2-4): every property round-trips in a
// packet that may carry it, against bytes derived by hand from the
// specification. The cases below are one table, so that a last test can prove
// that each property of property.h appears in one: a property added to the
// codec without a round trip fails it.
//
// The encoder writes properties in ascending identifier order, a repeated
// property (User Property, Subscription Identifier) in the order given.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/packet.h"
#include "mqtt/property.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"
#include "support/hex.h"
#include "support/roundtrip.h"

namespace cairn::mqtt {
namespace {

using ::cairn::test::as_string;
using ::cairn::test::Bytes;
using ::cairn::test::bytes;
using ::cairn::test::round_trips;

constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

struct PropertyCase {
  const char* name;  // the test's name
  Packet packet;
  Bytes bytes;
};

PropertyCase connect_properties() {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = true;
  connect.keep_alive = 60;
  connect.client_id = "c";
  Properties& p = connect.properties;
  p.session_expiry_interval = 3600;
  p.authentication_method = "SCRAM";
  p.authentication_data = as_string(bytes({0x01, 0x02}));
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 20;
  p.topic_alias_maximum = 10;
  p.user_properties = {{"k", "v"}, {"k", "w"}};  // "The same name is allowed to appear
                                                 // more than once" (§3.1.2.11.8)
  p.maximum_packet_size = 1048576;

  return {"ConnectProperties", connect,
          bytes({
              0x10,                          // CONNECT
              0x3D,                          // Remaining Length 61
              0x00, 0x04,                    // protocol name length 4
              'M',  'Q',  'T',  'T',         // "MQTT"
              0x05,                          // protocol version 5
              0x02,                          // connect flags: Clean Start
              0x00, 0x3C,                    // keep alive 60 s
              0x2F,                          // property length 47
              0x11, 0x00, 0x00, 0x0E, 0x10,  // Session Expiry Interval 3600
              0x15, 0x00, 0x05,              // Authentication Method, length 5
              'S',  'C',  'R',  'A',  'M',   //   "SCRAM"
              0x16, 0x00, 0x02,              // Authentication Data, length 2
              0x01, 0x02,                    //   bytes
              0x17, 0x00,                    // Request Problem Information 0
              0x19, 0x01,                    // Request Response Information 1
              0x21, 0x00, 0x14,              // Receive Maximum 20
              0x22, 0x00, 0x0A,              // Topic Alias Maximum 10
              0x26,                          // User Property
              0x00, 0x01, 'k',               //   key "k"
              0x00, 0x01, 'v',               //   value "v"
              0x26,                          // User Property
              0x00, 0x01, 'k',               //   key "k" again
              0x00, 0x01, 'w',               //   value "w"
              0x27, 0x00, 0x10, 0x00, 0x00,  // Maximum Packet Size 1048576
              0x00, 0x01, 'c',               // client identifier "c"
          })};
}

PropertyCase will_properties() {
  Connect connect;
  connect.version = kV5;
  connect.clean_start = true;
  connect.client_id = "c";
  connect.will.emplace();
  connect.will->topic = "w";
  connect.will->payload = "bye";
  connect.will->qos = QoS::kAtLeastOnce;
  connect.will->retain = true;
  Properties& p = connect.will->properties;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 60;
  p.content_type = "text/plain";
  p.response_topic = "r/t";
  p.correlation_data = as_string(bytes({0x00, 0xFF}));
  p.will_delay_interval = 30;
  p.user_properties = {{"a", "1"}, {"b", "2"}};
  connect.username = "u";

  return {"WillProperties", connect,
          bytes({
              0x10,                          // CONNECT
              0x4C,                          // Remaining Length 76
              0x00, 0x04,                    // protocol name length 4
              'M', 'Q', 'T', 'T',            // "MQTT"
              0x05,                          // protocol version 5
              0xAE,                          // flags: user name 0x80 | will retain 0x20
                                             //   | will QoS 1 0x08 | will 0x04 | Clean Start 0x02
              0x00, 0x00,                    // keep alive 0
              0x00,                          // property length 0
              0x00, 0x01, 'c',               // client identifier "c"
              0x32,                          // will property length 50
              0x01, 0x01,                    // Payload Format Indicator 1 (UTF-8)
              0x02, 0x00, 0x00, 0x00, 0x3C,  // Message Expiry Interval 60
              0x03, 0x00, 0x0A,              // Content Type, length 10
              't', 'e', 'x', 't', '/',       //   "text/
              'p', 'l', 'a', 'i', 'n',       //   plain"
              0x08, 0x00, 0x03,              // Response Topic, length 3
              'r', '/', 't',                 //   "r/t"
              0x09, 0x00, 0x02,              // Correlation Data, length 2
              0x00, 0xFF,                    //   bytes
              0x18, 0x00, 0x00, 0x00, 0x1E,  // Will Delay Interval 30
              0x26,                          // User Property
              0x00, 0x01, 'a',               //   key "a"
              0x00, 0x01, '1',               //   value "1"
              0x26,                          // User Property
              0x00, 0x01, 'b',               //   key "b"
              0x00, 0x01, '2',               //   value "2"
              0x00, 0x01, 'w',               // will topic "w"
              0x00, 0x03, 'b', 'y', 'e',     // will payload "bye"
              0x00, 0x01, 'u',               // user name "u"
          })};
}

PropertyCase connack_properties() {
  Connack connack;
  connack.session_present = true;
  Properties& p = connack.properties;
  p.session_expiry_interval = 120;
  p.assigned_client_identifier = "auto-1";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM";
  p.authentication_data = as_string(bytes({0xAB}));
  p.response_information = "resp";
  p.receive_maximum = 100;
  p.topic_alias_maximum = 5;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = {{"k", "v"}};
  p.maximum_packet_size = 65536;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;

  return {"ConnackProperties", connack,
          bytes({
              0x20,                               // CONNACK
              0x43,                               // Remaining Length 67
              0x01,                               // acknowledge flags: Session Present
              0x00,                               // reason code Success
              0x40,                               // property length 64
              0x11, 0x00, 0x00, 0x00, 0x78,       // Session Expiry Interval 120
              0x12, 0x00, 0x06,                   // Assigned Client Identifier, length 6
              'a',  'u',  't',  'o',  '-',  '1',  //   "auto-1"
              0x13, 0x00, 0x1E,                   // Server Keep Alive 30
              0x15, 0x00, 0x05,                   // Authentication Method, length 5
              'S',  'C',  'R',  'A',  'M',        //   "SCRAM"
              0x16, 0x00, 0x01, 0xAB,             // Authentication Data, length 1: AB
              0x1A, 0x00, 0x04,                   // Response Information, length 4
              'r',  'e',  's',  'p',              //   "resp"
              0x21, 0x00, 0x64,                   // Receive Maximum 100
              0x22, 0x00, 0x05,                   // Topic Alias Maximum 5
              0x24, 0x01,                         // Maximum QoS 1
              0x25, 0x00,                         // Retain Available 0
              0x26,                               // User Property
              0x00, 0x01, 'k',                    //   key "k"
              0x00, 0x01, 'v',                    //   value "v"
              0x27, 0x00, 0x01, 0x00, 0x00,       // Maximum Packet Size 65536
              0x28, 0x01,                         // Wildcard Subscription Available 1
              0x29, 0x00,                         // Subscription Identifier Available 0
              0x2A, 0x01,                         // Shared Subscription Available 1
          })};
}

PropertyCase connack_refusal_properties() {
  Connack connack;
  connack.reason_code = ReasonCode::kUseAnotherServer;
  connack.properties.server_reference = "other:1883";
  connack.properties.reason_string = "moved";

  return {"ConnackRefusalProperties", connack,
          bytes({
              0x20,                        // CONNACK
              0x18,                        // Remaining Length 24
              0x00,                        // acknowledge flags: none
              0x9C,                        // reason code Use another server
              0x15,                        // property length 21
              0x1C, 0x00, 0x0A,            // Server Reference, length 10
              'o',  't',  'h',  'e', 'r',  //   "other
              ':',  '1',  '8',  '8', '3',  //   :1883"
              0x1F, 0x00, 0x05,            // Reason String, length 5
              'm',  'o',  'v',  'e', 'd',  //   "moved"
          })};
}

PropertyCase publish_properties() {
  // As a server sends it: with the Subscription Identifiers of every matching
  // subscription (§3.3.2.3.8), in the order given.
  Publish publish;
  publish.qos = QoS::kAtLeastOnce;
  publish.topic = "a/b";
  publish.packet_id = 0x42;
  publish.payload = "{}";
  Properties& p = publish.properties;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 86400;
  p.content_type = "json";
  p.response_topic = "re/1";
  p.correlation_data = as_string(bytes({0x01, 0x02, 0x03}));
  p.subscription_identifiers = {300, 1, 268435455};
  p.topic_alias = 5;
  p.user_properties = {{"k1", "v1"}, {"k2", "v2"}};

  return {"PublishProperties", publish,
          bytes({
              0x32,                          // PUBLISH, QoS 1
              0x44,                          // Remaining Length 68
              0x00, 0x03, 'a',  '/',  'b',   // topic name "a/b"
              0x00, 0x42,                    // packet identifier 0x42
              0x3A,                          // property length 58
              0x01, 0x01,                    // Payload Format Indicator 1
              0x02, 0x00, 0x01, 0x51, 0x80,  // Message Expiry Interval 86400
              0x03, 0x00, 0x04,              // Content Type, length 4
              'j',  's',  'o',  'n',         //   "json"
              0x08, 0x00, 0x04,              // Response Topic, length 4
              'r',  'e',  '/',  '1',         //   "re/1"
              0x09, 0x00, 0x03,              // Correlation Data, length 3
              0x01, 0x02, 0x03,              //   bytes
              0x0B, 0xAC, 0x02,              // Subscription Identifier 300 = 44 + 2*128
              0x0B, 0x01,                    // Subscription Identifier 1
              0x0B, 0xFF, 0xFF, 0xFF, 0x7F,  // Subscription Identifier 268435455 (largest)
              0x23, 0x00, 0x05,              // Topic Alias 5
              0x26,                          // User Property
              0x00, 0x02, 'k',  '1',         //   key "k1"
              0x00, 0x02, 'v',  '1',         //   value "v1"
              0x26,                          // User Property
              0x00, 0x02, 'k',  '2',         //   key "k2"
              0x00, 0x02, 'v',  '2',         //   value "v2"
              '{',  '}',                     // payload
          })};
}

PropertyCase publish_topic_alias_only() {
  // A zero-length topic name stands for the topic the alias was set to
  // (§3.3.2.3.4).
  Publish publish;
  publish.topic = "";
  publish.properties.topic_alias = 1;
  publish.payload = "x";

  return {"PublishEmptyTopicWithTopicAlias", publish,
          bytes({
              0x30,              // PUBLISH, QoS 0
              0x07,              // Remaining Length 7
              0x00, 0x00,        // topic name length 0
              0x03,              // property length 3
              0x23, 0x00, 0x01,  // Topic Alias 1
              'x',               // payload
          })};
}

PropertyCase subscribe_properties() {
  Subscribe subscribe;
  subscribe.packet_id = 0x10;
  subscribe.properties.subscription_identifiers = {16384};
  subscribe.properties.user_properties = {{"a", "b"}};
  TopicSubscription s;
  s.filter = "t/#";
  s.options.max_qos = QoS::kAtLeastOnce;
  subscribe.subscriptions = {s};

  return {"SubscribeProperties", subscribe,
          bytes({
              0x82,                         // SUBSCRIBE, flags 0b0010
              0x14,                         // Remaining Length 20
              0x00, 0x10,                   // packet identifier 16
              0x0B,                         // property length 11
              0x0B, 0x80, 0x80, 0x01,       // Subscription Identifier 16384 = 1*128^2
              0x26,                         // User Property
              0x00, 0x01, 'a',              //   key "a"
              0x00, 0x01, 'b',              //   value "b"
              0x00, 0x03, 't',  '/',  '#',  // topic filter "t/#"
              0x01,                         //   options: QoS 1
          })};
}

PropertyCase disconnect_properties() {
  Disconnect disconnect;
  disconnect.reason_code = ReasonCode::kDisconnectWithWillMessage;
  disconnect.properties.session_expiry_interval = 0xFFFFFFFF;
  disconnect.properties.reason_string = "bye";
  disconnect.properties.user_properties = {{"a", "b"}};

  return {"DisconnectProperties", disconnect,
          bytes({
              0xE0,                          // DISCONNECT
              0x14,                          // Remaining Length 20
              0x04,                          // reason code Disconnect with Will Message
              0x12,                          // property length 18
              0x11, 0xFF, 0xFF, 0xFF, 0xFF,  // Session Expiry Interval 0xFFFFFFFF (never)
              0x1F, 0x00, 0x03,              // Reason String, length 3
              'b',  'y',  'e',               //   "bye"
              0x26,                          // User Property
              0x00, 0x01, 'a',               //   key "a"
              0x00, 0x01, 'b',               //   value "b"
          })};
}

PropertyCase disconnect_server_reference() {
  Disconnect disconnect;
  disconnect.reason_code = ReasonCode::kServerMoved;
  disconnect.properties.server_reference = "s2";

  return {"DisconnectServerReference", disconnect,
          bytes({
              0xE0,              // DISCONNECT
              0x07,              // Remaining Length 7
              0x9D,              // reason code Server moved
              0x05,              // property length 5
              0x1C, 0x00, 0x02,  // Server Reference, length 2
              's', '2',          //   "s2"
          })};
}

PropertyCase auth_properties() {
  Auth auth;
  auth.reason_code = ReasonCode::kContinueAuthentication;
  auth.properties.authentication_method = "SCRAM";
  auth.properties.authentication_data = as_string(bytes({0x00, 0x01, 0x02}));
  auth.properties.reason_string = "go";
  auth.properties.user_properties = {{"a", "b"}};

  return {"AuthProperties", auth,
          bytes({
              0xF0,                        // AUTH
              0x1C,                        // Remaining Length 28
              0x18,                        // reason code Continue authentication
              0x1A,                        // property length 26
              0x15, 0x00, 0x05,            // Authentication Method, length 5
              'S',  'C',  'R',  'A', 'M',  //   "SCRAM"
              0x16, 0x00, 0x03,            // Authentication Data, length 3
              0x00, 0x01, 0x02,            //   bytes
              0x1F, 0x00, 0x02,            // Reason String, length 2
              'g',  'o',                   //   "go"
              0x26,                        // User Property
              0x00, 0x01, 'a',             //   key "a"
              0x00, 0x01, 'b',             //   value "b"
          })};
}

using CaseFn = PropertyCase (*)();

// The table: every case above. EveryPropertyHasARoundTrip reads it.
constexpr CaseFn kCases[] = {
    &connect_properties,          &will_properties,
    &connack_properties,          &connack_refusal_properties,
    &publish_properties,          &publish_topic_alias_only,
    &subscribe_properties,        &disconnect_properties,
    &disconnect_server_reference, &auth_properties,
};

class MqttRoundTripV5Properties : public testing::TestWithParam<CaseFn> {};

TEST_P(MqttRoundTripV5Properties, RoundTrips) {
  const PropertyCase c = GetParam()();
  EXPECT_TRUE(round_trips(c.packet, kV5, c.bytes));
}

INSTANTIATE_TEST_SUITE_P(Every, MqttRoundTripV5Properties, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<CaseFn>& info) {
                           return std::string(info.param().name);
                         });

// --- Coverage --------------------------------------------------------------

template <typename T>
bool present(const std::optional<T>& v) {
  return v.has_value();
}
template <typename T>
bool present(const std::vector<T>& v) {
  return !v.empty();
}

// The identifiers of the properties set in `p`.
void collect(const Properties& p, std::set<PropertyId>& ids) {
#define CAIRN_X(id, enumerator, member, type, name, scope) \
  if (present(p.member)) ids.insert(PropertyId::enumerator);
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
}

TEST(MqttRoundTripV5PropertyCoverage, EveryPropertyHasARoundTrip) {
  std::set<PropertyId> in_packets;
  std::set<PropertyId> in_wills;
  for (CaseFn fn : kCases) {
    std::visit(
        [&](const auto& packet) {
          if constexpr (requires { packet.properties; }) collect(packet.properties, in_packets);
          if constexpr (std::is_same_v<std::decay_t<decltype(packet)>, Connect>) {
            if (packet.will) collect(packet.will->properties, in_wills);
          }
        },
        fn().packet);
  }
  for (const PropertyInfo& info : all_properties()) {
    const bool covered = in_packets.contains(info.id) || in_wills.contains(info.id);
    EXPECT_TRUE(covered) << info.name << " (0x" << std::hex << static_cast<int>(info.id)
                         << ") appears in no round-trip case";
    if ((info.scope & kInWill) != 0) {
      EXPECT_TRUE(in_wills.contains(info.id))
          << info.name << " may be a Will Property but no case puts it in a will";
    }
  }
}

}  // namespace
}  // namespace cairn::mqtt
