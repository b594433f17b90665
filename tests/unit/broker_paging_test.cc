// Broker paging (DESIGN.md D7): a persistent session keeps a bounded window
// of its queue in memory while connected and none of its stored deliveries
// while offline; the rest is read back from the store in sequence order as
// the client takes what it has, across disconnects and restarts, with no
// delivery lost, repeated or reordered. The store is a ManualStore that
// reads queues back in line with its commits (test::BrokerWorld).
#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
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
constexpr std::size_t kWindow = 4;

BrokerSettings paging(std::size_t window = kWindow) {
  BrokerSettings s;
  s.memory_window = window;
  return s;
}

std::vector<std::string> numbered(int first, int last) {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back("m" + std::to_string(i));
  return out;
}

class BrokerPagingTest : public ::testing::Test, public test::BrokerWorld {
 protected:
  explicit BrokerPagingTest(BrokerSettings settings = paging())
      : BrokerWorld(kNow, settings, /*open_window=*/0) {}

  std::size_t in_memory(const BrokerClient& c) {
    std::lock_guard lock(c.session()->mutex);
    return c.session()->state.queue.size();
  }
  PagedTail tail_of(const std::string& client) {
    // The session, found through a fresh attach would change it: read it
    // from a client that holds it, or from the broker's restore.
    for (auto& c : clients) {
      if (c->session() && c->session()->state.client_id == client) {
        std::lock_guard lock(c->session()->mutex);
        return c->session()->paged;
      }
    }
    return {};
  }
  void publish_numbered(BrokerClient& pub, int first, int last, QoS qos = QoS::kAtLeastOnce) {
    for (int i = first; i <= last; ++i) publish(pub, "t", qos, "m" + std::to_string(i));
  }
  // Acknowledges every QoS 1 PUBLISH the client has not acknowledged yet
  // (its log is then forgotten), and lets the broker send what follows.
  std::vector<std::string> take_and_ack(BrokerClient& c) {
    std::vector<std::string> got;
    for (int round = 0; round < 1000; ++round) {
      const auto publishes = c.received<mqtt::Publish>();
      if (publishes.empty()) break;
      c.forget();
      for (const mqtt::Publish& p : publishes) {
        got.push_back(p.payload);
        c.send(test::make_response<mqtt::Puback>(p.packet_id));
      }
      settle();
    }
    return got;
  }
};

TEST_F(BrokerPagingTest, OfflineSessionKeepsNoStoredDeliveryInMemoryAndGetsThemAllInOrder) {
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "t", QoS::kAtLeastOnce);
  const std::shared_ptr<Session> session = s.session();
  s.drop();
  settle();
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 50);
  {
    std::lock_guard lock(session->mutex);
    EXPECT_EQ(session->state.queue.size(), 0u);
    EXPECT_EQ(session->paged.count, 50u);
    // "t" + "m1".."m50", and the broker's overhead for each
    EXPECT_EQ(session->paged.bytes, 50u * (1 + 3) - 9 + 50 * model::kMessageOverhead);
  }
  EXPECT_EQ(broker->counters().deliveries_paged_out.load(), 50u);

  BrokerClient& back = connect("s", 3600, false, std::nullopt, /*receive_maximum=*/2);
  EXPECT_TRUE(connack(back).session_present);
  // Two in flight, at most a window in memory, the rest still on disk.
  EXPECT_EQ(back.received<mqtt::Publish>().size(), 2u);
  EXPECT_LE(in_memory(back), kWindow);
  EXPECT_GE(tail_of("s").count, 50u - 2 - kWindow);
  EXPECT_EQ(take_and_ack(back), numbered(1, 50));
  EXPECT_EQ(in_memory(back), 0u);
  EXPECT_EQ(tail_of("s").count, 0u);
  EXPECT_EQ(tail_of("s").from, 0u);  // paging off until the window fills again
  EXPECT_EQ(committed<storage::RemoveDelivery>("s").size(), 50u);
  // The removals of acknowledged deliveries, and nothing else, may wait for
  // the next synced write (storage::Batch::deferrable).
  for (const storage::Batch& b : store->committed()) {
    const bool removals =
        !b.empty() && std::all_of(b.operations.begin(), b.operations.end(), [](const auto& op) {
          return std::holds_alternative<storage::RemoveDelivery>(op);
        });
    EXPECT_EQ(b.deferrable, removals);
  }
}

