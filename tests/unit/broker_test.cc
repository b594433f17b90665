// Broker: routing with the durability ordering of DESIGN.md D1, D2, D4 and D8
// (a ManualStore decides when commits happen), sessions attached, taken
// over, expired and ended, wills, retained messages and shared subscriptions.
#include "broker/broker.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/broker_fixture.h"

namespace cairn::broker {
namespace {

using model::QoS;
using std::chrono::seconds;

using test::FakeOwner;
using test::kNow;
using test::message;
using BrokerTest = test::BrokerFixture;

TEST_F(BrokerTest, DurableMessageIsCommittedBeforeSubscribersSeeItOrItIsAcked) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "a/#", QoS::kAtLeastOnce);
  Client pub = connect("pub", 0);
  auto* done = publish(pub.session(), message("a/b", QoS::kAtLeastOnce));
  // D1, D2: nothing visible and no ack before the commit.
  EXPECT_FALSE(done->has_value());
  EXPECT_TRUE(queue_of(sub).empty());
  ASSERT_EQ(store_.pending(), 1u);
  const storage::Batch& batch = store_.submitted().back();
  ASSERT_EQ(batch.operations.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<storage::PutMessage>(batch.operations[0]));
  const auto& record = std::get<storage::PutDelivery>(batch.operations[1]);
  EXPECT_EQ(record.client_id, "sub");
  EXPECT_EQ(record.qos, QoS::kAtLeastOnce);

  store_.commit_next();
  ASSERT_TRUE(done->has_value());
  EXPECT_FALSE(done->value());
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].sequence, record.sequence);
  EXPECT_NE(queue[0].sequence, 0u);
  EXPECT_EQ(sub.owner->ready, 1);
}

TEST_F(BrokerTest, MessageForOnlyNonPersistentSessionsNeedsNoCommit) {
  Client sub = connect("sub", 0);
  subscribe(sub, "a/b", QoS::kAtLeastOnce);
  Client pub = connect("pub", 0);
  const std::size_t batches = store_.submitted().size();
  auto* done = publish(pub.session(), message("a/b", QoS::kAtLeastOnce));
  EXPECT_EQ(store_.submitted().size(), batches);
  ASSERT_TRUE(done->has_value());
  EXPECT_FALSE(done->value());
  ASSERT_EQ(queue_of(sub).size(), 1u);
  EXPECT_EQ(queue_of(sub)[0].sequence, 0u);
}

TEST_F(BrokerTest, StoreFailureRefusesAndDeliversNothing) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "a/b", QoS::kExactlyOnce);
  Client pub = connect("pub", 0);
  auto* done = publish(pub.session(), message("a/b", QoS::kExactlyOnce));
  store_.fail_all();
  ASSERT_TRUE(done->has_value());
  EXPECT_TRUE(done->value());  // D8: the error reaches the publisher
  EXPECT_TRUE(queue_of(sub).empty());
}

// D8, issue 17 item 5: once the store has failed, no QoS 1/2 publish is
// acknowledged, not even one whose subscribers are all non-persistent (it has
// nothing to store, so nothing used to stop its PUBACK). QoS 0 still flows.
TEST_F(BrokerTest, FailedStoreRefusesQos1And2EvenWithNothingToStore) {
  Client sub = connect("sub", 0);
  subscribe(sub, "a/b", QoS::kExactlyOnce);
  Client pub = connect("pub", 0);
  store_.fail_all();
  auto* q1 = publish(pub.session(), message("a/b", QoS::kAtLeastOnce));
  auto* q2 = publish(pub.session(), message("a/b", QoS::kExactlyOnce));
  auto* q0 = publish(pub.session(), message("a/b", QoS::kAtMostOnce));
  ASSERT_TRUE(q1->has_value() && q2->has_value() && q0->has_value());
  EXPECT_EQ(q1->value(), storage::StoreErrc::kFailed);
  EXPECT_EQ(q2->value(), storage::StoreErrc::kFailed);
  EXPECT_FALSE(q0->value());
  EXPECT_EQ(queue_of(sub).size(), 1u);  // the QoS 0 one
}

