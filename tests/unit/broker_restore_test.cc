// Broker::restore: what the store held at start-up comes back, as a client
// sees it (DESIGN.md D3, D4, D6): sessions found offline with their
// subscriptions, queues delivered in order and numbered on from there, QoS 2
// flows resumed with their packet identifiers, incoming QoS 2 identifiers
// still deduplicating, retained messages, and session expiry and will delays
// counting the downtime. Clients are SessionMachines driven against the
// broker by test::BrokerClient; a ManualStore records what is committed.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/restore_fixture.h"

namespace cairn::broker {
namespace {

using namespace test::restore;  // NOLINT: the fixture and its helpers

// --- 1. sessions and subscriptions ------------------------------------------------

TEST_F(BrokerRestoreTest, RestoredSessionIsOfflineAndItsSubscriptionsRouteWithoutResubscribing) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  add_subscription(state, "s", "a/#", QoS::kAtLeastOnce);
  restore(std::move(state));
  EXPECT_EQ(broker->session_count(), 1u);

  BrokerClient& pub = connect("pub", 0, true);
  publish(pub, "a/zero", QoS::kAtMostOnce, "qos0");  // offline: QoS 0 is not kept for it
  publish(pub, "a/one", QoS::kAtLeastOnce, "qos1");
  EXPECT_EQ(committed<storage::PutDelivery>("s").size(), 1u);  // D1: stored for it

  BrokerClient& s = connect("s", 3600, /*clean_start=*/false);
  EXPECT_TRUE(connack(s).session_present);
  EXPECT_EQ(payloads(s), std::vector<std::string>{"qos1"}) << s.describe();
  s.forget();
  publish(pub, "a/two", QoS::kAtLeastOnce, "online");
  EXPECT_EQ(payloads(s), std::vector<std::string>{"online"}) << s.describe();
}

TEST_F(BrokerRestoreTest, CleanStartDiscardsARestoredSession) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  add_subscription(state, "s", "a/#", QoS::kAtLeastOnce);
  state.queues["s"].push_back(stored_delivery(1, "old", QoS::kAtLeastOnce));
  restore(std::move(state));

  BrokerClient& s = connect("s", 3600, /*clean_start=*/true);
  EXPECT_FALSE(connack(s).session_present);
  EXPECT_EQ(committed<storage::RemoveSession>("s").size(), 1u);
  EXPECT_EQ(broker->router().subscription_count(), 0u);
  BrokerClient& pub = connect("pub", 0, true);
  publish(pub, "a/b", QoS::kAtLeastOnce, "new");
  EXPECT_TRUE(payloads(s).empty()) << s.describe();
}

// --- 2. queued deliveries -----------------------------------------------------------

TEST_F(BrokerRestoreTest, RestoredQueueIsDeliveredInOrderAndNewDeliveriesAreNumberedAfterIt) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  add_subscription(state, "s", "t", QoS::kExactlyOnce);
  auto& queue = state.queues["s"];
  queue.push_back(stored_delivery(5, "m5", QoS::kAtLeastOnce));
  queue.push_back(stored_delivery(6, "expired", QoS::kAtLeastOnce));
  auto expired = std::make_shared<model::Message>(*queue.back().message);
  expired->expires_at = kNow - seconds(1);  // ran out during the downtime [MQTT-3.3.2-5]
  queue.back().message = expired;
  queue.push_back(stored_delivery(7, "m7", QoS::kExactlyOnce));
  queue.push_back(stored_delivery(9, "m9", QoS::kAtLeastOnce));
  restore(std::move(state));

  BrokerClient& s = connect("s", 3600, false);
  const auto sent = s.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 3u) << s.describe();
  EXPECT_EQ(payloads(s), (std::vector<std::string>{"m5", "m7", "m9"}));
  for (const mqtt::Publish& p : sent) EXPECT_FALSE(p.dup);
  EXPECT_EQ(sent[1].qos, QoS::kExactlyOnce);
  // D3: the QoS 2 one went out only with its packet identifier recorded.
  const auto recorded = committed<storage::RecordSent>("s");
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].sequence, 7u);
  EXPECT_EQ(recorded[0].packet_id, sent[1].packet_id);

  s.send(test::make_response<mqtt::Puback>(sent[0].packet_id));
  settle();
  EXPECT_EQ(sequences<storage::RemoveDelivery>("s"), (std::vector<std::uint64_t>{6, 5}));

  s.forget();
  BrokerClient& pub = connect("pub", 0, true);
  publish(pub, "t", QoS::kAtLeastOnce, "new");
  // Numbered above every restored one, so none is overwritten.
  EXPECT_EQ(sequences<storage::PutDelivery>("s"), std::vector<std::uint64_t>{10});
  EXPECT_EQ(payloads(s), std::vector<std::string>{"new"}) << s.describe();
}