TEST_F(BrokerPagingTest, SlowSubscriberHoldsAWindowInMemoryAndTheRestOnDisk) {
  BrokerClient& s = connect("s", 3600, true, std::nullopt, /*receive_maximum=*/1);
  subscribe(s, "t", QoS::kAtLeastOnce);
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 30);
  EXPECT_EQ(s.received<mqtt::Publish>().size(), 1u);
  EXPECT_EQ(in_memory(s), kWindow);
  EXPECT_EQ(tail_of("s").count, 30u - 1 - kWindow);
  // Publishes go on arriving while the client drains: all in order, once.
  std::vector<std::string> got;
  for (int i = 31; i <= 40; ++i) {
    const auto p = s.received<mqtt::Publish>();
    ASSERT_EQ(p.size(), 1u) << s.describe();
    got.push_back(p[0].payload);
    s.forget();
    s.send(test::make_response<mqtt::Puback>(p[0].packet_id));
    publish(pub, "t", QoS::kAtLeastOnce, "m" + std::to_string(i));
    EXPECT_LE(in_memory(s), kWindow);
  }
  const std::vector<std::string> rest = take_and_ack(s);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, numbered(1, 40));
}

TEST_F(BrokerPagingTest, DisconnectMovesTheWindowToDiskAndInFlightIsNotSentTwice) {
  BrokerClient& s = connect("s", 3600, true, std::nullopt, /*receive_maximum=*/2);
  subscribe(s, "t", QoS::kAtLeastOnce);
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 12);
  ASSERT_EQ(s.received<mqtt::Publish>().size(), 2u);  // m1, m2 in flight
  const std::shared_ptr<Session> session = s.session();
  s.drop();
  settle();
  {
    std::lock_guard lock(session->mutex);
    EXPECT_EQ(session->state.queue.size(), 0u);
    EXPECT_EQ(session->paged.count, 10u);
    EXPECT_EQ(session->state.inflight.size(), 2u);
  }
  BrokerClient& back = connect("s", 3600, false, std::nullopt, /*receive_maximum=*/20);
  const auto first = back.received<mqtt::Publish>();
  ASSERT_GE(first.size(), 2u);
  EXPECT_TRUE(first[0].dup);  // re-sent first, in their order [MQTT-4.4.0-1]
  EXPECT_TRUE(first[1].dup);
  EXPECT_EQ(take_and_ack(back), numbered(1, 12));
}

TEST_F(BrokerPagingTest, LoadAnsweredAfterADisconnectIsDiscarded) {
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  settle();
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 10);

  // The reconnect asks for a load; the client goes before it is answered.
  clients.push_back(std::make_unique<BrokerClient>(*broker, now));
  BrokerClient& back = *clients.back();
  mqtt::Connect c = test::make_connect(mqtt::ProtocolVersion::kV5, "s", false);
  c.properties.session_expiry_interval = 3600;
  back.send(std::move(c));
  while (back.step()) {
  }
  ASSERT_EQ(store->loads_submitted(), 1u);
  const std::shared_ptr<Session> session = back.session();
  back.drop();
  settle();  // the load is answered now, for a connection that is gone
  {
    std::lock_guard lock(session->mutex);
    EXPECT_EQ(session->state.queue.size(), 0u) << "an offline session holds none in memory";
    EXPECT_EQ(session->paged.count, 10u);
  }
  BrokerClient& again = connect("s", 3600, false);
  EXPECT_EQ(take_and_ack(again), numbered(1, 10));
}

