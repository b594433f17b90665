// Persistent sessions across reconnects: 3.1.1 Clean Session 0, 5.0 Clean
// Start 0 with a Session Expiry Interval. The client that owns the session is
// a RawClient, which shows the CONNACK's Session Present flag in both
// versions (Paho 1.3.12 reports it for 3.1.1 only); publishers are Paho.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

// CONNECT that asks to keep the session: Clean Session 0 (3.1.1), or Clean
// Start 0 and a Session Expiry Interval of `expiry` seconds (5.0).
RawConnect persistent(std::uint8_t level, const std::string& id, std::uint32_t expiry = 300) {
  RawConnect c;
  c.version = level;
  c.client_id = id;
  c.clean_start = false;
  if (level == 5) c.properties.u32(kSessionExpiryInterval, expiry);
  return c;
}

// Connects `c`, subscribes to `filter` at QoS 2 and leaves with DISCONNECT.
void subscribe_and_leave(std::uint16_t port, const RawConnect& c, const std::string& filter) {
  RawClient s(port);
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack) << "no CONNACK";
  ASSERT_EQ(ack->reason, 0);
  ASSERT_TRUE(s.subscribe(1, filter, 2, kWait));
  ASSERT_TRUE(s.send(disconnect_packet(c.version)));
  ASSERT_TRUE(s.wait_closed(kWait));
}

class Sessions : public BothVersions {};

// [MQTT-3.1.2-4], [MQTT-3.2.2-2]: the session is resumed, Session Present
// is 1, and the QoS 1 and 2 messages published while the client was away
// are delivered [MQTT-3.1.2-5].
TEST_P(Sessions, MessagesPublishedWhileAwayAreDeliveredOnReturn) {
  const RawConnect c = persistent(level(), "away");
  ASSERT_NO_FATAL_FAILURE(subscribe_and_leave(port(), c, "away/#"));
  auto pub = connected("away-pub", version());
  ASSERT_EQ(pub->publish("away/one", "q1", 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("away/two", "q2", 2), MQTTCLIENT_SUCCESS);

  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason, 0);
  EXPECT_TRUE(ack->session_present);
  auto first = s.next_publish(kWait);
  ASSERT_TRUE(first) << "the QoS 1 message kept for the session never came";
  EXPECT_EQ(first->topic, "away/one");
  EXPECT_EQ(first->payload, "q1");
  EXPECT_EQ(first->qos, 1);
  auto second = s.next_publish(kWait);
  ASSERT_TRUE(second) << "the QoS 2 message kept for the session never came";
  EXPECT_EQ(second->topic, "away/two");
  EXPECT_EQ(second->payload, "q2");
  EXPECT_EQ(second->qos, 2);
  // The subscription is part of the session too: a new message arrives.
  ASSERT_EQ(pub->publish("away/three", "live", 1), MQTTCLIENT_SUCCESS);
  auto third = s.next_publish(kWait);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->payload, "live");
}

// [MQTT-3.1.2-4] (5.0), [MQTT-3.1.2-6] (3.1.1): Clean Start / Clean Session 1
// discards the session: Session Present 0 [MQTT-3.2.2-2], no queued
// messages, no subscriptions.
TEST_P(Sessions, CleanStartDiscardsTheSession) {
  RawConnect c = persistent(level(), "discard");
  ASSERT_NO_FATAL_FAILURE(subscribe_and_leave(port(), c, "discard/#"));
  auto pub = connected("discard-pub", version());
  ASSERT_EQ(pub->publish("discard/queued", "old", 1), MQTTCLIENT_SUCCESS);

  c.clean_start = true;  // 5.0 keeps its Session Expiry: only the old session goes
  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->reason, 0);
  EXPECT_FALSE(ack->session_present);
  ASSERT_TRUE(s.subscribe(2, "marker", 1, kWait));
  ASSERT_EQ(pub->publish("discard/new", "no subscription", 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("marker", "end", 1), MQTTCLIENT_SUCCESS);
  auto first = s.next_publish(kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->topic, "marker")
      << "got " << first->topic << " '" << first->payload << "' from the discarded session";
}