TEST_F(BrokerRestoreTest, NewDeliveriesAreNumberedPastAcknowledgedOnesTheStoreStillHolds) {
  // Sequences 2..6 were acknowledged, but their chunk lives on with 1: the
  // store's cursor says they are acknowledged, so a new delivery numbered 2
  // would be taken for acknowledged at the next restart, and lost.
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  add_subscription(state, "s", "t", QoS::kAtLeastOnce);
  state.queues["s"].push_back(stored_delivery(1, "m1", QoS::kAtLeastOnce));
  state.next_sequence["s"] = 7;
  restore(std::move(state));
  BrokerClient& pub = connect("pub", 0, true);
  publish(pub, "t", QoS::kAtLeastOnce, "new");
  EXPECT_EQ(sequences<storage::PutDelivery>("s"), std::vector<std::uint64_t>{7});
}

// --- 3. outgoing QoS 2 in flight -------------------------------------------------------

TEST_F(BrokerRestoreTest, RestoredQos2PublishIsResentWithDupAndItsPacketId) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  state.queues["s"].push_back(stored_delivery(3, "q2", QoS::kExactlyOnce, 42));
  state.queues["s"].push_back(stored_delivery(4, "after", QoS::kAtLeastOnce));
  restore(std::move(state));

  BrokerClient& s = connect("s", 3600, false);
  const auto sent = s.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 2u) << s.describe();
  EXPECT_EQ(sent[0].payload, "q2");
  EXPECT_TRUE(sent[0].dup);
  EXPECT_EQ(sent[0].qos, QoS::kExactlyOnce);
  EXPECT_EQ(sent[0].packet_id, 42);  // a new one would make it a new message to the client
  EXPECT_EQ(sent[1].payload, "after");
  EXPECT_FALSE(sent[1].dup);
  EXPECT_NE(sent[1].packet_id, 42);                          // 42 is still in use
  EXPECT_TRUE(committed<storage::RecordSent>("s").empty());  // already recorded

  s.forget();
  s.send(test::make_response<mqtt::Pubrec>(42));
  settle();
  const auto released = committed<storage::MarkDeliveryReleased>("s");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].sequence, 3u);
  EXPECT_EQ(released[0].packet_id, 42);
  ASSERT_EQ(s.received<mqtt::Pubrel>().size(), 1u) << s.describe();
  EXPECT_EQ(s.received<mqtt::Pubrel>()[0].packet_id, 42);
  s.send(test::make_response<mqtt::Pubcomp>(42));
  settle();
  EXPECT_EQ(sequences<storage::RemoveDelivery>("s"), std::vector<std::uint64_t>{3});
}