TEST_F(BrokerPagingTest, QueueLimitCountsWhatIsOnDisk) {
  BrokerSettings small = paging();
  small.max_queued = 6;
  BrokerWorld world(kNow, small, 0);
  BrokerClient& s = world.connect("s", 3600, true);
  world.subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  world.settle();
  BrokerClient& pub = world.connect("pub", 0, true);
  for (int i = 1; i <= 7; ++i) world.publish(pub, "t", QoS::kAtLeastOnce, "m" + std::to_string(i));
  const auto acks = pub.received<mqtt::Puback>();
  ASSERT_EQ(acks.size(), 7u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(acks[i].reason_code, mqtt::ReasonCode::kSuccess);
  EXPECT_EQ(acks[6].reason_code, mqtt::ReasonCode::kQuotaExceeded);
}

TEST_F(BrokerPagingTest, QueueLimitCountsBytes) {
  BrokerSettings small = paging();
  // Ten messages of "t" + 10 bytes, each with the broker's overhead.
  small.max_queued_bytes = 10 * (11 + model::kMessageOverhead) - 10;
  BrokerWorld world(kNow, small, 0);
  BrokerClient& s = world.connect("s", 3600, true);
  world.subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  world.settle();
  BrokerClient& pub = world.connect("pub", 0, true);
  for (int i = 0; i < 12; ++i) world.publish(pub, "t", QoS::kAtLeastOnce, "0123456789");
  const auto acks = pub.received<mqtt::Puback>();
  ASSERT_EQ(acks.size(), 12u);
  const auto refused = std::count_if(acks.begin(), acks.end(), [](const mqtt::Puback& a) {
    return a.reason_code == mqtt::ReasonCode::kQuotaExceeded;
  });
  EXPECT_EQ(refused, 2);  // the 10th goes past the limit; the 11th and 12th find it full
}

// Issue 17, item 4: a session resumed with Session Expiry 0 used to read its
// whole backlog into memory at CONNECT. It now pages like any other, its
// record kept (with expiry 0, so that a crash ends it) until its connection
// ends; what is published meanwhile is stored behind the tail, in order.
TEST_F(BrokerPagingTest, SessionResumedWithExpiryZeroPagesItsBacklogAndEndsAtDisconnect) {
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  settle();
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 50);
  BrokerClient& back = connect("s", 0, false, std::nullopt, /*receive_maximum=*/2);
  EXPECT_TRUE(connack(back).session_present);
  EXPECT_LE(in_memory(back), kWindow);
  EXPECT_GE(tail_of("s").count, 50u - 2 - kWindow);
  EXPECT_TRUE(committed<storage::RemoveSession>("s").empty());
  ASSERT_FALSE(committed<storage::PutSession>("s").empty());
  EXPECT_EQ(committed<storage::PutSession>("s").back().expiry_interval, 0u);
  publish_numbered(pub, 51, 55);  // behind the tail, not before it
  EXPECT_LE(in_memory(back), kWindow);
  EXPECT_EQ(take_and_ack(back), numbered(1, 55));
  EXPECT_EQ(tail_of("s").count, 0u);
  back.drop();
  settle();
  EXPECT_EQ(committed<storage::RemoveSession>("s").size(), 1u);  // ended with its connection
  EXPECT_EQ(broker->session_count(), 1u);                        // only the publisher's
}

TEST_F(BrokerPagingTest, SessionResumedWithExpiryZeroEndsAtARestart) {
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "t", QoS::kAtLeastOnce);
  s.drop();
  settle();
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 20);
  BrokerClient& back = connect("s", 0, false, std::nullopt, /*receive_maximum=*/2);
  EXPECT_TRUE(connack(back).session_present);
  restart(/*through_leveldb=*/true);
  tick_at(now + std::chrono::seconds(1));
  BrokerClient& again = connect("s", 3600, false);
  EXPECT_FALSE(connack(again).session_present);  // it ended when its connection did
}

// --- restarts ------------------------------------------------------------------------

TEST_F(BrokerPagingTest, RestartLeavesQueuesOnDiskAndDeliversThemInOrder) {
  BrokerClient& s = connect("s", 3600, true);
  subscribe(s, "t", QoS::kAtLeastOnce);
  BrokerClient& other = connect("other", 3600, true);
  subscribe(other, "t", QoS::kAtLeastOnce);
  s.drop();
  other.drop();
  settle();
  BrokerClient& pub = connect("pub", 0, true);
  publish_numbered(pub, 1, 25);
  restart(/*through_leveldb=*/true);
  EXPECT_EQ(opened_report.queued, 50u);
  BrokerClient& back = connect("s", 3600, false, std::nullopt, /*receive_maximum=*/3);
  EXPECT_TRUE(connack(back).session_present);
  EXPECT_EQ(take_and_ack(back), numbered(1, 25));
  // New deliveries are numbered past everything the store held.
  BrokerClient& pub2 = connect("pub2", 0, true);
  publish(pub2, "t", QoS::kAtLeastOnce, "after");
  EXPECT_EQ(sequences<storage::PutDelivery>("s").back(), 26u);
  EXPECT_EQ(take_and_ack(back), std::vector<std::string>{"after"});
  BrokerClient& other_back = connect("other", 3600, false);
  std::vector<std::string> expected = numbered(1, 25);
  expected.push_back("after");
  EXPECT_EQ(take_and_ack(other_back), expected);
}

