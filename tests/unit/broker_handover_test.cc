// A session passing from one connection to the next (issue 17, item 6):
// takeover, Clean Start over a stored session, and the closing of a
// connection whose session another one has taken.
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/broker_client.h"
#include "support/session_harness.h"

namespace cairn::broker {
namespace {

using model::QoS;
using test::BrokerClient;

const model::WallTime kNow{test::SessionHarness::kStart};

// The first copy of a QoS 2 PUBLISH is being committed when its connection
// is taken over; the client re-sends it (DUP) on the new one. It must not be
// routed twice, and it must get its PUBREC once that commit is done: the
// first connection's PUBREC went with that connection.
TEST(BrokerHandover, Qos2ResentOnATakeoverWhileItsFirstCommitIsPendingGetsItsPubrec) {
  test::BrokerWorld w(kNow);
  BrokerClient& s = w.connect("s", 3600, true);
  w.subscribe(s, "t", QoS::kExactlyOnce);
  s.drop();
  w.settle();
  BrokerClient& first = w.connect("p", 0, true);
  first.send(test::make_publish("t", QoS::kExactlyOnce, 5, "x"));
  while (first.step()) {
  }
  ASSERT_EQ(w.store->pending(), 1u) << "the commit of x";

  BrokerClient& second =
      w.connect_unsettled(test::make_connect(mqtt::ProtocolVersion::kV5, "p", false));
  ASSERT_EQ(second.received<mqtt::Connack>().size(), 1u) << second.describe();
  EXPECT_TRUE(test::BrokerWorld::connack(second).session_present);
  mqtt::Publish again = test::make_publish("t", QoS::kExactlyOnce, 5, "x");
  again.dup = true;
  second.send(std::move(again));
  w.settle();
  const auto recs = second.received<mqtt::Pubrec>();
  ASSERT_EQ(recs.size(), 1u) << second.describe();
  EXPECT_EQ(recs[0].packet_id, 5);
  EXPECT_EQ(recs[0].reason_code, mqtt::ReasonCode::kSuccess);
  EXPECT_EQ(w.committed<storage::PutDelivery>("s").size(), 1u) << "routed once";
}

// Clean Start over a session the store holds: the CONNACK of the new
// session, persistent or not, waits until the old one's removal is durable,
// or a crash right after it would bring the discarded session back.
TEST(BrokerHandover, CleanStartOverAStoredSessionConnacksOnceItsRemovalIsDurable) {
  test::BrokerWorld w(kNow);
  BrokerClient& old = w.connect("c", 3600, true);
  w.subscribe(old, "t", QoS::kAtLeastOnce);
  old.drop();
  w.settle();
  BrokerClient& fresh =
      w.connect_unsettled(test::make_connect(mqtt::ProtocolVersion::kV5, "c", true));
  EXPECT_TRUE(fresh.received<mqtt::Connack>().empty()) << fresh.describe();
  ASSERT_GE(w.store->pending(), 1u);
  EXPECT_TRUE(w.committed<storage::RemoveSession>("c").empty());
  w.settle();
  ASSERT_EQ(fresh.received<mqtt::Connack>().size(), 1u) << fresh.describe();
  EXPECT_FALSE(fresh.received<mqtt::Connack>()[0].session_present);
  EXPECT_EQ(w.committed<storage::RemoveSession>("c").size(), 1u);
}

// The connection that was taken over closes after the new one set up its
// in-flight window: the session's window stays the new connection's (the
// queue limit counts the room it leaves).
TEST(BrokerHandover, ClosingATakenOverConnectionLeavesTheNewWindowAlone) {
  test::BrokerWorld w(kNow);
  BrokerClient& first = w.connect("c", 3600, true, std::nullopt, /*receive_maximum=*/10);
  mqtt::Connect c = test::make_connect(mqtt::ProtocolVersion::kV5, "c", false);
  c.properties.session_expiry_interval = 3600;
  c.properties.receive_maximum = 3;
  BrokerClient& second = w.connect_unsettled(std::move(c));
  w.store->commit_all();
  while (second.step()) {
  }
  ASSERT_EQ(second.received<mqtt::Connack>().size(), 1u) << second.describe();
  {
    std::lock_guard lock(second.session()->mutex);
    EXPECT_EQ(second.session()->state.send_window, 3);
  }
  while (first.step()) {  // the kick reaches the first connection now
  }
  ASSERT_TRUE(first.closed());
  std::lock_guard lock(second.session()->mutex);
  EXPECT_EQ(second.session()->state.send_window, 3);
}

}  // namespace
}  // namespace cairn::broker