TEST_F(BrokerRestoreTest, RestoredReleasedQos2DeliveryResendsPubrelNotPublish) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  state.queues["s"].push_back(stored_delivery(3, "q2", QoS::kExactlyOnce, 42, /*released=*/true));
  restore(std::move(state));

  BrokerClient& s = connect("s", 3600, false);
  EXPECT_TRUE(s.received<mqtt::Publish>().empty()) << s.describe();
  const auto pubrels = s.received<mqtt::Pubrel>();
  ASSERT_EQ(pubrels.size(), 1u) << s.describe();
  EXPECT_EQ(pubrels[0].packet_id, 42);
  s.send(test::make_response<mqtt::Pubcomp>(42));
  settle();
  EXPECT_EQ(sequences<storage::RemoveDelivery>("s"), std::vector<std::uint64_t>{3});
}

// --- 4. incoming QoS 2 identifiers (D4) ---------------------------------------------------

TEST_F(BrokerRestoreTest, RestoredIncomingQos2IdIsNotRoutedAgainAndPubrelReleasesIt) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 3600, kNow - seconds(10));
  state.incoming_qos2["s"] = {17};
  restore(std::move(state));
  BrokerClient& sub = watch("t");
  BrokerClient& s = connect("s", 3600, false);
  s.forget();

  // The client never saw the PUBREC of the crash and re-sends its PUBLISH.
  mqtt::Publish again = test::make_publish("t", QoS::kExactlyOnce, 17, "once");
  again.dup = true;
  s.send(again);
  settle();
  EXPECT_TRUE(s.actions<session::RoutePublish>().empty()) << s.describe();
  ASSERT_EQ(s.received<mqtt::Pubrec>().size(), 1u) << s.describe();
  EXPECT_EQ(s.received<mqtt::Pubrec>()[0].packet_id, 17);
  EXPECT_TRUE(payloads(sub).empty()) << sub.describe();

  s.forget();
  s.send(test::make_response<mqtt::Pubrel>(17));
  settle();
  EXPECT_EQ(committed<storage::RemoveIncomingQos2>("s").size(), 1u);
  const auto pubcomps = s.received<mqtt::Pubcomp>();
  ASSERT_EQ(pubcomps.size(), 1u) << s.describe();
  EXPECT_EQ(pubcomps[0].packet_id, 17);
  EXPECT_EQ(pubcomps[0].reason_code, mqtt::ReasonCode::kSuccess);

  // Released: the identifier now names a new message.
  s.send(test::make_publish("t", QoS::kExactlyOnce, 17, "new"));
  settle();
  EXPECT_EQ(payloads(sub), std::vector<std::string>{"new"}) << sub.describe();
}

// --- 5. retained messages ---------------------------------------------------------------

TEST_F(BrokerRestoreTest, RestoredRetainedMessagesGoToNewSubscriptions) {
  storage::StoredState state;
  state.retained["r/1"] = message("r/1", "kept", QoS::kAtLeastOnce, /*retain=*/true);
  auto expired =
      std::make_shared<model::Message>(*message("r/2", "stale", QoS::kAtLeastOnce, true));
  expired->expires_at = kNow - seconds(1);  // its expiry ran out during the downtime
  state.retained["r/2"] = expired;
  restore(std::move(state));

  BrokerClient& c = connect("c", 0, true);
  subscribe(c, "r/#", QoS::kAtLeastOnce);
  const auto sent = c.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 1u) << c.describe();
  EXPECT_EQ(sent[0].topic, "r/1");
  EXPECT_EQ(sent[0].payload, "kept");
  EXPECT_TRUE(sent[0].retain);  // [MQTT-3.3.1-9]
}

TEST_F(BrokerRestoreTest, RetainedMessagesSentOnSubscribeToAPersistentSessionSurviveACrash) {
  // Its subscription comes back without a SUBSCRIBE that would send them
  // again: they are stored as its deliveries, like any other.
  storage::StoredState state;
  state.retained["r/1"] = message("r/1", "kept", QoS::kAtLeastOnce, /*retain=*/true);
  restore(std::move(state));
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "r/#", QoS::kAtLeastOnce);
  ASSERT_EQ(payloads(s), std::vector<std::string>{"kept"}) << s.describe();
  EXPECT_EQ(committed<storage::PutDelivery>("s").size(), 1u);
  restart(/*through_leveldb=*/true);  // before its PUBACK

  BrokerClient& back = connect("s", 3600, false);
  const auto sent = back.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 1u) << back.describe();
  EXPECT_EQ(sent[0].payload, "kept");
  EXPECT_TRUE(sent[0].retain);
}

