// MQTT 5 only: subscription identifiers, topic aliases from the client,
// message expiry, the properties a broker forwards unchanged, the client's
// Receive Maximum and Maximum Packet Size, assigned client identifiers.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;

std::string numbered(int i) {
  std::string s = "m";
  s += std::to_string(i);
  return s;
}

std::vector<std::uint32_t> sorted(std::vector<std::uint32_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The packet identifier of a PUBACK / PUBREC / PUBREL / PUBCOMP.
std::uint16_t ack_id(const RawPacket& p) {
  return p.body.size() < 2 ? 0 : static_cast<std::uint16_t>(p.body[0] << 8 | p.body[1]);
}

class Mqtt5 : public BrokerTest {};

// [MQTT-3.3.4-3], [MQTT-3.3.4-4]: a message matching several subscriptions
// carries all their Subscription Identifiers; a retained message sent on
// subscribe carries that subscription's; a subscription without one adds
// none.
TEST_F(Mqtt5, SubscriptionIdentifiersAreDelivered) {
  auto pub = connected("sid-pub", 5);
  ASSERT_EQ(pub->publish("sid/r", "retained", 1, true), MQTTCLIENT_SUCCESS);
  auto sub = connected("sid-sub", 5);
  SubscribeOptions seven;
  seven.subscription_identifier = 7;
  SubscribeOptions nine;
  nine.subscription_identifier = 9;
  ASSERT_EQ(sub->subscribe("sid/+", 1, seven), 1);
  auto r7 = sub->receive();
  ASSERT_TRUE(r7);
  EXPECT_EQ(r7->properties.subscription_identifiers, std::vector<std::uint32_t>{7});
  ASSERT_EQ(sub->subscribe("sid/#", 1, nine), 1);
  auto r9 = sub->receive();
  ASSERT_TRUE(r9);
  EXPECT_EQ(r9->properties.subscription_identifiers, std::vector<std::uint32_t>{9});
  ASSERT_EQ(sub->subscribe("plain/#", 1), 1);

  ASSERT_EQ(pub->publish("sid/a", "both", 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("plain/b", "none", 1), MQTTCLIENT_SUCCESS);
  std::vector<Message> got = sub->receive(2);
  ASSERT_EQ(got.size(), 2u);
  if (got[0].topic != "sid/a") std::swap(got[0], got[1]);
  EXPECT_EQ(sorted(got[0].properties.subscription_identifiers), (std::vector<std::uint32_t>{7, 9}));
  EXPECT_TRUE(got[1].properties.subscription_identifiers.empty());
}

// §3.3.2.3.4: a client sets a Topic Alias with a topic, then publishes with
// the alias and an empty topic; subscribers see the full topic. An alias can
// be mapped again.
TEST_F(Mqtt5, TopicAliasFromTheClientIsResolved) {
  auto sub = connected("alias-sub", 5);
  ASSERT_EQ(sub->subscribe("alias/#", 1), 1);
  RawClient pub(port());
  RawConnect c;
  c.client_id = "alias-pub";
  auto ack = pub.handshake(c, kWait);
  ASSERT_TRUE(ack);
  const RawProperty* maximum = ack->properties.find(kTopicAliasMaximum);
  ASSERT_NE(maximum, nullptr) << "CONNACK offers no topic aliases";
  ASSERT_GE(maximum->number, 1u);

  const auto alias1 = PropertyWriter().u16(kTopicAlias, 1);
  const std::string topics[] = {"alias/t", "", "alias/u", ""};
  const std::string expected[] = {"alias/t", "alias/t", "alias/u", "alias/u"};
  for (std::uint16_t id = 1; id <= 4; ++id) {
    ASSERT_TRUE(pub.send(publish_packet(5, topics[id - 1], numbered(id), 1, id, false, alias1)));
    auto puback = pub.read(kWait);
    ASSERT_TRUE(puback) << "no PUBACK for publish " << id;
    EXPECT_EQ(puback->type, kPuback);
    EXPECT_EQ(ack_id(*puback), id);
  }
  const std::vector<Message> got = sub->receive(4);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i].topic, expected[i]);
    EXPECT_EQ(got[i].payload, numbered(i + 1));
  }
}

