// Broker::restore and wills (DESIGN.md D6): a will stored with its session
// is published its delay after the disconnect, counting the downtime, once:
// the record without it (or the session's removal) commits with it; the
// session record carries the will and the disconnect time for the next
// restart. Clients are SessionMachines driven by test::BrokerClient.
#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "support/restore_fixture.h"

namespace cairn::broker {
namespace {

using namespace test::restore;  // NOLINT: the fixture and its helpers

// --- 7. stored wills ----------------------------------------------------------------------

class BrokerRestoreWillTest : public BrokerRestoreTest {
 protected:
  // A session "w" whose will goes to "will/w" `delay` seconds after `since`.
  void restore_with_will(std::uint32_t expiry, std::optional<model::WallTime> since,
                         std::uint32_t delay) {
    storage::StoredState state;
    storage::PutSession s = stored_session("w", expiry, since);
    s.will = message("will/w", "gone", QoS::kAtLeastOnce);
    s.will_delay = delay;
    s.will_expiry_interval = 100;
    state.sessions["w"] = std::move(s);
    restore(std::move(state));
    watcher_ = &watch("will/#");
  }
  BrokerClient* watcher_ = nullptr;
};

TEST_F(BrokerRestoreWillTest, StoredWillIsPublishedItsDelayAfterTheDisconnect) {
  restore_with_will(3600, kNow - seconds(10), 30);
  tick_at(kNow + seconds(19));
  EXPECT_TRUE(payloads(*watcher_).empty()) << watcher_->describe();
  tick_at(kNow + seconds(20));
  EXPECT_EQ(payloads(*watcher_), std::vector<std::string>{"gone"}) << watcher_->describe();
  ASSERT_EQ(watcher_->received<mqtt::Publish>().size(), 1u);
  EXPECT_EQ(watcher_->received<mqtt::Publish>()[0].properties.message_expiry_interval, 100u);
  // The record no longer holds it: a restart does not publish it twice.
  const auto records = committed<storage::PutSession>("w");
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().will, nullptr);
  EXPECT_EQ(records.back().disconnected_at, kNow - seconds(10));
  tick_at(kNow + seconds(100));
  EXPECT_EQ(payloads(*watcher_).size(), 1u);
  EXPECT_EQ(broker->session_count(), 2u);  // the session itself lives on
}

TEST_F(BrokerRestoreWillTest, StoredWillOfAConnectionAliveAtTheCrashCountsFromTheRestart) {
  restore_with_will(3600, std::nullopt, 30);
  tick_at(kNow + seconds(29));
  EXPECT_TRUE(payloads(*watcher_).empty()) << watcher_->describe();
  tick_at(kNow + seconds(30));
  EXPECT_EQ(payloads(*watcher_), std::vector<std::string>{"gone"}) << watcher_->describe();
}

TEST_F(BrokerRestoreWillTest, AttachingBeforeTheDelayCancelsTheRestoredWill) {
  restore_with_will(3600, kNow - seconds(10), 30);
  now = kNow + seconds(5);
  BrokerClient& w = connect("w", 3600, false);  // [MQTT-3.1.3-9]
  EXPECT_TRUE(connack(w).session_present);
  tick_at(kNow + seconds(100));
  EXPECT_TRUE(payloads(*watcher_).empty()) << watcher_->describe();
  // The connection stored its own record, without the old will.
  const auto records = committed<storage::PutSession>("w");
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().will, nullptr);
  EXPECT_EQ(records.back().disconnected_at, std::nullopt);
}

TEST_F(BrokerRestoreWillTest, CleanStartEndsTheRestoredSessionAndItsWillGoesAtOnce) {
  restore_with_will(3600, kNow - seconds(10), 30);
  BrokerClient& w = connect("w", 3600, /*clean_start=*/true);
  EXPECT_FALSE(connack(w).session_present);
  EXPECT_EQ(payloads(*watcher_), std::vector<std::string>{"gone"}) << watcher_->describe();
  tick_at(kNow + seconds(100));
  EXPECT_EQ(payloads(*watcher_).size(), 1u);
}

TEST_F(BrokerRestoreWillTest, StoredWillGoesWhenTheSessionEndsIfThatIsFirst) {
  // The delay stored is already at most the expiry; here both run out together.
  restore_with_will(20, kNow - seconds(5), 20);
  tick_at(kNow + seconds(14));
  EXPECT_TRUE(payloads(*watcher_).empty()) << watcher_->describe();
  tick_at(kNow + seconds(15));
  EXPECT_EQ(payloads(*watcher_), std::vector<std::string>{"gone"}) << watcher_->describe();
  EXPECT_EQ(committed<storage::RemoveSession>("w").size(), 1u);
}

