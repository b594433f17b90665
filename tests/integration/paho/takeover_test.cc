// Session takeover: a second connection with a client identifier already in
// use [MQTT-3.1.4-3].
#include <string>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

using Takeover = BothVersions;

// The first connection is closed (5.0: after DISCONNECT 0x8E Session taken
// over, [MQTT-3.1.4-3], seen through Paho's disconnected callback); the second works
// and, with Clean Start 0, carries on the session and its subscription.
TEST_P(Takeover, SecondConnectionWithTheSameIdTakesOver) {
  ConnectOptions keep;
  keep.clean = false;
  keep.session_expiry = 300;
  auto first = connected("twin", version(), keep);
  ASSERT_EQ(first->subscribe("twin/#", 1), 1);

  auto second = client("twin", version());
  const ConnectResult r = second->connect(keep);
  ASSERT_EQ(r.rc, MQTTCLIENT_SUCCESS);
  if (version() == 4) {
    EXPECT_EQ(r.session_present, true);
  }
  if (version() == 5) {
    // Paho closes the connection itself on DISCONNECT, without reporting a
    // connection loss; FirstConnectionIsToldWhyAndClosed sees the broker close.
    EXPECT_EQ(first->wait_server_disconnect(), 0x8E) << "no DISCONNECT 0x8E (Session taken over)";
    EXPECT_FALSE(first->connected());
  } else {
    EXPECT_TRUE(first->wait_connection_lost()) << "the first connection was not closed";
  }

  auto pub = connected("twin-pub", version());
  ASSERT_EQ(pub->publish("twin/x", "to the second", 1), MQTTCLIENT_SUCCESS);
  auto m = second->receive();
  ASSERT_TRUE(m) << "the session's subscription did not carry over to the second connection";
  EXPECT_EQ(m->payload, "to the second");
  EXPECT_FALSE(first->receive(std::chrono::milliseconds(0))) << "the first connection still got it";
}

// The same seen on the wire: 3.1.1 has no DISCONNECT from the server, the
// connection is just closed; 5.0 gets exactly DISCONNECT 0x8E, then the close.
TEST_P(Takeover, FirstConnectionIsToldWhyAndClosed) {
  RawConnect c;
  c.version = level();
  c.client_id = "twin";
  RawClient first(port());
  ASSERT_TRUE(first.handshake(c, kWait));
  auto second = connected("twin", version());
  std::vector<RawPacket> got;
  ASSERT_TRUE(first.wait_closed(kWait, &got)) << "the first connection was not closed";
  if (level() == 5) {
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(disconnect_reason(got[0]), 0x8E);
  } else {
    EXPECT_TRUE(got.empty());
  }
  ASSERT_EQ(second->subscribe("twin/#", 1), 1);
  ASSERT_TRUE(second->receive_until_marker("twin/marker").empty());
}

CAIRN_BOTH_VERSIONS(Takeover);

}  // namespace
}  // namespace cairn::paho_test