TEST_F(BrokerPagingTest, RestoredInFlightDeliveryInsideTheTailIsResentOnceNotLoadedAgain) {
  // Sequence 2 was sent (QoS 2, packet id 7) before 1 and 3: a load from 1
  // returns it too, and must not queue it a second time.
  auto delivery = [](std::uint64_t sequence, std::string payload, std::uint16_t packet_id) {
    storage::StoredDelivery d;
    d.sequence = sequence;
    auto m = std::make_shared<model::Message>();
    m->topic = "t";
    m->payload = std::move(payload);
    m->qos = QoS::kExactlyOnce;
    d.message = m;
    d.qos = QoS::kExactlyOnce;
    d.packet_id = packet_id;
    return d;
  };
  storage::StoredState whole;
  whole.queues["s"] = {delivery(1, "m1", 0), delivery(2, "m2", 7), delivery(3, "m3", 0)};
  store->seed(whole);
  storage::StoredState state;
  storage::PutSession record;
  record.client_id = "s";
  record.expiry_interval = 3600;
  record.disconnected_at = kNow;
  state.sessions["s"] = record;
  state.queues["s"] = {delivery(2, "m2", 7)};
  state.paged["s"] = storage::StoredQueueTail{1, 2, 4};
  state.next_sequence["s"] = 4;
  restore(std::move(state));

  BrokerClient& back = connect("s", 3600, false);
  const auto sent = back.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 3u) << back.describe();
  EXPECT_EQ(sent[0].payload, "m2");
  EXPECT_TRUE(sent[0].dup);
  EXPECT_EQ(sent[0].packet_id, 7);
  EXPECT_EQ(sent[1].payload, "m1");
  EXPECT_EQ(sent[2].payload, "m3");
}

// --- a random run ----------------------------------------------------------------------

// One publisher and one persistent subscriber that acknowledges at its own
// pace, drops its connection, comes back with another Receive Maximum, and
// lives through restarts (LevelDB, the windowed open of cairn's start-up),
// with a memory window of 4. Every acknowledged message arrives; the first
// arrivals come in publish order; nothing the subscriber acknowledged comes
// again.
TEST(BrokerPagingRandom, NothingLostNothingReorderedNothingAcknowledgedTwice) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    test::BrokerWorld w(kNow, paging(), /*open_window=*/0);
    std::mt19937 rng(seed);
    auto one_in = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng) == 0; };
    auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    BrokerClient* s = &w.connect("s", 3600, true, std::nullopt, 3);
    w.subscribe(*s, "t", QoS::kAtLeastOnce);
    BrokerClient* pub = &w.connect("pub", 0, true);
    bool online = true;
    int published = 0;
    std::vector<int> first_seen;
    std::set<int> seen;
    std::set<int> acked;
    std::deque<std::pair<std::uint16_t, int>> unacked;  // packet id, message
    auto take = [&] {
      for (const mqtt::Publish& p : s->received<mqtt::Publish>()) {
        const int n = std::stoi(p.payload.substr(1));
        EXPECT_FALSE(acked.contains(n)) << "m" << n << " came again after its PUBACK";
        if (seen.insert(n).second) first_seen.push_back(n);
        unacked.emplace_back(p.packet_id, n);
      }
      s->forget();
    };
    for (int step = 0; step < 250; ++step) {
      if (one_in(3)) {
        for (int k = pick(1, 6); k > 0; --k) {
          w.publish(*pub, "t", QoS::kAtLeastOnce, "m" + std::to_string(published++));
        }
      } else if (online && one_in(2)) {
        for (int k = pick(1, 5); k > 0 && !unacked.empty(); --k) {
          s->send(test::make_response<mqtt::Puback>(unacked.front().first));
          acked.insert(unacked.front().second);
          unacked.pop_front();
        }
        w.settle();
      } else if (online && one_in(6)) {
        s->drop();
        w.settle();
        unacked.clear();  // in flight again: re-sent at the next connection
        online = false;
      } else if (!online && one_in(2)) {
        s = &w.connect("s", 3600, false, std::nullopt, static_cast<std::uint16_t>(pick(1, 6)));
        online = true;
      } else if (one_in(12)) {
        w.restart(/*through_leveldb=*/true);
        pub = &w.connect("pub", 0, true);
        unacked.clear();
        online = false;
      }
      if (online) take();
    }
    if (!online) s = &w.connect("s", 3600, false);
    take();
    for (int round = 0; round < 10'000 && !unacked.empty(); ++round) {
      while (!unacked.empty()) {
        s->send(test::make_response<mqtt::Puback>(unacked.front().first));
        acked.insert(unacked.front().second);
        unacked.pop_front();
      }
      w.settle();
      take();
    }
    std::vector<int> all(static_cast<std::size_t>(published));
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(first_seen, all);
    EXPECT_EQ(static_cast<int>(acked.size()), published);
  }
}

}  // namespace
}  // namespace cairn::broker
