// QoS 1 and 2 end to end through the real broker, publisher and subscriber
// both Eclipse Paho C clients.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

constexpr int kMessages = 200;

// "m<i>". (Not "m" + std::to_string(i): GCC 12 warns about that at -O3, a
// false -Wrestrict positive.)
std::string numbered(int i) {
  std::string s = "m";
  s += std::to_string(i);
  return s;
}

using Qos = BothVersions;

// [MQTT-4.3.3]: QoS 2 is delivered exactly once; [MQTT-4.6.0-6]: a
// subscriber gets one publisher's messages on a topic in the order sent.
TEST_P(Qos, Qos2ArrivesExactlyOnceInOrder) {
  auto sub = connected("q2-sub", version());
  ASSERT_EQ(sub->subscribe("q2/t", 2), 2);
  auto pub = connected("q2-pub", version());
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(pub->publish("q2/t", numbered(i), 2), MQTTCLIENT_SUCCESS) << i;
  }
  // Every message, each once, in order, then the marker: nothing repeated.
  const std::vector<Message> got = sub->receive_until_marker("q2/t");
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(got[i].topic, "q2/t");
    EXPECT_EQ(got[i].payload, numbered(i));
    EXPECT_EQ(got[i].qos, 2);
    EXPECT_FALSE(got[i].dup);
  }
}

// [MQTT-4.3.2]: QoS 1 arrives at least once, in order [MQTT-4.6.0-6]; a
// repeat is only allowed as a re-delivery marked DUP.
TEST_P(Qos, Qos1ArrivesAtLeastOnceInOrder) {
  auto sub = connected("q1-sub", version());
  ASSERT_EQ(sub->subscribe("q1/t", 1), 1);
  auto pub = connected("q1-pub", version());
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(pub->publish("q1/t", numbered(i), 1), MQTTCLIENT_SUCCESS) << i;
  }
  const std::vector<Message> got = sub->receive_until_marker("q1/t");
  std::vector<std::string> payloads;
  for (const Message& m : got) {
    EXPECT_EQ(m.qos, 1);
    if (!payloads.empty() && m.dup && payloads.back() == m.payload) continue;
    payloads.push_back(m.payload);
  }
  ASSERT_EQ(payloads.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(payloads[i], numbered(i));
}

// [MQTT-3.8.4-8]: a message goes out at the lower of its own QoS and the
// subscription's granted QoS.
TEST_P(Qos, DeliveredAtTheLowerOfMessageAndSubscriptionQos) {
  auto sub = connected("down-sub", version());
  ASSERT_EQ(sub->subscribe("down/q1", 1), 1);
  ASSERT_EQ(sub->subscribe("down/q2", 2), 2);
  auto pub = connected("down-pub", version());
  ASSERT_EQ(pub->publish("down/q1", "two-to-one", 2), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("down/q2", "one-stays-one", 1), MQTTCLIENT_SUCCESS);
  std::vector<Message> got = sub->receive(2);
  ASSERT_EQ(got.size(), 2u);
  // Two topics: their relative order is not specified.
  if (got[0].topic != "down/q1") std::swap(got[0], got[1]);
  EXPECT_EQ(got[0].payload, "two-to-one");
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_EQ(got[1].payload, "one-stays-one");
  EXPECT_EQ(got[1].qos, 1);
}

