// Limits from the configuration (ops/cairn.toml [limits]) and the protocol's
// own timers: max_connections, Keep Alive, connect_timeout.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class MaxConnections : public BrokerTest {
 protected:
  std::string config() const override { return "[limits]\nmax_connections = 2\n"; }
};

// A connection beyond max_connections is closed as soon as it is accepted,
// before its CONNECT is read (ops/cairn.toml): no CONNACK, and a log line
// says so. The clients already connected keep working, and a slot freed can
// be used again.
TEST_F(MaxConnections, ConnectionOverTheLimitIsClosed) {
  auto sub = connected("first", 5);
  ASSERT_EQ(sub->subscribe("lim/#", 1), 1);
  auto pub = connected("second", 4);

  RawClient third(port());
  RawConnect c;
  c.client_id = "third";
  third.send(connect_packet(c));  // may fail: the broker may have closed already
  std::vector<RawPacket> got;
  ASSERT_TRUE(third.wait_closed(kWait, &got)) << "the third connection was not closed";
  EXPECT_TRUE(got.empty()) << "the broker answered the connection over the limit";
  // "Every limit is ... logged" (ops/cairn.toml): the line is written before
  // the close the client saw.
  EXPECT_NE(broker().log().find("max_connections"), std::string::npos)
      << "no log line for the refused connection";
  auto paho_third = client("third-paho", 5);
  EXPECT_NE(paho_third->connect().rc, MQTTCLIENT_SUCCESS);

  ASSERT_EQ(pub->publish("lim/x", "still served", 1), MQTTCLIENT_SUCCESS);
  auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "still served");

  // The slot comes free once cairn has closed the second connection; until
  // then a new one is still refused, so try until one is accepted.
  pub.reset();
  const auto deadline = Clock::now() + kWait;
  bool accepted = false;
  while (!accepted && Clock::now() < deadline) {
    RawClient again(port());
    accepted = again.handshake(c, milliseconds(500)).has_value();
  }
  EXPECT_TRUE(accepted) << "no connection accepted after a slot was freed";
}

class BrokerReceiveMaximum : public BrokerTest {
 protected:
  std::string config() const override { return "[limits]\nreceive_maximum = 2\n"; }
};

// limits.receive_maximum is cairn's Receive Maximum, sent in CONNACK; one
// more unacknowledged QoS 2 PUBLISH is refused with DISCONNECT 0x93
// (Receive Maximum exceeded) [MQTT-3.3.4-9], §3.3.4.
TEST_F(BrokerReceiveMaximum, ClientExceedingItIsDisconnected) {
  RawClient pub(port());
  RawConnect c;
  c.client_id = "eager";
  auto ack = pub.handshake(c, kWait);
  ASSERT_TRUE(ack);
  const RawProperty* maximum = ack->properties.find(kReceiveMaximum);
  ASSERT_NE(maximum, nullptr) << "CONNACK has no Receive Maximum";
  EXPECT_EQ(maximum->number, 2u);
  // Two QoS 2 flows left open (no PUBREL) are within it...
  for (std::uint16_t id = 1; id <= 2; ++id) {
    ASSERT_TRUE(pub.send(publish_packet(5, "rm/t", "in the window", 2, id)));
    auto pubrec = pub.read(kWait);
    ASSERT_TRUE(pubrec);
    EXPECT_EQ(pubrec->type, kPubrec);
  }
  // ... a third is one too many.
  ASSERT_TRUE(pub.send(publish_packet(5, "rm/t", "one too many", 2, 3)));
  std::vector<RawPacket> got;
  ASSERT_TRUE(pub.wait_closed(kWait, &got)) << "still open past the Receive Maximum";
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(disconnect_reason(got[0]), 0x93);
}

class MaxQueued : public BrokerTest {
 protected:
  std::string config() const override {
    return "[limits]\nmax_queued_messages = 3\nqueue_full_policy = \"drop\"\n";
  }
};

class MaxQueuedRefuse : public BrokerTest {
 protected:
  std::string config() const override { return "[limits]\nmax_queued_messages = 3\n"; }
};

