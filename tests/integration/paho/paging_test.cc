// Queues paged from disk (DESIGN.md D7), through the real broker: with a
// memory window of 8 messages, a persistent session's backlog of hundreds
// stays on disk, survives a SIGKILL (the restart reads none of it into
// memory and says so in its recovery line), and arrives whole and in order
// when the client returns.
#include <string>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

constexpr int kBacklog = 300;

class Paging : public BothVersions {
 protected:
  std::string config() const override { return "[limits]\nmemory_window_messages = 8\n"; }
};

RawConnect persistent(std::uint8_t level, const std::string& id) {
  RawConnect c;
  c.version = level;
  c.client_id = id;
  c.clean_start = false;
  if (level == 5) c.properties.u32(kSessionExpiryInterval, 3600);
  return c;
}

TEST_P(Paging, BacklogLargerThanTheWindowSurvivesAKillAndArrivesInOrder) {
  const RawConnect c = persistent(level(), "paged");
  {
    RawClient s(port());
    auto ack = s.handshake(c, kWait);
    ASSERT_TRUE(ack) << "no CONNACK";
    ASSERT_TRUE(s.subscribe(1, "paged/#", 1, kWait));
    ASSERT_TRUE(s.send(disconnect_packet(c.version)));
    ASSERT_TRUE(s.wait_closed(kWait));
  }
  {
    auto pub = connected("paged-pub", version());
    for (int i = 0; i < kBacklog; ++i) {
      ASSERT_EQ(pub->publish("paged/t", std::to_string(i), 1), MQTTCLIENT_SUCCESS) << i;
    }
  }
  broker().kill();
  ASSERT_TRUE(broker().start()) << broker().log();
  EXPECT_NE(broker().log().find("(0 in flight, " + std::to_string(kBacklog) + " left on disk)"),
            std::string::npos)
      << "the recovery line should say the backlog stayed on disk";

  RawClient s(port());
  auto ack = s.handshake(c, kWait);
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack->session_present);
  std::vector<std::string> got;
  for (int i = 0; i < kBacklog; ++i) {
    auto p = s.next_publish(kWait);
    ASSERT_TRUE(p) << "message " << i << " of the backlog never came";
    got.push_back(p->payload);
  }
  for (int i = 0; i < kBacklog; ++i) ASSERT_EQ(got[i], std::to_string(i)) << "out of order";
  // Nothing more: each came once.
  std::vector<RawPacket> extra;
  ASSERT_TRUE(s.ping(kWait, &extra));
  EXPECT_TRUE(extra.empty()) << extra.size() << " packets after the backlog";
}

CAIRN_BOTH_VERSIONS(Paging);

}  // namespace
}  // namespace cairn::paho_test