// [MQTT-3.3.5-1] (3.1.1), [MQTT-3.3.4-2] (5.0): with overlapping
// subscriptions the message is delivered at the highest of their QoS (one
// copy per subscription is allowed, one at the highest is required).
TEST_P(Qos, OverlappingSubscriptionsDeliverAtTheirHighestQos) {
  auto sub = connected("overlap-sub", version());
  ASSERT_EQ(sub->subscribe("ov/#", 0), 0);
  ASSERT_EQ(sub->subscribe("ov/+", 2), 2);
  auto pub = connected("overlap-pub", version());
  ASSERT_EQ(pub->publish("ov/a", "x", 2), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(sub->subscribe("marker", 2), 2);
  const std::vector<Message> got = sub->receive_until_marker("marker");
  ASSERT_FALSE(got.empty());
  int highest = -1;
  for (const Message& m : got) {
    EXPECT_EQ(m.payload, "x");
    highest = std::max(highest, m.qos);
  }
  EXPECT_EQ(highest, 2);
}

// The packet identifier of a PUBACK / PUBREC / PUBREL / PUBCOMP.
std::uint16_t ack_id(const RawPacket& p) {
  return p.body.size() < 2 ? 0 : static_cast<std::uint16_t>(p.body[0] << 8 | p.body[1]);
}

// Reads the next packet and checks it is `type` for `id`.
void expect_ack(RawClient& c, PacketType type, std::uint16_t id) {
  auto p = c.read(kWait);
  ASSERT_TRUE(p) << "no packet of type " << int{type} << " for id " << id;
  EXPECT_EQ(p->type, type);
  EXPECT_EQ(ack_id(*p), id);
}

// A QoS 2 PUBLISH re-sent (DUP) before PUBREL is acknowledged again but not
// delivered again ([MQTT-4.3.3-9] 5.0, [MQTT-4.3.3-2] 3.1.1 method B); once
// PUBCOMP has gone, the identifier is free for a new message.
TEST_P(Qos, Qos2PublishResentBeforePubrelIsDeliveredOnce) {
  auto sub = connected("dedup-sub", version());
  ASSERT_EQ(sub->subscribe("dedup/t", 2), 2);
  RawClient pub(port());
  RawConnect c;
  c.version = level();
  c.client_id = "dedup-pub";
  ASSERT_TRUE(pub.handshake(c, kWait));
  Bytes once = publish_packet(level(), "dedup/t", "once", 2, 7);
  ASSERT_TRUE(pub.send(once));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubrec, 7));
  once[0] |= 0x08;  // DUP
  ASSERT_TRUE(pub.send(once));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubrec, 7));
  ASSERT_TRUE(pub.send(ack_packet(kPubrel, 7)));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubcomp, 7));
  ASSERT_TRUE(pub.send(publish_packet(level(), "dedup/t", "again", 2, 7)));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubrec, 7));
  ASSERT_TRUE(pub.send(ack_packet(kPubrel, 7)));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubcomp, 7));

  std::vector<std::string> payloads;
  for (const Message& m : sub->receive_until_marker("dedup/t")) payloads.push_back(m.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"once", "again"}));
}

// The same across a reconnect of a publisher with a persistent session: the
// PUBLISH re-sent on the new connection, before PUBREL, is not delivered
// twice (exactly once end to end, [MQTT-4.3.3]).
TEST_P(Qos, Qos2PublishResentAfterReconnectIsDeliveredOnce) {
  auto sub = connected("dedup-sub", version());
  ASSERT_EQ(sub->subscribe("dedup/t", 2), 2);
  RawConnect c;
  c.version = level();
  c.client_id = "dedup-pub";
  c.clean_start = false;
  if (level() == 5) c.properties.u32(kSessionExpiryInterval, 300);
  Bytes publish = publish_packet(level(), "dedup/t", "once", 2, 9);
  {
    RawClient pub(port());
    ASSERT_TRUE(pub.handshake(c, kWait));
    ASSERT_TRUE(pub.send(publish));
    ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubrec, 9));
  }  // closed without PUBREL
  RawClient pub(port());
  auto ack = pub.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present);
  publish[0] |= 0x08;  // DUP
  ASSERT_TRUE(pub.send(publish));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubrec, 9));
  ASSERT_TRUE(pub.send(ack_packet(kPubrel, 9)));
  ASSERT_NO_FATAL_FAILURE(expect_ack(pub, kPubcomp, 9));

  std::vector<std::string> payloads;
  for (const Message& m : sub->receive_until_marker("dedup/t")) payloads.push_back(m.payload);
  EXPECT_EQ(payloads, std::vector<std::string>{"once"});
}

CAIRN_BOTH_VERSIONS(Qos);

}  // namespace
}  // namespace cairn::paho_test
