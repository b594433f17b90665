// Broker: limits.max_queued_messages and limits.queue_full_policy. A full
// session's QoS 1/2 delivery is refused ("refuse") or dropped ("drop")
// before anything is stored for it; QoS 0 to a full queue is dropped.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/broker_fixture.h"

namespace cairn::broker {
namespace {

using model::QoS;

using test::FakeOwner;
using test::kNow;
using test::message;
using test::subscribe_request;

BrokerSettings limited(std::size_t max_queued, QueueFullPolicy policy) {
  BrokerSettings s;
  s.max_queued = max_queued;
  s.queue_full_policy = policy;
  return s;
}

TEST(BrokerQueueLimit, FullQueueDropsAndCounts) {
  test::ManualStore store;
  Broker small(store, limited(2, QueueFullPolicy::kRefuse));
  auto owner = std::make_shared<FakeOwner>();
  auto sub = small.attach({"s", true, 0}, owner, kNow);
  small.subscribe(sub.session, subscribe_request("t", QoS::kAtMostOnce),
                  [](auto, std::error_code) {});
  for (int i = 0; i < 3; ++i) {
    session::RoutePublish r;
    r.message = message("t", QoS::kAtMostOnce);
    small.route(sub.session, r, [](std::error_code) {});
  }
  EXPECT_EQ(small.counters().deliveries_dropped_queue_full.load(), 1u);
}

TEST(BrokerQueueLimit, QueueLimitCountsOnlyWhatWaitsBeyondTheFreeWindow) {
  // An online client whose window has room is not "queued" for the messages
  // that room takes, even when they arrive before its connection pumps.
  test::ManualStore store;
  Broker small(store, limited(2, QueueFullPolicy::kDrop));
  auto owner = std::make_shared<FakeOwner>();
  auto sub = small.attach({"s", true, 0}, owner, kNow);
  {
    std::lock_guard lock(sub.session->mutex);
    sub.session->state.send_window = 5;
    sub.session->state.inflight.push_back({});  // one slot of the five in use
  }
  small.subscribe(sub.session, subscribe_request("t", QoS::kAtLeastOnce),
                  [](auto, std::error_code) {});
  for (int i = 0; i < 7; ++i) {
    session::RoutePublish p;
    p.message = message("t", QoS::kAtLeastOnce);
    small.route(sub.session, p, [](std::error_code) {});
  }
  // Room for 4 in the window and 2 queued beyond it: 6 kept, 1 dropped.
  std::lock_guard lock(sub.session->mutex);
  EXPECT_EQ(sub.session->state.queue.size(), 6u);
  EXPECT_EQ(small.counters().deliveries_dropped_queue_full.load(), 1u);
}

// limits.queue_full_policy = "refuse" (the default): a QoS 1/2 publish to a
// full session is refused before anything is stored, so nothing acknowledged
// is ever dropped; QoS 0 to a full queue is dropped and counted.
TEST(BrokerQueueLimit, FullQueueRefusesQos1And2PublishesUnderTheRefusePolicy) {
  test::ManualStore store;
  Broker small(store, limited(2, QueueFullPolicy::kRefuse));
  auto owner = std::make_shared<FakeOwner>();
  auto sub = small.attach({"s", true, 3600}, owner, kNow);
  {
    std::lock_guard lock(sub.session->mutex);
    sub.session->state.expiry_interval = 3600;
  }
  small.store_session(sub.session, {0, 3600, std::nullopt}, [](std::error_code) {});
  small.subscribe(sub.session, subscribe_request("t", QoS::kExactlyOnce),
                  [](auto, std::error_code) {});
  store.commit_all();
  std::vector<std::error_code> results;
  for (int i = 0; i < 3; ++i) {
    session::RoutePublish p;
    p.message = message("t", i == 2 ? QoS::kExactlyOnce : QoS::kAtLeastOnce);
    small.route(sub.session, p, [&results](std::error_code ec) { results.push_back(ec); });
    store.commit_all();
  }
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0]);
  EXPECT_FALSE(results[1]);
  EXPECT_EQ(results[2], BrokerErrc::kQueueFull);
  EXPECT_EQ(small.counters().publishes_refused_queue_full.load(), 1u);
  EXPECT_EQ(small.counters().deliveries_dropped_queue_full.load(), 0u);
  EXPECT_EQ(store.committed_operations<storage::PutDelivery>().size(), 2u);  // not the third
  session::RoutePublish qos0;
  qos0.message = message("t", QoS::kAtMostOnce);
  small.route(sub.session, qos0, [](std::error_code) {});
  EXPECT_EQ(small.counters().deliveries_dropped_queue_full.load(), 1u);
  std::lock_guard lock(sub.session->mutex);
  EXPECT_EQ(sub.session->state.queue.size(), 2u);
}

