// Exactly once across paging, restarts, wills and refusals (issue 17, items 1
// and 2): the paths by which a QoS 2 message could reach a subscriber twice,
// or a publisher's QoS 2 packet identifier could wedge, each driven through
// the broker with a store that commits when the test says.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/broker_client.h"
#include "support/session_harness.h"

namespace cairn::broker {
namespace {

using model::QoS;
using test::BrokerClient;

const model::WallTime kNow{test::SessionHarness::kStart};

storage::StoredDelivery stored(std::uint64_t sequence, std::string payload, QoS qos,
                               std::uint16_t packet_id = 0, bool released = false) {
  storage::StoredDelivery d;
  d.sequence = sequence;
  auto m = std::make_shared<model::Message>();
  m->topic = "t";
  m->payload = std::move(payload);
  m->qos = qos;
  d.message = m;
  d.qos = qos;
  d.packet_id = packet_id;
  d.released = released;
  return d;
}

storage::PutSession offline_record(const std::string& client) {
  storage::PutSession record;
  record.client_id = client;
  record.expiry_interval = 3600;
  record.disconnected_at = kNow;
  return record;
}

// Item 1: a PUBCOMP that arrives while a page-in waits in the store's line
// finishes a delivery the load then returns (its removal commits after the
// read). The load's answer must not queue it again: it was sent with a
// packet identifier, so it is in flight or done, never new.
TEST(BrokerExactlyOnce, DeliveryCompletedWhileAPageInWaitsIsNotSentAgain) {
  BrokerSettings settings;
  settings.memory_window = 8;
  test::BrokerWorld w(kNow, settings, /*open_window=*/0);
  // Sequence 10 was sent (packet id 7) and reached PUBREL before the crash;
  // 1..9 and 11..12 wait on disk.
  storage::StoredState whole;
  for (std::uint64_t s = 1; s <= 12; ++s) {
    whole.queues["s"].push_back(s == 10 ? stored(s, "m10", QoS::kExactlyOnce, 7, true)
                                        : stored(s, "m" + std::to_string(s), QoS::kAtLeastOnce));
  }
  w.store->seed(whole);
  storage::StoredState state;
  state.sessions["s"] = offline_record("s");
  state.queues["s"] = {stored(10, "m10", QoS::kExactlyOnce, 7, true)};
  state.paged["s"] = storage::StoredQueueTail{1, 11, 11 * 4};
  state.next_sequence["s"] = 13;
  w.restore(std::move(state));

  mqtt::Connect connect = test::make_connect(mqtt::ProtocolVersion::kV5, "s", false);
  connect.properties.session_expiry_interval = 3600;
  BrokerClient& c = w.connect_unsettled(std::move(connect));
  // The first load (1..8) and the session record, then the CONNACK: PUBREL 7
  // again, m1..m8 sent, and a second load (9..12) asked for.
  ASSERT_TRUE(w.store->commit_next());
  ASSERT_TRUE(w.store->commit_next());
  w.step_clients();
  ASSERT_EQ(c.received<mqtt::Connack>().size(), 1u) << c.describe();
  ASSERT_EQ(c.received<mqtt::Pubrel>().size(), 1u) << c.describe();
  ASSERT_EQ(w.store->loads_submitted(), 2u);
  ASSERT_EQ(w.store->pending(), 1u) << "the second load waits";

  // PUBCOMP before the second load is answered: its removal queues behind it.
  c.send(test::make_response<mqtt::Pubcomp>(7));
  w.settle();
  for (const mqtt::Publish& p : c.received<mqtt::Publish>()) {
    if (p.qos == QoS::kAtLeastOnce) c.send(test::make_response<mqtt::Puback>(p.packet_id));
  }
  w.settle();
  const std::vector<std::string> got = test::BrokerWorld::payloads(c);
  EXPECT_EQ(std::count(got.begin(), got.end(), "m10"), 0) << c.describe();
  EXPECT_EQ(got.size(), 11u) << c.describe();
  {
    std::lock_guard lock(c.session()->mutex);
    EXPECT_EQ(c.session()->paged.count, 0u) << "no tail entry stranded";
  }
}

// Item 1: packet identifiers are unique per session on disk. A QoS 2
// delivery recorded as sent with an identifier finishes any other delivery
// of the session that held it: the session gives an identifier out again
// only once its previous holder is complete, even when that removal has not
// reached the disk yet (acknowledgements are batched and deferred). A
// restart then re-sends the new holder under that identifier, never as a
// new PUBLISH.
TEST(BrokerExactlyOnce, PacketIdentifierTakenOverOnDiskFinishesItsPreviousHolder) {
  test::BrokerWorld w(kNow);
  BrokerClient& s = w.connect("s", 3600, true);
  w.subscribe(s, "t", QoS::kExactlyOnce);
  s.drop();
  w.settle();
  BrokerClient& pub = w.connect("pub", 0, true);
  w.publish(pub, "t", QoS::kExactlyOnce, "a");
  w.publish(pub, "t", QoS::kExactlyOnce, "b");
  const std::vector<std::uint64_t> queued = w.sequences<storage::PutDelivery>("s");
  ASSERT_EQ(queued.size(), 2u);

  // What the disk holds when "a" finished (PUBCOMP) and "b" took its packet
  // identifier, and the crash came before the removal of "a" committed.
  auto record = [&](auto op) {
    storage::Batch b;
    b.operations.push_back(std::move(op));
    w.store->submit(std::move(b), [](std::error_code) {});
  };
  record(storage::RecordSent{"s", queued[0], 1});
  record(storage::MarkDeliveryReleased{"s", queued[0], 1});
  record(storage::RecordSent{"s", queued[1], 1});
  w.store->commit_all();
  w.restart(/*through_leveldb=*/true);

  BrokerClient& back = w.connect("s", 3600, false);
  EXPECT_TRUE(back.received<mqtt::Pubrel>().empty()) << back.describe();
  const auto publishes = back.received<mqtt::Publish>();
  ASSERT_EQ(publishes.size(), 1u) << back.describe();
  EXPECT_EQ(publishes[0].payload, "b");
  EXPECT_EQ(publishes[0].packet_id, 1);
  EXPECT_TRUE(publishes[0].dup);
}

// Item 1: a will of delay 0 on a persistent session goes out in one batch
// with the session record that no longer holds it, so a crash between the
// two cannot publish it again.
TEST(BrokerExactlyOnce, WillOfDelayZeroOnAPersistentSessionIsPublishedOnce) {
  test::BrokerWorld w(kNow);
  BrokerClient& watcher = w.connect("ws", 3600, true);
  w.subscribe(watcher, "w", QoS::kAtLeastOnce);
  watcher.drop();
  w.settle();
  BrokerClient& c = w.connect("c", 3600, true, test::make_will("w", "gone", QoS::kAtLeastOnce));
  c.drop();
  // The crash comes right after the first write of the drop.
  ASSERT_GE(w.store->pending(), 1u);
  ASSERT_TRUE(w.store->commit_next());
  w.restart(/*through_leveldb=*/true);
  w.tick_at(w.now + std::chrono::seconds(1));

  BrokerClient& back = w.connect("ws", 3600, false);
  EXPECT_EQ(test::BrokerWorld::payloads(back), std::vector<std::string>{"gone"}) << back.describe();
}

// Item 2: a 3.1.1 QoS 2 PUBLISH refused because a subscriber's queue is full
// closes the connection without PUBREC and leaves no trace: the client's
// re-send (DUP) on its next connection is taken and acknowledged.
TEST(BrokerExactlyOnce, RefusedQos2PublishLeavesNoTraceSoTheResendIsTaken) {
  BrokerSettings settings;
  settings.max_queued = 1;
  test::BrokerWorld w(kNow, settings, /*open_window=*/0);
  BrokerClient& s = w.connect("s", 3600, true);
  w.subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  w.settle();

  auto connect_v311 = [&w]() -> BrokerClient& {
    BrokerClient& c =
        w.connect_unsettled(test::make_connect(mqtt::ProtocolVersion::kV311, "p", false));
    w.settle();
    return c;
  };
  BrokerClient& p = connect_v311();
  ASSERT_EQ(p.received<mqtt::Connack>().size(), 1u) << p.describe();
  p.send(test::make_publish("t", QoS::kExactlyOnce, 1, "first"));
  w.settle();
  ASSERT_EQ(p.received<mqtt::Pubrec>().size(), 1u) << p.describe();
  p.send(test::make_response<mqtt::Pubrel>(1));
  w.settle();
  p.send(test::make_publish("t", QoS::kExactlyOnce, 2, "second"));
  w.settle();
  EXPECT_EQ(p.received<mqtt::Pubrec>().size(), 1u) << "3.1.1 cannot refuse: no PUBREC";
  EXPECT_TRUE(p.closed());
  const auto closes = p.actions<session::CloseConnection>();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_NE(std::string(closes[0].why).find("queue is full"), std::string::npos) << closes[0].why;

  // The queue drains; the publisher comes back and sends it again.
  BrokerClient& s_back = w.connect("s", 3600, false);
  for (const mqtt::Publish& d : s_back.received<mqtt::Publish>()) {
    s_back.send(test::make_response<mqtt::Puback>(d.packet_id));
  }
  w.settle();
  s_back.forget();
  BrokerClient& again = connect_v311();
  mqtt::Publish resend = test::make_publish("t", QoS::kExactlyOnce, 2, "second");
  resend.dup = true;
  again.send(std::move(resend));
  w.settle();
  const auto recs = again.received<mqtt::Pubrec>();
  ASSERT_EQ(recs.size(), 1u) << again.describe();
  EXPECT_EQ(recs[0].packet_id, 2);
  again.send(test::make_response<mqtt::Pubrel>(2));
  w.settle();
  EXPECT_EQ(again.received<mqtt::Pubcomp>().size(), 1u) << again.describe();
  EXPECT_EQ(test::BrokerWorld::payloads(s_back), std::vector<std::string>{"second"});
}

}  // namespace
}  // namespace cairn::broker