TEST_F(BrokerTest, Qos2DedupRecordIsInTheMessageBatchForAPersistentPublisher) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "t", QoS::kExactlyOnce);
  Client pub = connect("pub", 3600);
  publish(pub.session(), message("t", QoS::kExactlyOnce), 42);
  const auto& ops = store_.submitted().back().operations;
  bool dedup = false;
  for (const auto& op : ops) {
    if (const auto* o = std::get_if<storage::PutIncomingQos2>(&op)) {
      dedup = o->client_id == "pub" && o->packet_id == 42;
    }
  }
  EXPECT_TRUE(dedup);
  store_.commit_all();
  EXPECT_EQ(queue_of(sub).size(), 1u);
}

TEST_F(BrokerTest, Qos2DedupEntryIsSettledWithTheSessionEvenIfTheConnectionIsGone) {
  // The machine registers the identifier as pending; if its connection closes
  // before the commit, the session must still learn the outcome, or the
  // client's re-sent PUBLISH after a reconnect would never get its PUBREC.
  Client pub = connect("pub", 3600);
  {
    std::lock_guard lock(pub.session()->mutex);
    pub.session()->state.incoming_qos2.emplace(42, false);
    pub.session()->state.incoming_qos2.emplace(43, false);
  }
  publish(pub.session(), message("t", QoS::kExactlyOnce), 42);
  store_.commit_all();
  publish(pub.session(), message("t", QoS::kExactlyOnce), 43);
  store_.fail_all();
  std::lock_guard lock(pub.session()->mutex);
  EXPECT_TRUE(pub.session()->state.incoming_qos2.at(42));
  EXPECT_EQ(pub.session()->state.incoming_qos2.count(43), 0u);  // refused: not a duplicate later
}

TEST_F(BrokerTest, QosIsTheLowerOfMessageAndSubscription) {
  Client sub = connect("sub", 0);
  subscribe(sub, "t", QoS::kAtLeastOnce);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("t", QoS::kExactlyOnce));
  publish(pub.session(), message("t", QoS::kAtMostOnce));
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0].qos, QoS::kAtLeastOnce);
  EXPECT_EQ(queue[1].qos, QoS::kAtMostOnce);
}

TEST_F(BrokerTest, OverlappingSubscriptionsDeliverOnceWithTheHighestQosAndEveryIdentifier) {
  Client sub = connect("sub", 0);
  subscribe(sub, "a/+", QoS::kAtMostOnce, 1);
  subscribe(sub, "a/#", QoS::kExactlyOnce, 2);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("a/b", QoS::kExactlyOnce));
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].qos, QoS::kExactlyOnce);
  auto ids = queue[0].subscription_ids;  // in no particular order
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{1, 2}));
}

TEST_F(BrokerTest, NoLocalSkipsThePublishersOwnSubscription) {
  Client c = connect("c", 0);
  subscribe(c, "t", QoS::kAtMostOnce, 0, /*no_local=*/true);
  publish(c.session(), message("t", QoS::kAtMostOnce, false, "p", c.session()->id()));
  EXPECT_TRUE(queue_of(c).empty());
  Client other = connect("o", 0);
  publish(other.session(), message("t", QoS::kAtMostOnce, false, "p", other.session()->id()));
  EXPECT_EQ(queue_of(c).size(), 1u);
}

TEST_F(BrokerTest, Qos0IsNotQueuedForADisconnectedSessionButQos1Is) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "t", QoS::kAtLeastOnce);
  disconnect(sub, 3600);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("t", QoS::kAtMostOnce));
  publish(pub.session(), message("t", QoS::kAtLeastOnce));
  store_.commit_all();
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].qos, QoS::kAtLeastOnce);
}

TEST_F(BrokerTest, RetainAsPublishedDecidesTheRetainFlagOfRoutedMessages) {
  Client plain = connect("plain", 0);
  subscribe(plain, "t", QoS::kAtMostOnce);
  Client rap = connect("rap", 0);
  session::ApplySubscribe request;
  session::SubscribeRequest r;
  r.filter = "t";
  r.options.retain_as_published = true;
  request.requests.push_back(r);
  broker_.subscribe(rap.session(), request, [](auto, std::error_code) {});
  Client pub = connect("pub", 0);
  publish(pub.session(), message("t", QoS::kAtMostOnce, /*retain=*/true));
  store_.commit_all();
  EXPECT_FALSE(queue_of(plain).at(0).retain);  // [MQTT-3.3.1-12]
  EXPECT_TRUE(queue_of(rap).at(0).retain);     // [MQTT-3.3.1-13]
}