// "drop": the full session's delivery is dropped before anything is stored
// for it. Stored and then dropped, a restart would bring it back (and its
// record would stay on disk as long as the session).
TEST(BrokerQueueLimit, DropPolicyStoresNothingForTheFullSession) {
  test::ManualStore store;
  Broker small(store, limited(2, QueueFullPolicy::kDrop));
  auto owner = std::make_shared<FakeOwner>();
  auto sub = small.attach({"s", true, 3600}, owner, kNow);
  {
    std::lock_guard lock(sub.session->mutex);
    sub.session->state.expiry_interval = 3600;
  }
  small.store_session(sub.session, {0, 3600, std::nullopt}, [](std::error_code) {});
  small.subscribe(sub.session, subscribe_request("t", QoS::kAtLeastOnce),
                  [](auto, std::error_code) {});
  store.commit_all();
  std::vector<std::error_code> results;
  for (int i = 0; i < 3; ++i) {
    session::RoutePublish p;
    p.message = message("t", QoS::kAtLeastOnce);
    small.route(sub.session, p, [&results](std::error_code ec) { results.push_back(ec); });
    store.commit_all();
  }
  ASSERT_EQ(results.size(), 3u);
  for (const std::error_code& ec : results) EXPECT_FALSE(ec);  // all acknowledged
  EXPECT_EQ(small.counters().deliveries_dropped_queue_full.load(), 1u);
  EXPECT_EQ(store.committed_operations<storage::PutDelivery>().size(), 2u);
  std::lock_guard lock(sub.session->mutex);
  EXPECT_EQ(sub.session->state.queue.size(), 2u);
}