// §3.3.2.3.4 towards the client: cairn may use Topic Aliases, never above
// the Topic Alias Maximum the client sent [MQTT-3.3.2-10], and none at all to
// a client that sent none [MQTT-3.3.2-11]; every PUBLISH resolves to its
// topic.
TEST_F(Mqtt5, TopicAliasesTowardsTheClientStayWithinItsMaximum) {
  RawClient one(port());
  RawConnect c;
  c.client_id = "alias-one";
  c.properties.u16(kTopicAliasMaximum, 1);
  ASSERT_TRUE(one.handshake(c, kWait));
  ASSERT_TRUE(one.subscribe(1, "ta/#", 1, kWait));
  RawClient none(port());
  RawConnect d;
  d.client_id = "alias-none";
  ASSERT_TRUE(none.handshake(d, kWait));
  ASSERT_TRUE(none.subscribe(1, "ta/#", 1, kWait));

  auto pub = connected("ta-pub", 5);
  const std::vector<std::string> topics = {"ta/a", "ta/a", "ta/b", "ta/a", "ta/b"};
  for (std::size_t i = 0; i < topics.size(); ++i) {
    ASSERT_EQ(pub->publish(topics[i], numbered(static_cast<int>(i)), 1), MQTTCLIENT_SUCCESS);
  }
  std::map<std::uint32_t, std::string> aliases;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    auto m = one.next_publish(kWait);
    ASSERT_TRUE(m) << "message " << i;
    EXPECT_EQ(m->payload, numbered(static_cast<int>(i)));
    std::string topic = m->topic;
    if (const RawProperty* alias = m->properties.find(kTopicAlias)) {
      EXPECT_GE(alias->number, 1u);
      EXPECT_LE(alias->number, 1u) << "alias above the client's Topic Alias Maximum";
      if (topic.empty()) {
        ASSERT_TRUE(aliases.count(alias->number)) << "an alias the client was never told";
        topic = aliases[alias->number];
      } else {
        aliases[alias->number] = topic;
      }
    }
    EXPECT_EQ(topic, topics[i]) << "message " << i;

    auto n = none.next_publish(kWait);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->topic, topics[i]);
    EXPECT_EQ(n->properties.find(kTopicAlias), nullptr) << "alias to a client that allows none";
  }
}

// [MQTT-3.3.2-9]: a Topic Alias above the Topic Alias Maximum the server
// sent is refused with DISCONNECT 0x94 (Topic Alias invalid).
TEST_F(Mqtt5, TopicAliasAboveTheMaximumIsRefused) {
  RawClient pub(port());
  RawConnect c;
  c.client_id = "alias-over";
  auto ack = pub.handshake(c, kWait);
  ASSERT_TRUE(ack);
  const RawProperty* maximum = ack->properties.find(kTopicAliasMaximum);
  ASSERT_NE(maximum, nullptr);
  const auto over = static_cast<std::uint16_t>(maximum->number + 1);
  ASSERT_TRUE(pub.send(
      publish_packet(5, "alias/t", "x", 0, 0, false, PropertyWriter().u16(kTopicAlias, over))));
  std::vector<RawPacket> got;
  ASSERT_TRUE(pub.wait_closed(kWait, &got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(disconnect_reason(got[0]), 0x94);
}

// [MQTT-3.3.2-5]: a message whose Message Expiry Interval has passed is not
// delivered to a session that was offline, nor kept as a retained message;
// one still alive is, with what remains of its interval [MQTT-3.3.2-6]. An
// online subscriber gets both at once.
TEST_F(Mqtt5, MessageExpiryWhileQueuedForAnOfflineSession) {
  ConnectOptions keep;
  keep.clean = false;
  keep.session_expiry = 300;
  {
    auto away = connected("exp-away", 5, keep);
    ASSERT_EQ(away->subscribe("exp/#", 1), 1);
    away->disconnect();
  }
  auto online = connected("exp-online", 5);
  ASSERT_EQ(online->subscribe("exp/#", 1), 1);
  auto pub = connected("exp-pub", 5);
  MessageProperties short_lived;
  short_lived.message_expiry_interval = 1;
  MessageProperties long_lived;
  long_lived.message_expiry_interval = 100;
  const auto published = Clock::now();
  ASSERT_EQ(pub->publish("exp/short", "short", 1, false, short_lived), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("exp/long", "long", 1, false, long_lived), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("rexp/short", "short", 1, true, short_lived), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("rexp/long", "long", 1, true, long_lived), MQTTCLIENT_SUCCESS);
  const std::vector<Message> live = online->receive(2);
  ASSERT_EQ(live.size(), 2u);
  for (const Message& m : live) {
    ASSERT_TRUE(m.properties.message_expiry_interval) << m.topic << " lost its expiry";
    EXPECT_LE(*m.properties.message_expiry_interval, m.topic == "exp/short" ? 1u : 100u);
  }

  // The short message's life is a matter of time: wait it out, with margin.
  std::this_thread::sleep_until(published + std::chrono::milliseconds(2100));
  auto back = connected("exp-away", 5, keep);
  const std::vector<Message> got = back->receive_until_marker("exp/marker");
  ASSERT_EQ(got.size(), 1u) << "expected only the long-lived message";
  EXPECT_EQ(got[0].topic, "exp/long");
  ASSERT_TRUE(got[0].properties.message_expiry_interval);
  EXPECT_LT(*got[0].properties.message_expiry_interval, 100u) << "the time queued was not deducted";
  EXPECT_GE(*got[0].properties.message_expiry_interval, 1u);

  // Retained messages expire the same way [MQTT-3.3.2-5].
  auto late = connected("exp-late", 5);
  ASSERT_EQ(late->subscribe("rexp/#", 1), 1);
  const std::vector<Message> retained = late->receive_until_marker("rexp/marker");
  ASSERT_EQ(retained.size(), 1u) << "expected only the long-lived retained message";
  EXPECT_EQ(retained[0].topic, "rexp/long");
  ASSERT_TRUE(retained[0].properties.message_expiry_interval);
  EXPECT_LT(*retained[0].properties.message_expiry_interval, 100u);
}

MessageProperties every_forwarded_property() {
  MessageProperties p;
  p.payload_format_indicator = 1;
  p.content_type = "text/plain; charset=utf-8";
  p.response_topic = "reply/here";
  p.correlation_data = std::string("\x00\x01\xfe\xff", 4);
  p.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "3"}};
  return p;
}