TEST_F(BrokerTest, RetainedMessageIsSetAfterCommitAndClearedByAnEmptyPayload) {
  Client pub = connect("pub", 0);
  publish(pub.session(), message("r/1", QoS::kAtLeastOnce, true, "v1"));
  EXPECT_EQ(broker_.router().retained_count(), 0u);  // D2: not before the commit
  store_.commit_all();
  EXPECT_EQ(broker_.router().retained_count(), 1u);
  EXPECT_EQ(store_.committed_operations<storage::PutRetained>().size(), 1u);

  Client sub = connect("sub", 0);
  session::SendRetained send;
  send.subscription.filter = "r/+";
  send.subscription.options.max_qos = QoS::kAtMostOnce;
  send.subscription.subscription_id = 7;
  broker_.send_retained(sub.session(), send, kNow);
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_TRUE(queue[0].retain);  // [MQTT-3.3.1-9]
  EXPECT_EQ(queue[0].qos, QoS::kAtMostOnce);
  EXPECT_EQ(queue[0].subscription_ids, std::vector<std::uint32_t>{7});

  publish(pub.session(), message("r/1", QoS::kAtLeastOnce, true, ""));
  store_.commit_all();
  EXPECT_EQ(broker_.router().retained_count(), 0u);
  EXPECT_EQ(store_.committed_operations<storage::RemoveRetained>().size(), 1u);
}

// Issue 17, item 6: a QoS 0 retained update is seen at once, a QoS 1/2 one
// at its commit, and the index keeps whichever came last, as the store does:
// an older update committing later neither overwrites a newer one nor undoes
// a newer delete (memory and a restart used to disagree).
TEST_F(BrokerTest, RetainedIndexKeepsTheLastUpdateWhateverOrderTheyCommitIn) {
  const auto retained_payloads = [&] {
    std::vector<model::MessagePtr> found;
    broker_.router().retained_for("r", kNow, found);
    std::vector<std::string> payloads;
    for (const auto& m : found) payloads.push_back(m->payload);
    return payloads;
  };
  using Payloads = std::vector<std::string>;
  Client pub = connect("pub", 0);
  publish(pub.session(), message("r", QoS::kAtLeastOnce, true, "older"));
  publish(pub.session(), message("r", QoS::kAtMostOnce, true, "newer"));
  EXPECT_EQ(retained_payloads(), Payloads{"newer"});  // QoS 0: at once
  store_.commit_all();
  EXPECT_EQ(retained_payloads(), Payloads{"newer"});
  const auto stored = store_.committed_operations<storage::PutRetained>();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.back().message->payload, "newer");

  publish(pub.session(), message("r", QoS::kExactlyOnce, true, "latest"));
  EXPECT_EQ(retained_payloads(), Payloads{"newer"});  // D2: not before its commit
  store_.commit_all();
  EXPECT_EQ(retained_payloads(), Payloads{"latest"});

  // A delete is an update too: the older put committing after it is dropped.
  publish(pub.session(), message("r", QoS::kAtLeastOnce, true, "stale"));
  publish(pub.session(), message("r", QoS::kAtMostOnce, true, ""));
  EXPECT_TRUE(retained_payloads().empty());
  store_.commit_all();
  EXPECT_TRUE(retained_payloads().empty());
  EXPECT_EQ(store_.committed_operations<storage::RemoveRetained>().size(), 1u);
}

TEST_F(BrokerTest, RetainedUpdateWhoseCommitFailsLeavesTheIndexAsItWas) {
  Client pub = connect("pub", 0);
  publish(pub.session(), message("r", QoS::kAtLeastOnce, true, "kept"));
  store_.commit_all();
  publish(pub.session(), message("r", QoS::kAtLeastOnce, true, "failed"));
  store_.fail_all();
  std::vector<model::MessagePtr> found;
  broker_.router().retained_for("r", kNow, found);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->payload, "kept");
}

TEST_F(BrokerTest, SharedSubscriptionGivesEachMessageToOneMemberInTurn) {
  Client a = connect("a", 0);
  Client b = connect("b", 0);
  subscribe(a, "$share/g/t", QoS::kAtMostOnce);
  subscribe(b, "$share/g/t", QoS::kAtMostOnce);
  Client pub = connect("pub", 0);
  for (int i = 0; i < 4; ++i) publish(pub.session(), message("t", QoS::kAtMostOnce));
  EXPECT_EQ(queue_of(a).size(), 2u);
  EXPECT_EQ(queue_of(b).size(), 2u);
}