// Issue 17, item 4: what cannot wait on disk (QoS 0, and every delivery of
// a non-persistent session) is bounded in memory by the memory window's
// bytes (limits.memory_window_mb): a client that stops reading costs that,
// not its whole backlog. Past it QoS 0 is dropped and QoS 1/2 meets the
// queue full policy.
TEST(BrokerQueueLimit, WhatCannotWaitOnDiskIsBoundedByTheMemoryWindow) {
  test::ManualStore store;
  BrokerSettings settings = limited(1'000'000, QueueFullPolicy::kRefuse);
  settings.memory_window_bytes = 1 << 20;
  Broker broker(store, settings);
  auto owner = std::make_shared<FakeOwner>();  // never pumps: a client that stopped reading
  auto sub = broker.attach({"s", true, 0}, owner, kNow);
  broker.subscribe(sub.session, subscribe_request("t", QoS::kAtLeastOnce),
                   [](auto, std::error_code) {});
  auto big = [](QoS qos) {
    auto m = std::make_shared<model::Message>();
    m->topic = "t";
    m->payload = std::string(100'000, 'x');
    m->qos = qos;
    return m;
  };
  for (int i = 0; i < 50; ++i) {  // 5 MB of QoS 0
    session::RoutePublish p;
    p.message = big(QoS::kAtMostOnce);
    broker.route(sub.session, p, [](std::error_code) {});
  }
  {
    std::lock_guard lock(sub.session->mutex);
    EXPECT_LT(sub.session->state.queue.bytes(), (1u << 20) + 100'001u);
  }
  EXPECT_GE(broker.counters().deliveries_dropped_queue_full.load(), 38u);
  // A QoS 1 publish to the full non-persistent session is refused.
  std::optional<std::error_code> result;
  session::RoutePublish p;
  p.message = big(QoS::kAtLeastOnce);
  broker.route(sub.session, p, [&result](std::error_code ec) { result = ec; });
  store.commit_all();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, BrokerErrc::kQueueFull);
}

// Issue 17, item 4: a SUBSCRIBE whose filter matches many retained messages
// ('#') meets the same limits as routed traffic: the session's queue limit
// (stored deliveries), the memory window (unstored ones), and the store gets
// the fan-out in batches of bounded size. It used to queue every match in
// one batch, whatever the limits.
class RetainedFanOut : public ::testing::Test {
 protected:
  void retain(Broker& broker, int count, std::size_t payload_bytes, QoS qos) {
    auto pub = broker.attach({"pub", true, 0}, std::make_shared<FakeOwner>(), kNow);
    for (int i = 0; i < count; ++i) {
      session::RoutePublish p;
      p.message = message("r/" + std::to_string(i), qos, true, std::string(payload_bytes, 'x'));
      broker.route(pub.session, p, [](std::error_code) {});
    }
    store.commit_all();
  }
  Broker::Attachment persistent(Broker& broker) {
    auto a = broker.attach({"s", true, 3600}, std::make_shared<FakeOwner>(), kNow);
    {
      std::lock_guard lock(a.session->mutex);
      a.session->state.expiry_interval = 3600;  // as its CONNECT asked
    }
    broker.store_session(a.session, {0, 3600, std::nullopt}, [](std::error_code) {});
    store.commit_all();
    return a;
  }
  // The deliveries a session holds, in memory and on disk.
  static std::size_t held(const Broker::Attachment& a) {
    std::lock_guard lock(a.session->mutex);
    return a.session->state.queue.size() + a.session->paged.count;
  }
  static session::SendRetained everything(QoS qos) {
    session::SendRetained send;
    send.subscription.filter = "r/#";
    send.subscription.options.max_qos = qos;
    return send;
  }

  test::ManualStore store;
};

TEST_F(RetainedFanOut, MeetsThePersistentSessionsQueueLimit) {
  Broker broker(store, limited(5, QueueFullPolicy::kRefuse));
  retain(broker, 20, 10, QoS::kAtLeastOnce);
  auto sub = persistent(broker);
  broker.send_retained(sub.session, everything(QoS::kAtLeastOnce), kNow);
  store.commit_all();
  EXPECT_EQ(held(sub), 5u);
  EXPECT_EQ(broker.counters().deliveries_dropped_queue_full.load(), 15u);
}

TEST_F(RetainedFanOut, MeetsTheMemoryWindowOfWhatIsNotStored) {
  BrokerSettings settings = limited(1'000'000, QueueFullPolicy::kRefuse);
  settings.memory_window_bytes = 1 << 20;
  Broker broker(store, settings);
  retain(broker, 50, 100'000, QoS::kAtMostOnce);  // 5 MB
  auto sub = broker.attach({"s", true, 0}, std::make_shared<FakeOwner>(), kNow);
  broker.send_retained(sub.session, everything(QoS::kAtLeastOnce), kNow);
  std::lock_guard lock(sub.session->mutex);
  EXPECT_LT(sub.session->state.queue.bytes(), (1u << 20) + 100'001u);
}

TEST_F(RetainedFanOut, GoesToTheStoreInBatchesOfBoundedSize) {
  Broker broker(store, BrokerSettings{});
  retain(broker, 3000, 1024, QoS::kAtLeastOnce);  // 3 MB
  auto sub = persistent(broker);
  const std::size_t before = store.submitted().size();
  broker.send_retained(sub.session, everything(QoS::kAtLeastOnce), kNow);
  store.commit_all();
  std::size_t batches = 0;
  for (std::size_t i = before; i < store.submitted().size(); ++i) {
    std::uint64_t bytes = 0;
    for (const storage::Operation& op : store.submitted()[i].operations) {
      if (const auto* m = std::get_if<storage::PutMessage>(&op))
        bytes += model::footprint(*m->message);
    }
    EXPECT_LE(bytes, (1u << 20) + 2048u) << "batch " << i;
    ++batches;
  }
  EXPECT_GE(batches, 3u);
  EXPECT_EQ(held(sub), 3000u);  // all of it, in memory or paged to disk
}

}  // namespace
}  // namespace cairn::broker