// --- 6. session expiry across the downtime ---------------------------------------------------

TEST_F(BrokerRestoreTest, SessionWhoseExpiryRanOutDuringTheDowntimeEndsAtTheFirstTick) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 60, kNow - seconds(100));
  add_subscription(state, "s", "t", QoS::kAtLeastOnce);
  restore(std::move(state));
  tick_at(kNow);
  EXPECT_EQ(committed<storage::RemoveSession>("s").size(), 1u);
  EXPECT_EQ(broker->session_count(), 0u);
  EXPECT_EQ(broker->router().subscription_count(), 0u);
  BrokerClient& s = connect("s", 60, false);
  EXPECT_FALSE(connack(s).session_present);
}

TEST_F(BrokerRestoreTest, SessionKeepsItsDisconnectTimeAcrossTheRestart) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 60, kNow - seconds(30));
  restore(std::move(state));
  tick_at(kNow + seconds(29));
  EXPECT_EQ(broker->session_count(), 1u);
  tick_at(kNow + seconds(30));
  EXPECT_EQ(broker->session_count(), 0u);
  EXPECT_EQ(committed<storage::RemoveSession>("s").size(), 1u);
}

TEST_F(BrokerRestoreTest, SessionConnectedAtTheCrashExpiresCountingFromTheRestart) {
  storage::StoredState state;
  state.sessions["s"] = stored_session("s", 60, std::nullopt);
  restore(std::move(state));
  tick_at(kNow + seconds(59));
  EXPECT_EQ(broker->session_count(), 1u);
  EXPECT_TRUE(committed<storage::RemoveSession>("s").empty());
  tick_at(kNow + seconds(61));
  EXPECT_EQ(broker->session_count(), 0u);
  EXPECT_EQ(committed<storage::RemoveSession>("s").size(), 1u);
  BrokerClient& s = connect("s", 60, false);
  EXPECT_FALSE(connack(s).session_present);
}

// --- restarts end to end: committed batches read back, then restored ----------------------------

class BrokerRestoreRestartTest : public BrokerRestoreTest {
 protected:
  // A persistent client with a delayed will loses its connection; the broker
  // crashes before the delay and again after the will went out.
  void will_across_restarts(bool through_leveldb) {
    BrokerClient& c = connect("c", 3600, true, will("will/c", "c gone", 30));
    subscribe(c, "x", QoS::kAtLeastOnce);
    c.drop();
    settle();
    now = kNow + seconds(10);
    restart(through_leveldb);
    ASSERT_FALSE(HasFatalFailure());
    BrokerClient* watcher = &watch("will/#");
    tick_at(kNow + seconds(29));
    EXPECT_TRUE(payloads(*watcher).empty()) << watcher->describe();
    tick_at(kNow + seconds(30));
    EXPECT_EQ(payloads(*watcher), std::vector<std::string>{"c gone"}) << watcher->describe();
    ASSERT_EQ(watcher->received<mqtt::Publish>().size(), 1u);
    EXPECT_EQ(watcher->received<mqtt::Publish>()[0].properties.message_expiry_interval, 100u);

    now = kNow + seconds(40);
    restart(through_leveldb);
    ASSERT_FALSE(HasFatalFailure());
    watcher = &watch("will/#");
    tick_at(kNow + seconds(100));
    EXPECT_TRUE(payloads(*watcher).empty()) << watcher->describe();  // not twice
    BrokerClient& pub = connect("pub", 0, true);
    publish(pub, "x", QoS::kAtLeastOnce, "after");
    BrokerClient& again = connect("c", 3600, false);
    EXPECT_TRUE(connack(again).session_present);
    EXPECT_EQ(payloads(again), std::vector<std::string>{"after"}) << again.describe();
  }

