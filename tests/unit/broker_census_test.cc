// Broker::census, what the delivery-lag metrics show: how many deliveries
// wait (in memory and on disk) and are in flight, which sessions hold the
// largest backlogs (only the top K, so that a metric label stays bounded),
// sessions online and offline, and since when the oldest delivery waits.
#include <chrono>
#include <string>
#include <thread>
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
using Clock = std::chrono::steady_clock;

const model::WallTime kNow{test::SessionHarness::kStart};

BrokerSettings paging() {
  BrokerSettings s;
  s.memory_window = 4;
  return s;
}

class BrokerCensusTest : public ::testing::Test, public test::BrokerWorld {
 protected:
  BrokerCensusTest() : BrokerWorld(kNow, paging(), /*open_window=*/0) {}

  // A persistent subscriber to `topic` that then goes offline.
  void away(const std::string& id, const std::string& topic) {
    BrokerClient& s = connect(id, 3600, true);
    subscribe(s, topic, QoS::kAtLeastOnce);
    s.drop();
    settle();
  }
};

TEST_F(BrokerCensusTest, AnEmptyBrokerHasNothingWaiting) {
  const Broker::Census c = broker->census(10);
  EXPECT_EQ(c.queued, 0u);
  EXPECT_EQ(c.inflight, 0u);
  EXPECT_EQ(c.online + c.offline, 0u);
  EXPECT_TRUE(c.top.empty());
  EXPECT_FALSE(c.oldest.has_value());
}

TEST_F(BrokerCensusTest, CountsWhatWaitsOnDiskAndListsTheLargestBacklogsFirst) {
  away("small", "a");
  away("large", "b");
  away("middle", "c");
  BrokerClient& pub = connect("pub", 0, true);
  const Clock::time_point before = Clock::now();
  for (int i = 0; i < 2; ++i) publish(pub, "a", QoS::kAtLeastOnce, "x");
  for (int i = 0; i < 9; ++i) publish(pub, "b", QoS::kAtLeastOnce, "x");
  for (int i = 0; i < 5; ++i) publish(pub, "c", QoS::kAtLeastOnce, "x");

  const Broker::Census c = broker->census(2);
  EXPECT_EQ(c.queued, 16u);  // offline: every one of them on disk (D7)
  EXPECT_EQ(c.inflight, 0u);
  EXPECT_EQ(c.offline, 3u);
  EXPECT_EQ(c.online, 1u);  // the publisher
  EXPECT_EQ(c.top,
            (std::vector<std::pair<std::string, std::uint64_t>>{{"large", 9}, {"middle", 5}}));
  ASSERT_TRUE(c.oldest.has_value());
  EXPECT_GE(*c.oldest, before);
  EXPECT_LE(*c.oldest, Clock::now());
  EXPECT_TRUE(broker->census(0).top.empty());
}

TEST_F(BrokerCensusTest, InFlightDeliveriesAreCountedAndTheOldestAgesUntilAcknowledged) {
  BrokerClient& s = connect("s", 3600, true, std::nullopt, /*receive_maximum=*/1);
  subscribe(s, "t", QoS::kAtLeastOnce);
  BrokerClient& pub = connect("pub", 0, true);
  publish(pub, "t", QoS::kAtLeastOnce, "first");
  const Clock::time_point first_queued = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  publish(pub, "t", QoS::kAtLeastOnce, "second");

  Broker::Census c = broker->census(10);
  EXPECT_EQ(c.inflight, 1u);  // Receive Maximum 1
  EXPECT_EQ(c.queued, 1u);
  ASSERT_TRUE(c.oldest.has_value());
  EXPECT_LE(*c.oldest, first_queued);  // the one in flight, not the newer queued one

  const auto sent = s.received<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 1u);
  s.forget();
  s.send(test::make_response<mqtt::Puback>(sent[0].packet_id));
  settle();
  c = broker->census(10);
  EXPECT_EQ(c.inflight, 1u);  // the second went out
  EXPECT_EQ(c.queued, 0u);
  ASSERT_TRUE(c.oldest.has_value());
  EXPECT_GT(*c.oldest, first_queued);  // the first no longer counts

  const auto second = s.received<mqtt::Publish>();
  ASSERT_EQ(second.size(), 1u);
  s.send(test::make_response<mqtt::Puback>(second[0].packet_id));
  settle();
  c = broker->census(10);
  EXPECT_EQ(c.inflight + c.queued, 0u);
  EXPECT_FALSE(c.oldest.has_value());
}

}  // namespace
}  // namespace cairn::broker