TEST_F(BrokerRestoreWillTest, WillAndTheRecordWithoutItCommitTogether) {
  // A crash between the two would publish the will again after the restart.
  restore_with_will(3600, kNow - seconds(10), 30);
  BrokerClient& keeper = connect("keeper", 3600, true);  // stores what it gets
  subscribe(keeper, "will/#", QoS::kAtLeastOnce);
  tick_at(kNow + seconds(20));
  ASSERT_EQ(payloads(keeper), std::vector<std::string>{"gone"}) << keeper.describe();
  int together = 0;
  for (const storage::Batch& b : store->committed()) {
    bool delivery = false;
    bool record = false;
    for (const storage::Operation& op : b.operations) {
      if (const auto* d = std::get_if<storage::PutDelivery>(&op))
        delivery |= d->client_id == "keeper";
      if (const auto* r = std::get_if<storage::PutSession>(&op)) {
        record |= r->client_id == "w" && r->will == nullptr;
      }
    }
    together += delivery && record;
  }
  EXPECT_EQ(together, 1);
}

TEST_F(BrokerRestoreWillTest, WillOfAnExpiringSessionCommitsWithItsRemoval) {
  restore_with_will(20, kNow - seconds(5), 20);
  BrokerClient& keeper = connect("keeper", 3600, true);
  subscribe(keeper, "will/#", QoS::kAtLeastOnce);
  tick_at(kNow + seconds(15));
  ASSERT_EQ(payloads(keeper), std::vector<std::string>{"gone"}) << keeper.describe();
  int together = 0;
  for (const storage::Batch& b : store->committed()) {
    bool delivery = false;
    bool removal = false;
    for (const storage::Operation& op : b.operations) {
      if (const auto* d = std::get_if<storage::PutDelivery>(&op))
        delivery |= d->client_id == "keeper";
      if (const auto* r = std::get_if<storage::RemoveSession>(&op)) removal |= r->client_id == "w";
    }
    together += delivery && removal;
  }
  EXPECT_EQ(together, 1);
  EXPECT_EQ(committed<storage::RemoveSession>("w").size(), 1u);
}

// --- 8. the session record, written for the next restart ---------------------------------------

TEST_F(BrokerRestoreTest, SessionRecordCarriesTheWillAndTheDisconnectTime) {
  BrokerClient& watcher = watch("will/#");
  BrokerClient& c = connect("c", 3600, true, will("will/c", "c gone", 30));
  // StoreSession at connect: the connection's will, no disconnect time yet.
  auto records = committed<storage::PutSession>("c");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].expiry_interval, 3600u);
  EXPECT_EQ(records[0].disconnected_at, std::nullopt);
  ASSERT_NE(records[0].will, nullptr);
  EXPECT_EQ(records[0].will->topic, "will/c");
  EXPECT_EQ(records[0].will->payload, "c gone");
  EXPECT_EQ(records[0].will_delay, 30u);

  now = kNow + seconds(5);
  c.drop();  // the connection is lost: the will waits for its delay
  settle();
  records = committed<storage::PutSession>("c");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].disconnected_at, kNow + seconds(5));
  ASSERT_NE(records[1].will, nullptr);
  EXPECT_EQ(records[1].will->payload, "c gone");
  EXPECT_EQ(records[1].will_delay, 30u);

  tick_at(kNow + seconds(34));
  EXPECT_TRUE(payloads(watcher).empty()) << watcher.describe();
  tick_at(kNow + seconds(35));
  EXPECT_EQ(payloads(watcher), std::vector<std::string>{"c gone"}) << watcher.describe();
  records = committed<storage::PutSession>("c");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].will, nullptr);
  EXPECT_EQ(records[2].disconnected_at, kNow + seconds(5));
  EXPECT_EQ(records[2].expiry_interval, 3600u);
}

TEST_F(BrokerRestoreTest, NormalDisconnectStoresTheDisconnectTimeAndNoWill) {
  BrokerClient& c = connect("c", 3600, true, will("will/c", "c gone", 30));
  now = kNow + seconds(5);
  c.send(test::make_disconnect());  // [MQTT-3.14.4-3]: the will is discarded
  settle();
  const auto records = committed<storage::PutSession>("c");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].disconnected_at, kNow + seconds(5));
  EXPECT_EQ(records[1].will, nullptr);
}

}  // namespace
}  // namespace cairn::broker
