// InMemoryStore: the DurableStore contract (asynchronous, ordered completions;
// refusal after close) and what a batch leaves committed.
#include "storage/in_memory_store.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

PutSession session_record(std::string client_id, std::uint32_t expiry_interval) {
  PutSession s;
  s.client_id = std::move(client_id);
  s.expiry_interval = expiry_interval;
  return s;
}

model::MessagePtr message(std::string topic, std::string payload) {
  auto m = std::make_shared<model::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = model::QoS::kAtLeastOnce;
  return m;
}

PutDelivery delivery(std::string client, std::uint64_t sequence, MessageId id) {
  PutDelivery d;
  d.client_id = std::move(client);
  d.sequence = sequence;
  d.message_id = id;
  d.qos = model::QoS::kAtLeastOnce;
  return d;
}

// Submits and waits for the completion; returns its error code.
std::error_code commit(InMemoryStore& store, Batch batch) {
  std::promise<std::error_code> done;
  store.submit(std::move(batch), [&](std::error_code ec) { done.set_value(ec); });
  return done.get_future().get();
}

TEST(InMemoryStore, CompletesOnItsOwnThreadInSubmissionOrder) {
  InMemoryStore store;
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::promise<void> all;
  constexpr int kBatches = 200;
  for (int i = 0; i < kBatches; ++i) {
    Batch batch;
    batch.operations.push_back(session_record("c" + std::to_string(i), 10));
    store.submit(std::move(batch), [&, i](std::error_code ec) {
      EXPECT_FALSE(ec);
      std::lock_guard lock(mutex);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
      if (i == kBatches - 1) all.set_value();
    });
  }
  all.get_future().wait();
  std::lock_guard lock(mutex);
  ASSERT_EQ(order.size(), std::size_t{kBatches});
  for (int i = 0; i < kBatches; ++i) EXPECT_EQ(order[i], i);
  for (auto id : threads) EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(store.snapshot().sessions.size(), std::size_t{kBatches});
}

TEST(InMemoryStore, MessageLivesUntilItsLastDeliveryIsRemoved) {
  InMemoryStore store;
  Batch put;
  put.operations.push_back(PutMessage{7, message("a/b", "x")});
  put.operations.push_back(delivery("s1", 1, 7));
  put.operations.push_back(delivery("s2", 1, 7));
  ASSERT_FALSE(commit(store, std::move(put)));
  EXPECT_EQ(store.snapshot().messages.count(7), 1u);

  Batch ack1;
  ack1.operations.push_back(RemoveDelivery{"s1", 1});
  ASSERT_FALSE(commit(store, std::move(ack1)));
  EXPECT_EQ(store.snapshot().messages.count(7), 1u);

  Batch ack2;
  ack2.operations.push_back(RemoveDelivery{"s2", 1});
  ASSERT_FALSE(commit(store, std::move(ack2)));
  EXPECT_EQ(store.snapshot().messages.count(7), 0u);
}

TEST(InMemoryStore, MessageWithoutDeliveriesIsNotKept) {
  InMemoryStore store;
  Batch put;
  put.operations.push_back(PutMessage{1, message("a", "x")});
  ASSERT_FALSE(commit(store, std::move(put)));
  EXPECT_TRUE(store.snapshot().messages.empty());
}

TEST(InMemoryStore, RemoveSessionDropsEverythingOfIt) {
  InMemoryStore store;
  Batch put;
  put.operations.push_back(session_record("s1", 60));
  put.operations.push_back(PutSubscription{"s1", "a/#", {}, 3});
  put.operations.push_back(PutIncomingQos2{"s1", 9});
  put.operations.push_back(PutMessage{1, message("a/b", "x")});
  put.operations.push_back(delivery("s1", 1, 1));
  ASSERT_FALSE(commit(store, std::move(put)));
  auto before = store.snapshot();
  EXPECT_EQ(before.subscriptions["s1"].count("a/#"), 1u);
  EXPECT_EQ(before.incoming_qos2["s1"].count(9), 1u);

  Batch remove;
  remove.operations.push_back(RemoveSession{"s1"});
  ASSERT_FALSE(commit(store, std::move(remove)));
  auto after = store.snapshot();
  EXPECT_TRUE(after.sessions.empty());
  EXPECT_TRUE(after.subscriptions.empty());
  EXPECT_TRUE(after.incoming_qos2.empty());
  EXPECT_TRUE(after.deliveries.empty());
  EXPECT_TRUE(after.messages.empty());
}

TEST(InMemoryStore, RetainedAndReleasedStates) {
  InMemoryStore store;
  Batch put;
  put.operations.push_back(PutRetained{message("r/1", "v1")});
  put.operations.push_back(PutMessage{5, message("q", "x")});
  put.operations.push_back(delivery("s", 4, 5));
  put.operations.push_back(MarkDeliveryReleased{"s", 4, 17});
  ASSERT_FALSE(commit(store, std::move(put)));
  auto c = store.snapshot();
  EXPECT_EQ(c.retained.at("r/1")->payload, "v1");
  EXPECT_TRUE(c.deliveries["s"].at(4).released);

  Batch clear;
  clear.operations.push_back(RemoveRetained{"r/1"});
  ASSERT_FALSE(commit(store, std::move(clear)));
  EXPECT_TRUE(store.snapshot().retained.empty());
}

TEST(InMemoryStore, RefusesAfterClose) {
  InMemoryStore store;
  store.close();
  EXPECT_EQ(commit(store, Batch{}), make_error_code(StoreErrc::kClosed));
}

TEST(InMemoryStore, CloseCompletesWhatWasSubmitted) {
  std::atomic<int> completed{0};
  {
    InMemoryStore store;
    for (int i = 0; i < 100; ++i) {
      store.submit(Batch{}, [&](std::error_code ec) {
        EXPECT_FALSE(ec);
        ++completed;
      });
    }
    store.close();
  }
  EXPECT_EQ(completed.load(), 100);
}

}  // namespace
}  // namespace cairn::storage