void expect_forwarded(const Message& m, const MessageProperties& sent) {
  EXPECT_EQ(m.properties.payload_format_indicator, sent.payload_format_indicator);
  EXPECT_EQ(m.properties.content_type, sent.content_type);
  EXPECT_EQ(m.properties.response_topic, sent.response_topic);
  EXPECT_EQ(m.properties.correlation_data, sent.correlation_data);
  EXPECT_EQ(m.properties.user_properties, sent.user_properties) << "changed, or reordered";
}

// [MQTT-3.3.2-4] Payload Format Indicator, [MQTT-3.3.2-15] Response Topic,
// [MQTT-3.3.2-16] Correlation Data, [MQTT-3.3.2-17/18] User Properties in
// order, [MQTT-3.3.2-20] Content Type: forwarded unchanged, at every QoS.
TEST_F(Mqtt5, MessagePropertiesAreForwardedUnchanged) {
  auto sub = connected("props-sub", 5);
  ASSERT_EQ(sub->subscribe("props/#", 2), 2);
  auto pub = connected("props-pub", 5);
  const MessageProperties sent = every_forwarded_property();
  for (int qos = 0; qos <= 2; ++qos) {
    SCOPED_TRACE("QoS " + std::to_string(qos));
    ASSERT_EQ(pub->publish("props/x", "payload", qos, false, sent), MQTTCLIENT_SUCCESS);
    auto m = sub->receive();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->qos, qos);
    expect_forwarded(*m, sent);
  }
}

// The same properties on a retained message sent to a later subscriber.
TEST_F(Mqtt5, RetainedMessageKeepsItsProperties) {
  auto pub = connected("props-pub", 5);
  const MessageProperties sent = every_forwarded_property();
  ASSERT_EQ(pub->publish("props/r", "kept", 1, true, sent), MQTTCLIENT_SUCCESS);
  auto sub = connected("props-late", 5);
  ASSERT_EQ(sub->subscribe("props/#", 1), 1);
  auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->retained);
  expect_forwarded(*m, sent);
}

// [MQTT-3.3.4-7]: never more unacknowledged QoS 1 PUBLISHes to a client than
// the Receive Maximum it sent; each PUBACK lets exactly one more through,
// and all arrive in order.
TEST_F(Mqtt5, ReceiveMaximumOfTheClientIsHonoured) {
  constexpr int kWindow = 3;  // the client's Receive Maximum
  constexpr int kCount = 10;
  RawClient sub(port());
  RawConnect c;
  c.client_id = "slow";
  c.properties.u16(kReceiveMaximum, kWindow);
  ASSERT_TRUE(sub.handshake(c, kWait));
  ASSERT_TRUE(sub.subscribe(1, "rm/#", 1, kWait));
  auto pub = connected("rm-pub", 5);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(pub->publish("rm/t", numbered(i), 1), MQTTCLIENT_SUCCESS);
  }

  std::vector<RawPublish> unacked;
  int received = 0;
  auto read_one = [&] {
    auto p = sub.read(kWait);
    ASSERT_TRUE(p) << "after " << received << " messages, the next never came";
    ASSERT_EQ(p->type, kPublish);
    RawPublish m = parse_publish(*p, 5);
    EXPECT_EQ(m.payload, numbered(received));
    EXPECT_EQ(m.qos, 1);
    ++received;
    unacked.push_back(m);
  };
  // Everything the broker sent before answering a PINGREQ is no PUBLISH.
  auto nothing_more = [&] {
    std::vector<RawPacket> before;
    ASSERT_TRUE(sub.ping(kWait, &before));
    EXPECT_TRUE(before.empty()) << before.size() << " more PUBLISH with " << unacked.size()
                                << " unacknowledged, Receive Maximum " << kWindow;
  };
  for (int i = 0; i < kWindow; ++i) ASSERT_NO_FATAL_FAILURE(read_one());
  ASSERT_NO_FATAL_FAILURE(nothing_more());
  while (received < kCount) {
    ASSERT_TRUE(sub.send(ack_packet(kPuback, unacked.front().packet_id)));
    unacked.erase(unacked.begin());
    ASSERT_NO_FATAL_FAILURE(read_one());
    ASSERT_NO_FATAL_FAILURE(nothing_more());
  }
}