  // A QoS 2 subscriber mid-flow and a QoS 2 publisher awaiting PUBREL when
  // the broker crashes: both flows resume where the store says they were.
  void qos2_across_a_restart(bool through_leveldb) {
    BrokerClient& c = connect("c", 3600, true);
    subscribe(c, "t", QoS::kExactlyOnce);
    c.drop();
    settle();
    BrokerClient& pub = connect("pub", 0, true);
    for (const char* payload : {"m1", "m2", "m3"}) publish(pub, "t", QoS::kExactlyOnce, payload);
    BrokerClient& back = connect("c", 3600, false);
    const auto first = back.received<mqtt::Publish>();
    ASSERT_EQ(first.size(), 3u) << back.describe();
    back.send(test::make_response<mqtt::Pubrec>(first[0].packet_id));  // m1 reaches PUBREL
    back.send(test::make_publish("in", QoS::kExactlyOnce, 9, "in"));   // PUBREC, no PUBREL yet
    settle();
    ASSERT_EQ(back.received<mqtt::Pubrel>().size(), 1u) << back.describe();

    restart(through_leveldb);
    ASSERT_FALSE(HasFatalFailure());
    BrokerClient& in = watch("in");
    BrokerClient& resumed = connect("c", 3600, false);
    EXPECT_TRUE(connack(resumed).session_present);
    const auto pubrels = resumed.received<mqtt::Pubrel>();
    ASSERT_EQ(pubrels.size(), 1u) << resumed.describe();
    EXPECT_EQ(pubrels[0].packet_id, first[0].packet_id);
    const auto again = resumed.received<mqtt::Publish>();
    ASSERT_EQ(again.size(), 2u) << resumed.describe();
    for (std::size_t i = 0; i < again.size(); ++i) {
      EXPECT_EQ(again[i].payload, first[i + 1].payload);
      EXPECT_EQ(again[i].packet_id, first[i + 1].packet_id);
      EXPECT_TRUE(again[i].dup);
    }
    resumed.forget();
    mqtt::Publish dup = test::make_publish("in", QoS::kExactlyOnce, 9, "in");
    dup.dup = true;
    resumed.send(dup);
    settle();
    EXPECT_EQ(resumed.received<mqtt::Pubrec>().size(), 1u) << resumed.describe();
    EXPECT_TRUE(payloads(in).empty()) << in.describe();  // D4: not routed twice
  }
};

// A session whose connection was alive at a crash counts as disconnected at
// the restart, and that time is stored: a second crash does not restart the
// count (expiry 60, restarts at +10 s and +40 s: it ends at +70 s).
TEST_F(BrokerRestoreRestartTest, ExpiryOfASessionAliveAtTheCrashSurvivesASecondCrash) {
  connect("c", 60, true);
  now = kNow + seconds(10);
  restart(/*through_leveldb=*/false);
  now = kNow + seconds(40);
  restart(/*through_leveldb=*/false);
  tick_at(kNow + seconds(69));
  EXPECT_EQ(broker->session_count(), 1u);
  tick_at(kNow + seconds(70));
  EXPECT_EQ(broker->session_count(), 0u) << "still there: expiry counted from the second restart";
}

TEST_F(BrokerRestoreRestartTest, WillAcrossRestartsInMemory) { will_across_restarts(false); }
TEST_F(BrokerRestoreRestartTest, WillAcrossRestartsLeveldb) { will_across_restarts(true); }
TEST_F(BrokerRestoreRestartTest, Qos2AcrossARestartInMemory) { qos2_across_a_restart(false); }
TEST_F(BrokerRestoreRestartTest, Qos2AcrossARestartLeveldb) { qos2_across_a_restart(true); }

}  // namespace
}  // namespace cairn::broker