TEST_F(BrokerTest, SharedSubscriptionPrefersConnectedMembersAndKeepsOfflineOnes) {
  Client a = connect("a", 3600);
  Client b = connect("b", 3600);
  subscribe(a, "$share/g/t", QoS::kAtLeastOnce);
  subscribe(b, "$share/g/t", QoS::kAtLeastOnce);
  disconnect(a, 3600);
  Client pub = connect("pub", 0);
  for (int i = 0; i < 3; ++i) publish(pub.session(), message("t", QoS::kAtLeastOnce));
  store_.commit_all();
  EXPECT_EQ(queue_of(a).size(), 0u);
  EXPECT_EQ(queue_of(b).size(), 3u);
  disconnect(b, 3600);
  publish(pub.session(), message("t", QoS::kAtLeastOnce));
  store_.commit_all();
  EXPECT_EQ(queue_of(a).size() + queue_of(b).size(), 4u);  // queued for a persistent member
}

TEST_F(BrokerTest, PersistentSubscribeCommitsBeforeItsAnswer) {
  Client sub = connect("sub", 3600);
  const session::ApplySubscribe request = test::subscribe_request("x/+", QoS::kAtLeastOnce);
  std::optional<std::vector<session::SubscribeResult>> answer;
  broker_.subscribe(sub.session(), request,
                    [&](std::vector<session::SubscribeResult> results, std::error_code ec) {
                      EXPECT_FALSE(ec);
                      answer = std::move(results);
                    });
  EXPECT_FALSE(answer.has_value());  // D1: the SUBACK waits
  store_.commit_all();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->at(0).reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_FALSE(answer->at(0).existed);
  EXPECT_EQ(store_.committed_operations<storage::PutSubscription>().back().filter, "x/+");

  broker_.subscribe(sub.session(), request,
                    [&](auto results, std::error_code) { answer = std::move(results); });
  store_.commit_all();
  EXPECT_TRUE(answer->at(0).existed);
}

