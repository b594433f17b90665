// Will messages. The client with the will is a RawClient, so that it can
// close its socket without DISCONNECT (an abnormal disconnection, which a
// client library does not offer) or send DISCONNECT with a chosen reason; a
// Paho client subscribed to the will topics watches.
//
// That a will is NOT published is shown with a second, "sentinel" client
// whose will is published later than the first one's would be: when the
// sentinel's will arrives first, the first will was not sent.
#include <chrono>
#include <string>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;

RawConnect with_will(std::uint8_t level, const std::string& id, const std::string& topic,
                     std::optional<std::uint32_t> delay = std::nullopt,
                     std::uint32_t session_expiry = 0) {
  RawConnect c;
  c.version = level;
  c.client_id = id;
  c.will.emplace();
  c.will->topic = topic;
  c.will->payload = id + " is gone";
  c.will->qos = 1;
  if (level == 5 && delay) c.will->properties.u32(kWillDelayInterval, *delay);
  if (level == 5 && session_expiry > 0) {
    c.clean_start = false;
    c.properties.u32(kSessionExpiryInterval, session_expiry);
  }
  return c;
}

// Connects with `c` and returns the open connection (fails the test if the
// broker refuses it).
std::unique_ptr<RawClient> connect_raw(std::uint16_t port, const RawConnect& c) {
  auto r = std::make_unique<RawClient>(port);
  auto ack = r->handshake(c, kWait);
  EXPECT_TRUE(ack && ack->reason == 0) << c.client_id << " was not accepted";
  return r;
}

using Wills = BothVersions;

// [MQTT-3.1.2-8]: the connection closes without DISCONNECT: the will is
// published, with its QoS.
TEST_P(Wills, AbnormalDisconnectionPublishesTheWill) {
  auto watcher = connected("watcher", version());
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  auto client = connect_raw(port(), with_will(level(), "dies", "will/dies"));
  client->close();
  auto will = watcher->receive();
  ASSERT_TRUE(will) << "no will after the connection was closed";
  EXPECT_EQ(will->topic, "will/dies");
  EXPECT_EQ(will->payload, "dies is gone");
  EXPECT_EQ(will->qos, 1);
}

// [MQTT-3.1.2-10] (both versions): DISCONNECT (5.0: reason 0x00) deletes
// the will without publishing it.
TEST_P(Wills, NormalDisconnectDiscardsTheWill) {
  auto watcher = connected("watcher", version());
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  auto leaving = connect_raw(port(), with_will(level(), "leaves", "will/leaves"));
  ASSERT_TRUE(leaving->send(disconnect_packet(level())));
  ASSERT_TRUE(leaving->wait_closed(kWait));
  auto sentinel = connect_raw(port(), with_will(level(), "sentinel", "will/sentinel"));
  sentinel->close();
  auto first = watcher->receive();
  ASSERT_TRUE(first) << "not even the sentinel's will arrived";
  EXPECT_EQ(first->topic, "will/sentinel") << "the will of a client that sent DISCONNECT went out";
}

// [MQTT-3.1.2-17] (both versions): a will with Will Retain
// is published as a retained message.
TEST_P(Wills, RetainedWillIsKeptForLaterSubscribers) {
  RawConnect c = with_will(level(), "kept", "will/kept");
  c.will->retain = true;
  auto watcher = connected("watcher", version());
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  connect_raw(port(), c)->close();
  ASSERT_TRUE(watcher->receive()) << "no will";
  auto later = connected("later", version());
  ASSERT_EQ(later->subscribe("will/#", 1), 1);
  auto retained = later->receive();
  ASSERT_TRUE(retained) << "the retained will was not kept";
  EXPECT_EQ(retained->topic, "will/kept");
  EXPECT_TRUE(retained->retained);
}

CAIRN_BOTH_VERSIONS(Wills);

class Wills5 : public BrokerTest {};

// §3.1.3.2.2: the will waits for the Will Delay Interval after the
// connection closes.
TEST_F(Wills5, WillIsPublishedAfterTheWillDelay) {
  auto watcher = connected("watcher", 5);
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  auto client = connect_raw(port(), with_will(5, "delayed", "will/delayed", 1, 60));
  const auto closed = Clock::now();
  client->close();
  auto will = watcher->receive();
  const auto waited = Clock::now() - closed;
  ASSERT_TRUE(will) << "the delayed will never came";
  EXPECT_EQ(will->topic, "will/delayed");
  EXPECT_GE(waited, std::chrono::milliseconds(950)) << "published before its 1 s delay";
}

// [MQTT-3.1.3-9]: a new connection for the session within the Will Delay
// Interval cancels the will.
TEST_F(Wills5, ReconnectingWithinTheDelayCancelsTheWill) {
  auto watcher = connected("watcher", 5);
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  const RawConnect c = with_will(5, "returns", "will/returns", 2, 60);
  connect_raw(port(), c)->close();
  RawConnect again = c;
  again.will.reset();
  auto back = connect_raw(port(), again);
  // The sentinel's will, with the same delay, is due after the first one's.
  connect_raw(port(), with_will(5, "sentinel", "will/sentinel", 2, 60))->close();
  auto first = watcher->receive(std::chrono::milliseconds(8000));
  ASSERT_TRUE(first) << "not even the sentinel's will arrived";
  EXPECT_EQ(first->topic, "will/sentinel") << "the will went out although the client came back";
}

// §3.1.2.5 / §3.14.2.1: DISCONNECT with reason 0x04 (Disconnect with Will
// Message) publishes the will.
TEST_F(Wills5, DisconnectWithWillMessagePublishesIt) {
  auto watcher = connected("watcher", 5);
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  auto client = connect_raw(port(), with_will(5, "asks", "will/asks"));
  ASSERT_TRUE(client->send(disconnect_packet(5, 0x04)));
  ASSERT_TRUE(client->wait_closed(kWait));
  auto will = watcher->receive();
  ASSERT_TRUE(will) << "no will after DISCONNECT 0x04";
  EXPECT_EQ(will->topic, "will/asks");
}

// §3.1.3.2.2: the will is published when the Will Delay Interval has passed
// or the session ends, whichever is first.
TEST_F(Wills5, SessionEndPublishesAWillStillWaitingForItsDelay) {
  auto watcher = connected("watcher", 5);
  ASSERT_EQ(watcher->subscribe("will/#", 1), 1);
  auto client = connect_raw(port(), with_will(5, "ends", "will/ends", 3600, 1));
  client->close();
  auto will = watcher->receive();
  ASSERT_TRUE(will) << "the session expired after 1 s but its will was not published";
  EXPECT_EQ(will->topic, "will/ends");
}

}  // namespace
}  // namespace cairn::paho_test
