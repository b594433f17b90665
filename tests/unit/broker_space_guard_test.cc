// The free-space guard (storage.min_free_space_mb, issue 17 item 5) covers
// every writer traffic can drive, so the volume never reaches a real ENOSPC
// through anything the guard could have refused: QoS 1/2 publishes, QoS 0
// retained updates, subscriptions of persistent sessions and new persistent
// sessions are refused while space is low. What frees space (acks,
// removals) and what was accepted before (a will, a resumed session's
// record) still commits; the guard's margin is for them.
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker_errc.h"
#include "support/broker_fixture.h"

namespace cairn::broker {
namespace {

using model::QoS;
using test::kNow;
using test::message;

class BrokerSpaceGuardTest : public test::BrokerFixture {
 protected:
  template <class Op>
  std::size_t submitted() const {
    std::size_t n = 0;
    for (const storage::Batch& b : store_.submitted()) {
      for (const storage::Operation& op : b.operations) n += std::holds_alternative<Op>(op);
    }
    return n;
  }
};

TEST_F(BrokerSpaceGuardTest, LowDiskSpaceRefusesQos1And2ButNotQos0OrAcks) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "a/#", QoS::kExactlyOnce);
  Client pub = connect("pub", 0);
  store_.set_space_low(true);
  const std::size_t batches = store_.submitted().size();
  auto* q1 = publish(pub.session(), message("a/1", QoS::kAtLeastOnce));
  auto* q2 = publish(pub.session(), message("a/2", QoS::kExactlyOnce), 9);
  ASSERT_TRUE(q1->has_value() && q2->has_value());
  EXPECT_EQ(q1->value(), storage::StoreErrc::kNoSpace);
  EXPECT_EQ(q2->value(), storage::StoreErrc::kNoSpace);
  EXPECT_EQ(store_.submitted().size(), batches);  // nothing stored, nothing routed
  EXPECT_TRUE(queue_of(sub).empty());
  EXPECT_EQ(broker_.counters().publishes_refused_no_space.load(), 2u);
  auto* q0 = publish(pub.session(), message("a/0", QoS::kAtMostOnce));
  ASSERT_TRUE(q0->has_value());
  EXPECT_FALSE(q0->value());
  EXPECT_EQ(queue_of(sub).size(), 1u);
  // Acknowledgements still commit: they free space.
  broker_.delivery_done(sub.session(), session::DeliveryDone{1});
  EXPECT_EQ(store_.submitted().size(), batches + 1);
  // Space returns: publishing resumes.
  store_.set_space_low(false);
  auto* again = publish(pub.session(), message("a/1", QoS::kAtLeastOnce));
  store_.commit_all();
  ASSERT_TRUE(again->has_value());
  EXPECT_FALSE(again->value());
}

TEST_F(BrokerSpaceGuardTest, Qos0RetainedUpdateIsDeliveredButNotKeptWhileSpaceIsLow) {
  Client sub = connect("sub", 0);
  subscribe(sub, "r", QoS::kAtMostOnce);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("r", QoS::kAtMostOnce, true, "kept"));
  store_.commit_all();
  store_.set_space_low(true);
  publish(pub.session(), message("r", QoS::kAtMostOnce, true, "not kept"));
  publish(pub.session(), message("r", QoS::kAtMostOnce, true, ""));  // nor a delete
  EXPECT_EQ(queue_of(sub).size(), 3u);                               // subscribers still have them
  EXPECT_EQ(submitted<storage::PutRetained>(), 1u);
  EXPECT_EQ(submitted<storage::RemoveRetained>(), 0u);
  std::vector<model::MessagePtr> retained;
  broker_.router().retained_for("r", kNow, retained);
  ASSERT_EQ(retained.size(), 1u);  // memory and disk agree: the last one kept
  EXPECT_EQ(retained[0]->payload, "kept");
  EXPECT_EQ(broker_.counters().writes_refused_no_space.load(), 2u);
}

TEST_F(BrokerSpaceGuardTest, PersistentSessionSubscriptionIsRefusedWhileSpaceIsLow) {
  Client durable = connect("durable", 3600);
  Client transient = connect("transient", 0);
  store_.set_space_low(true);
  std::vector<session::SubscribeResult> durable_results;
  std::vector<session::SubscribeResult> transient_results;
  const session::ApplySubscribe request = test::subscribe_request("t", QoS::kAtLeastOnce);
  broker_.subscribe(durable.session(), request,
                    [&](auto results, std::error_code) { durable_results = results; });
  broker_.subscribe(transient.session(), request,
                    [&](auto results, std::error_code) { transient_results = results; });
  store_.commit_all();
  ASSERT_EQ(durable_results.size(), 1u);
  EXPECT_EQ(durable_results[0].reason, mqtt::ReasonCode::kQuotaExceeded);
  ASSERT_EQ(transient_results.size(), 1u);  // nothing to store: granted
  EXPECT_EQ(transient_results[0].reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_EQ(submitted<storage::PutSubscription>(), 0u);
  // Not half applied: a message on the topic reaches the transient one only.
  store_.set_space_low(false);
  publish(transient.session(), message("t", QoS::kAtMostOnce));
  EXPECT_TRUE(queue_of(durable).empty());
  EXPECT_EQ(queue_of(transient).size(), 1u);
  EXPECT_EQ(broker_.counters().writes_refused_no_space.load(), 1u);
}

TEST_F(BrokerSpaceGuardTest, NewPersistentSessionIsRefusedButAResumedOneIsNot) {
  Client back = connect("back", 3600);
  disconnect(back, 3600);
  store_.set_space_low(true);
  const std::size_t records = submitted<storage::PutSession>();

  auto fresh = broker_.attach({"fresh", true, 3600}, std::make_shared<test::FakeOwner>(), kNow);
  std::optional<std::error_code> fresh_done;
  broker_.store_session(fresh.session, {0, 3600, std::nullopt},
                        [&](std::error_code ec) { fresh_done = ec; });
  store_.commit_all();
  ASSERT_TRUE(fresh_done.has_value());
  EXPECT_EQ(*fresh_done, storage::StoreErrc::kNoSpace);
  EXPECT_EQ(refusal_reason(*fresh_done), mqtt::ReasonCode::kQuotaExceeded);

  // The client coming back to take its messages frees space: let it in.
  auto resumed = broker_.attach({"back", false, 3600}, std::make_shared<test::FakeOwner>(), kNow);
  ASSERT_TRUE(resumed.session_present);
  std::optional<std::error_code> resumed_done;
  broker_.store_session(resumed.session, {0, 3600, std::nullopt},
                        [&](std::error_code ec) { resumed_done = ec; });
  store_.commit_all();
  ASSERT_TRUE(resumed_done.has_value());
  EXPECT_FALSE(*resumed_done);
  EXPECT_EQ(submitted<storage::PutSession>(), records + 1);
}

TEST_F(BrokerSpaceGuardTest, WillIsPublishedWhileSpaceIsLow) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "will/#", QoS::kAtLeastOnce);
  Client c = connect("c", 0);
  store_.set_space_low(true);
  session::ScheduleWill will;
  will.message = message("will/c", QoS::kAtLeastOnce, false, "gone");
  broker_.schedule_will(c.session(), c.attachment.generation, will, kNow);
  store_.commit_all();
  // Accepted with its CONNECT, it is not refused now: it would be lost.
  ASSERT_EQ(queue_of(sub).size(), 1u);
  EXPECT_EQ(queue_of(sub)[0].message->payload, "gone");
}

}  // namespace
}  // namespace cairn::broker