TEST_F(BrokerTest, SubscriptionQuotaCountsFiltersHeldNotRequestsMade) {
  // limits.max_subscriptions_per_client = 2: replacing a held filter always
  // passes; a third filter gets 0x97 Quota exceeded and is not subscribed.
  Client sub = connect("sub", 0);
  session::ApplySubscribe request;
  request.max_subscriptions = 2;
  for (const char* filter : {"a", "b", "a", "c", "b"}) {
    session::SubscribeRequest r;
    r.filter = filter;
    r.options.max_qos = QoS::kAtLeastOnce;
    request.requests.push_back(r);
  }
  std::vector<session::SubscribeResult> answer;
  broker_.subscribe(sub.session(), request,
                    [&](std::vector<session::SubscribeResult> results, std::error_code) {
                      answer = std::move(results);
                    });
  store_.commit_all();
  ASSERT_EQ(answer.size(), 5u);
  EXPECT_EQ(answer[0].reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_EQ(answer[1].reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_EQ(answer[2].reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_TRUE(answer[2].existed);
  EXPECT_EQ(answer[3].reason, mqtt::ReasonCode::kQuotaExceeded);
  EXPECT_EQ(answer[4].reason, mqtt::ReasonCode::kGrantedQoS1);
  EXPECT_EQ(broker_.router().subscription_count(), 2u);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("c", QoS::kAtLeastOnce));
  store_.commit_all();
  EXPECT_TRUE(queue_of(sub).empty());
}

TEST_F(BrokerTest, ReconnectResumesTheSessionAndTakesOverTheConnection) {
  Client first = connect("c", 3600);
  subscribe(first, "t", QoS::kAtLeastOnce);
  Client second = connect("c", 3600, /*clean_start=*/false);
  EXPECT_TRUE(second.attachment.session_present);
  EXPECT_EQ(second.session(), first.session());
  EXPECT_EQ(first.owner->kicks, std::vector<mqtt::ReasonCode>{mqtt::ReasonCode::kSessionTakenOver});
  // The old connection's late detach does not end the new one's session.
  disconnect(first, 0);
  EXPECT_EQ(broker_.session_count(), 1u);
  Client pub = connect("pub", 0);
  publish(pub.session(), message("t", QoS::kAtLeastOnce));
  store_.commit_all();
  EXPECT_EQ(queue_of(second).size(), 1u);
}

TEST_F(BrokerTest, CleanStartDiscardsTheOldSession) {
  Client first = connect("c", 3600);
  subscribe(first, "t", QoS::kAtLeastOnce);
  disconnect(first, 3600);
  Client second = connect("c", 0, /*clean_start=*/true);
  EXPECT_FALSE(second.attachment.session_present);
  EXPECT_NE(second.session(), first.session());
  EXPECT_EQ(broker_.router().subscription_count(), 0u);
  EXPECT_EQ(store_.committed_operations<storage::RemoveSession>().size(), 1u);
}

TEST_F(BrokerTest, SessionEndsAtDisconnectWithExpiryZeroAndAfterItsExpiryOtherwise) {
  Client gone = connect("gone", 0);
  subscribe(gone, "t", QoS::kAtMostOnce);
  disconnect(gone, 0);
  EXPECT_EQ(broker_.router().subscription_count(), 0u);

  Client kept = connect("kept", 60);
  subscribe(kept, "t", QoS::kAtMostOnce);
  disconnect(kept, 60);
  broker_.tick(kNow + seconds(59));
  EXPECT_EQ(broker_.router().subscription_count(), 1u);
  broker_.tick(kNow + seconds(60));
  EXPECT_EQ(broker_.router().subscription_count(), 0u);
  EXPECT_EQ(broker_.session_count(), 0u);
  EXPECT_EQ(broker_.counters().sessions_expired.load(), 1u);
}

TEST_F(BrokerTest, DelayedWillIsPublishedAfterItsDelayUnlessTheClientReturns) {
  Client sub = connect("sub", 0);
  subscribe(sub, "will/#", QoS::kAtMostOnce);
  Client c = connect("c", 3600);
  session::ScheduleWill will;
  will.message = message("will/c", QoS::kAtMostOnce);
  will.delay_seconds = 30;
  broker_.schedule_will(c.session(), c.attachment.generation, will, kNow);
  disconnect(c, 3600);
  broker_.tick(kNow + seconds(29));
  EXPECT_TRUE(queue_of(sub).empty());
  broker_.tick(kNow + seconds(30));
  EXPECT_EQ(queue_of(sub).size(), 1u);

  // Scheduled again, then the client comes back within the delay: no will.
  Client again = connect("c", 3600, false);
  broker_.schedule_will(again.session(), again.attachment.generation, will, kNow);
  disconnect(again, 3600);
  connect("c", 3600, false);
  broker_.tick(kNow + seconds(60));
  EXPECT_EQ(queue_of(sub).size(), 1u);
}

TEST_F(BrokerTest, WillWithoutDelayIsPublishedAtOnceAndItsExpiryStartsThen) {
  Client sub = connect("sub", 0);
  subscribe(sub, "w", QoS::kAtMostOnce);
  Client c = connect("c", 0);
  session::ScheduleWill will;
  will.message = message("w", QoS::kAtMostOnce);
  will.message_expiry_interval = 10;
  broker_.schedule_will(c.session(), c.attachment.generation, will, kNow);
  auto queue = queue_of(sub);
  ASSERT_EQ(queue.size(), 1u);
  ASSERT_TRUE(queue[0].message->expires_at.has_value());
  EXPECT_EQ(*queue[0].message->expires_at, kNow + seconds(10));
}

TEST_F(BrokerTest, SystemMessagesAreDeliveredAndRetainedButNeverStored) {
  Client sub = connect("sub", 3600);
  subscribe(sub, "$SYS/broker/#", QoS::kAtLeastOnce);
  Client everything = connect("all", 0);
  subscribe(everything, "#", QoS::kAtMostOnce);
  const std::size_t batches = store_.submitted().size();
  broker_.publish_system("$SYS/broker/uptime", "5 seconds");
  EXPECT_EQ(store_.submitted().size(), batches);
  ASSERT_EQ(queue_of(sub).size(), 1u);
  EXPECT_EQ(queue_of(sub)[0].message->payload, "5 seconds");
  EXPECT_TRUE(queue_of(everything).empty());  // '#' does not match $ topics [MQTT-4.7.2-1]
  EXPECT_EQ(broker_.router().retained_count(), 1u);
}

}  // namespace
}  // namespace cairn::broker