// A session that was not asked to persist (3.1.1 Clean Session 1; 5.0
// Session Expiry 0, the default) ends with the connection [MQTT-3.1.2-6],
// §3.1.2.11.2: a later Clean Start 0 finds nothing.
TEST_P(Sessions, NonPersistentSessionEndsWithTheConnection) {
  RawConnect c;
  c.version = level();
  c.client_id = "short";
  c.clean_start = true;
  ASSERT_NO_FATAL_FAILURE(subscribe_and_leave(port(), c, "short/#"));
  RawClient s(port());
  auto ack = s.handshake(persistent(level(), "short"), kWait);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(ack->session_present);
}

// [MQTT-4.4.0-1]: after a reconnect with the session, unacknowledged
// PUBLISHes are re-sent with their original Packet Identifiers and DUP 1,
// and a PUBREL whose PUBCOMP never came is re-sent; PUBLISHes keep their
// original order [MQTT-4.6.0-1].
TEST_P(Sessions, UnacknowledgedDeliveriesAreResentAfterReconnect) {
  const RawConnect c = persistent(level(), "resend");
  auto s = std::make_unique<RawClient>(port());
  ASSERT_TRUE(s->handshake(c, kWait));
  ASSERT_TRUE(s->subscribe(1, "resend/#", 2, kWait));
  auto pub = connected("resend-pub", version());
  ASSERT_EQ(pub->publish("resend/a", "never acked", 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("resend/b", "released", 2), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("resend/c", "no pubrec", 2), MQTTCLIENT_SUCCESS);

  // sent[0..2]: a, b, c, whatever order they came in (three topics).
  RawPublish sent[3];
  std::vector<std::string> first_order;
  for (int i = 0; i < 3; ++i) {
    auto packet = s->read(kWait);
    ASSERT_TRUE(packet);
    ASSERT_EQ(packet->type, kPublish);
    RawPublish p = parse_publish(*packet, level());
    EXPECT_FALSE(p.dup);
    first_order.push_back(p.topic);
    ASSERT_TRUE(p.topic.size() == 8 && p.topic[7] >= 'a' && p.topic[7] <= 'c') << p.topic;
    sent[p.topic[7] - 'a'] = p;
  }
  ASSERT_TRUE(s->send(ack_packet(kPubrec, sent[1].packet_id)));
  auto pubrel = s->read(kWait);
  ASSERT_TRUE(pubrel);
  ASSERT_EQ(pubrel->type, kPubrel);
  s->close();  // no PUBACK for a, no PUBCOMP for b, nothing for c

  s = std::make_unique<RawClient>(port());
  auto ack = s->handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present);
  std::vector<RawPublish> publishes;
  std::vector<std::uint16_t> pubrels;
  while (publishes.size() + pubrels.size() < 3) {
    auto packet = s->read(kWait);
    ASSERT_TRUE(packet) << "re-sent so far: " << publishes.size() << " PUBLISH, " << pubrels.size()
                        << " PUBREL";
    if (packet->type == kPubrel) {
      pubrels.push_back(static_cast<std::uint16_t>(packet->body.at(0) << 8 | packet->body.at(1)));
    } else {
      ASSERT_EQ(packet->type, kPublish);
      publishes.push_back(parse_publish(*packet, level()));
    }
  }
  ASSERT_EQ(publishes.size(), 2u);
  first_order.erase(std::find(first_order.begin(), first_order.end(), "resend/b"));
  for (std::size_t i = 0; i < 2; ++i) {
    const RawPublish& p = publishes[i];
    EXPECT_EQ(p.topic, first_order[i]) << "re-sent out of the original order";
    const RawPublish& original = sent[p.topic == "resend/a" ? 0 : 2];
    EXPECT_EQ(p.packet_id, original.packet_id) << p.topic;
    EXPECT_EQ(p.qos, original.qos) << p.topic;
    EXPECT_EQ(p.payload, original.payload) << p.topic;
    EXPECT_TRUE(p.dup) << p.topic;
  }
  ASSERT_EQ(pubrels.size(), 1u);
  EXPECT_EQ(pubrels[0], sent[1].packet_id);

  // Completing every flow leaves nothing to send.
  ASSERT_TRUE(s->send(ack_packet(kPuback, sent[0].packet_id)));
  ASSERT_TRUE(s->send(ack_packet(kPubcomp, sent[1].packet_id)));
  ASSERT_TRUE(s->send(ack_packet(kPubrec, sent[2].packet_id)));
  auto last_pubrel = s->read(kWait);
  ASSERT_TRUE(last_pubrel);
  EXPECT_EQ(last_pubrel->type, kPubrel);
  ASSERT_TRUE(s->send(ack_packet(kPubcomp, sent[2].packet_id)));
  std::vector<RawPacket> more;
  ASSERT_TRUE(s->ping(kWait, &more));
  EXPECT_TRUE(more.empty()) << "sent again after every flow completed";
}