// limits.queue_full_policy = "refuse" (the default): a QoS 1 publish to a
// session whose queue is full is refused with 0x97 and nobody gets it; once
// the session drains, publishing goes on.
TEST_F(MaxQueuedRefuse, AFullSessionRefusesThePublishWithQuotaExceeded) {
  RawConnect c;
  c.client_id = "offline";
  c.clean_start = false;
  c.properties.u32(kSessionExpiryInterval, 300);
  {
    RawClient s(port());
    ASSERT_TRUE(s.handshake(c, kWait));
    ASSERT_TRUE(s.subscribe(1, "mq/#", 1, kWait));
    ASSERT_TRUE(s.send(disconnect_packet(5)));
    ASSERT_TRUE(s.wait_closed(kWait));
  }
  auto online = connected("online", 5);
  ASSERT_EQ(online->subscribe("mq/#", 1), 1);
  auto pub = connected("mq-pub", 5);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(pub->publish("mq/t", std::to_string(i), 1), MQTTCLIENT_SUCCESS) << i;
    ASSERT_TRUE(online->receive()) << i;
  }
  EXPECT_EQ(pub->publish("mq/t", "3", 1), 0x97);
  EXPECT_FALSE(online->receive(std::chrono::milliseconds(300))) << "a refused message went out";
  EXPECT_TRUE(broker().wait_for_log("queue_full_policy = \"refuse\"", kWait));

  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present);
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto m = s.next_publish(kWait);
    ASSERT_TRUE(m);
    got.push_back(m->payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"0", "1", "2"}));
  // The raw client acknowledges what it reads: the queue is empty again.
  EXPECT_EQ(pub->publish("mq/t", "4", 1), MQTTCLIENT_SUCCESS);
}

// limits.queue_full_policy = "drop": messages for an offline session past the
// limit are dropped for it; an online subscriber still gets them all and the
// publisher's acknowledgements are unaffected.
TEST_F(MaxQueued, OfflineSessionKeepsAtMostTheLimit) {
  RawConnect c;
  c.client_id = "offline";
  c.clean_start = false;
  c.properties.u32(kSessionExpiryInterval, 300);
  {
    RawClient s(port());
    ASSERT_TRUE(s.handshake(c, kWait));
    ASSERT_TRUE(s.subscribe(1, "mq/#", 1, kWait));
    ASSERT_TRUE(s.send(disconnect_packet(5)));
    ASSERT_TRUE(s.wait_closed(kWait));
  }
  auto online = connected("online", 5);
  ASSERT_EQ(online->subscribe("mq/#", 1), 1);
  auto pub = connected("mq-pub", 5);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(pub->publish("mq/t", std::to_string(i), 1), MQTTCLIENT_SUCCESS) << i;
    // One at a time: regression_test.cc has a burst to an online client.
    auto m = online->receive();
    ASSERT_TRUE(m) << "the online subscriber did not get message " << i;
    EXPECT_EQ(m->payload, std::to_string(i));
  }

  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present);
  ASSERT_EQ(pub->publish("mq/marker", "end", 1), MQTTCLIENT_SUCCESS);
  std::vector<std::string> got;
  for (;;) {
    auto m = s.next_publish(kWait);
    ASSERT_TRUE(m) << "the marker never came";
    if (m->topic == "mq/marker") break;
    got.push_back(m->payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"0", "1", "2"}));
}

using KeepAlive = BothVersions;

// [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): a client silent for one
// and a half times its Keep Alive is disconnected; 5.0 is told 0x8D (Keep
// Alive timeout) first.
TEST_P(KeepAlive, SilentClientIsDisconnectedAfterOneAndAHalfKeepAlives) {
  RawClient silent(port());
  RawConnect c;
  c.version = level();
  c.client_id = "silent";
  c.keep_alive = 1;
  const auto sent = Clock::now();
  ASSERT_TRUE(silent.handshake(c, kWait));
  std::vector<RawPacket> got;
  ASSERT_TRUE(silent.wait_closed(milliseconds(5000), &got)) << "still open after 5 s";
  const auto after = std::chrono::duration_cast<milliseconds>(Clock::now() - sent);
  EXPECT_GE(after.count(), 1450) << "closed before 1.5 x Keep Alive";
  EXPECT_LE(after.count(), 2750) << "closed long after 1.5 x Keep Alive";
  if (level() == 5) {
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(disconnect_reason(got[0]), 0x8D);
  } else {
    EXPECT_TRUE(got.empty());
  }
}