// The same for QoS 2: a message counts against the Receive Maximum until its
// PUBCOMP, not just its PUBREC [MQTT-3.3.4-7], §4.9.
TEST_F(Mqtt5, ReceiveMaximumCountsQos2UntilPubcomp) {
  RawClient sub(port());
  RawConnect c;
  c.client_id = "slow2";
  c.properties.u16(kReceiveMaximum, 1);
  ASSERT_TRUE(sub.handshake(c, kWait));
  ASSERT_TRUE(sub.subscribe(1, "rm2/#", 2, kWait));
  auto pub = connected("rm2-pub", 5);
  ASSERT_EQ(pub->publish("rm2/t", "first", 2), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("rm2/t", "second", 2), MQTTCLIENT_SUCCESS);

  auto first = sub.read(kWait);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->type, kPublish);
  const RawPublish p = parse_publish(*first, 5);
  EXPECT_EQ(p.payload, "first");
  std::vector<RawPacket> before;
  ASSERT_TRUE(sub.ping(kWait, &before));
  EXPECT_TRUE(before.empty()) << "a second PUBLISH with Receive Maximum 1";

  ASSERT_TRUE(sub.send(ack_packet(kPubrec, p.packet_id)));
  auto pubrel = sub.read(kWait);
  ASSERT_TRUE(pubrel);
  EXPECT_EQ(pubrel->type, kPubrel);
  ASSERT_TRUE(sub.ping(kWait, &before));
  EXPECT_TRUE(before.empty()) << "the next PUBLISH came before PUBCOMP";

  ASSERT_TRUE(sub.send(ack_packet(kPubcomp, p.packet_id)));
  auto second = sub.read(kWait);
  ASSERT_TRUE(second) << "PUBCOMP did not let the next message through";
  ASSERT_EQ(second->type, kPublish);
  EXPECT_EQ(parse_publish(*second, 5).payload, "second");
}

// [MQTT-3.1.2-24], [MQTT-3.1.2-25]: nothing larger than the client's
// Maximum Packet Size is sent to it; a message too large for it is dropped
// for that client only.
TEST_F(Mqtt5, MaximumPacketSizeOfTheClientIsHonoured) {
  constexpr std::uint32_t kMaximum = 128;
  RawClient small(port());
  RawConnect c;
  c.client_id = "small";
  c.properties.u32(kMaximumPacketSize, kMaximum);
  ASSERT_TRUE(small.handshake(c, kWait));
  ASSERT_TRUE(small.subscribe(1, "mps/#", 1, kWait));
  auto big = connected("big", 5);
  ASSERT_EQ(big->subscribe("mps/#", 1), 1);
  auto pub = connected("mps-pub", 5);
  ASSERT_EQ(pub->publish("mps/big", std::string(200, 'x'), 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("mps/small", "fits", 1), MQTTCLIENT_SUCCESS);

  auto p = small.read(kWait);
  ASSERT_TRUE(p);
  EXPECT_LE(p->wire_size, kMaximum);
  ASSERT_EQ(p->type, kPublish);
  EXPECT_EQ(parse_publish(*p, 5).topic, "mps/small") << "the too-large message was sent";
  const std::vector<Message> both = big->receive(2);  // a client without the limit gets both
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].payload.size() + both[1].payload.size(), 204u);
}

// [MQTT-3.1.3-6], [MQTT-3.2.2-16]: an empty Client Identifier gets one
// assigned, returned in CONNACK.
TEST_F(Mqtt5, EmptyClientIdGetsOneAssigned) {
  RawClient anonymous(port());
  RawConnect c;
  auto ack = anonymous.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason, 0);
  const RawProperty* assigned = ack->properties.find(kAssignedClientIdentifier);
  ASSERT_NE(assigned, nullptr) << "no Assigned Client Identifier";
  EXPECT_FALSE(assigned->text.empty());
}

}  // namespace
}  // namespace cairn::paho_test