CAIRN_BOTH_VERSIONS(Sessions);

class SessionExpiry : public BrokerTest {};

// §3.1.2.11.2: the session is deleted once its Session Expiry Interval has
// passed after the connection closed: Session Present 0, nothing queued. A
// session with a longer interval, left at the same time, is still there:
// what the first one shows is expiry, not the broker forgetting sessions.
TEST_F(SessionExpiry, SessionIsGoneAfterItsExpiryInterval) {
  const RawConnect expires = persistent(5, "expires", 1);
  const RawConnect stays = persistent(5, "stays", 60);
  ASSERT_NO_FATAL_FAILURE(subscribe_and_leave(port(), expires, "expiry/#"));
  ASSERT_NO_FATAL_FAILURE(subscribe_and_leave(port(), stays, "expiry/#"));
  const auto left = std::chrono::steady_clock::now();
  auto pub = connected("expiry-pub", 5);
  ASSERT_EQ(pub->publish("expiry/queued", "queued", 1), MQTTCLIENT_SUCCESS);
  // Expiry is a matter of time: 1 s, plus cairn's once-a-second check, plus
  // a margin. Nothing else can signal that the session is gone.
  std::this_thread::sleep_until(left + std::chrono::milliseconds(2500));

  RawClient gone(port());
  auto ack = gone.handshake(persistent(5, "expires", 300), kWait);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(ack->session_present) << "the session outlived its 1 s expiry";
  ASSERT_TRUE(gone.subscribe(2, "marker", 1, kWait));
  ASSERT_EQ(pub->publish("marker", "end", 1), MQTTCLIENT_SUCCESS);
  auto first = gone.next_publish(kWait);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->topic, "marker") << "a message of the expired session was delivered";

  RawClient kept(port());
  ack = kept.handshake(stays, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present) << "the session with a 60 s expiry is gone too";
  auto queued = kept.next_publish(kWait);
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->payload, "queued");
}

// [MQTT-3.14.2-2] allows DISCONNECT to change the Session Expiry Interval:
// set to 0 there, the session ends with the connection.
TEST_F(SessionExpiry, DisconnectCanEndTheSession) {
  const RawConnect c = persistent(5, "ends", 300);
  {
    RawClient s(port());
    auto ack = s.handshake(c, kWait);
    ASSERT_TRUE(ack);
    ASSERT_TRUE(s.subscribe(1, "ends/#", 1, kWait));
    ASSERT_TRUE(s.send(disconnect_packet(5, 0, PropertyWriter().u32(kSessionExpiryInterval, 0))));
    ASSERT_TRUE(s.wait_closed(kWait));
  }
  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(ack->session_present);
}

}  // namespace
}  // namespace cairn::paho_test