CAIRN_BOTH_VERSIONS(KeepAlive);

// The counterpart: PINGREQ within the Keep Alive keeps the connection open
// well past 1.5 x Keep Alive [MQTT-3.1.2-23].
class Pings : public BrokerTest {};

TEST_F(Pings, KeepTheConnectionOpenPastOneAndAHalfKeepAlives) {
  RawClient pinging(port());
  RawConnect c;
  c.client_id = "pinging";
  c.keep_alive = 1;
  ASSERT_TRUE(pinging.handshake(c, kWait));
  const auto start = Clock::now();
  for (int i = 1; i <= 5; ++i) {
    std::this_thread::sleep_until(start + milliseconds(500 * i));  // the client's own schedule
    ASSERT_TRUE(pinging.ping(kWait)) << "no PINGRESP after " << 500 * i << " ms";
  }
  EXPECT_FALSE(pinging.peer_closed());
}

class ConnectTimeout : public BrokerTest {
 protected:
  std::string config() const override { return "[limits]\nconnect_timeout = 1\n"; }
};

// connect_timeout: a TCP connection that does not complete CONNECT in time
// is closed, whether it sends nothing or only part of a CONNECT; a client
// that connected in time is not affected.
TEST_F(ConnectTimeout, ConnectionWithoutConnectIsClosed) {
  auto bystander = connected("bystander", 5);
  ASSERT_EQ(bystander->subscribe("ct/#", 1), 1);
  RawConnect c;
  c.client_id = "slow";
  const Bytes connect = connect_packet(c);
  const auto opened = Clock::now();
  RawClient silent(port());
  RawClient partial(port());
  ASSERT_TRUE(partial.send(Bytes(connect.begin(), connect.begin() + 5)));

  for (RawClient* r : {&silent, &partial}) {
    std::vector<RawPacket> got;
    ASSERT_TRUE(r->wait_closed(milliseconds(5000), &got)) << "still open after 5 s";
    EXPECT_TRUE(got.empty());
  }
  const auto after = std::chrono::duration_cast<milliseconds>(Clock::now() - opened);
  EXPECT_GE(after.count(), 900) << "closed before connect_timeout";
  EXPECT_LE(after.count(), 3000);

  ASSERT_TRUE(bystander->connected());
  EXPECT_TRUE(bystander->receive_until_marker("ct/marker").empty());
}

// A CONNECT dripped a byte at a time keeps bytes arriving, but the timeout
// counts from the accept: the connection is closed all the same.
TEST_F(ConnectTimeout, ConnectDrippedAByteAtATimeIsClosedToo) {
  RawConnect c;
  c.client_id = "dripping-client-with-a-long-identifier";
  const Bytes connect = connect_packet(c);
  const auto opened = Clock::now();
  RawClient drip(port());
  bool closed = false;
  for (std::size_t i = 0; i + 1 < connect.size() && !closed; ++i) {
    if (!drip.send(Bytes{connect[i]})) break;
    std::vector<RawPacket> got;
    closed = drip.wait_closed(milliseconds(100), &got);
  }
  if (!closed) closed = drip.wait_closed(milliseconds(3000));
  ASSERT_TRUE(closed) << "a dripping CONNECT kept the connection open";
  const auto after = std::chrono::duration_cast<milliseconds>(Clock::now() - opened);
  EXPECT_GE(after.count(), 900) << "closed before connect_timeout";
  EXPECT_LE(after.count(), 3000);
}

}  // namespace
}  // namespace cairn::paho_test
