// No write after a session's end (issue 17, item 3): a fan-out reads each
// target session under its lock but submits its batch after the loop, so a
// Clean Start that ends one of those sessions in between has its removal
// reach the store first. Whatever the interleaving, nothing of the ended
// session may be committed after its removal: a stale message would reach
// the session that asked for a clean start (after a restart), and the new
// session's records would collide with the old ones.
//
// Real threads on the InMemoryStore (the GroupCommitter's thread): a large
// fan-out races Clean Start reconnects of its subscribers.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "storage/in_memory_store.h"

namespace cairn::broker {
namespace {

using model::QoS;

const model::WallTime kNow = model::WallTime{} + std::chrono::hours(1000);

class IdleOwner : public SessionOwner {
 public:
  void deliveries_ready() override {}
  void kick(mqtt::ReasonCode) override {}
};

std::shared_ptr<Session> persistent_session(Broker& broker, const std::string& client,
                                            const std::shared_ptr<IdleOwner>& owner,
                                            bool subscribed) {
  auto attached = broker.attach({client, true, 3600}, owner, kNow);
  {
    std::lock_guard lock(attached.session->mutex);
    attached.session->state.expiry_interval = 3600;
  }
  broker.store_session(attached.session, {0, 3600, std::nullopt}, [](std::error_code) {});
  if (subscribed) {
    session::ApplySubscribe request;
    session::SubscribeRequest r;
    r.filter = "t";
    r.options.max_qos = QoS::kAtLeastOnce;
    request.requests.push_back(r);
    broker.subscribe(attached.session, request, [](auto, std::error_code) {});
  }
  return attached.session;
}

TEST(BrokerSessionEndRace, NothingOfASessionIsCommittedAfterACleanStartEndedIt) {
  constexpr int kSubscribers = 400;
  constexpr int kMessages = 300;
  storage::InMemoryStore store;
  BrokerSettings settings;
  settings.memory_window = 1'000'000;
  Broker broker(store, settings);
  auto owner = std::make_shared<IdleOwner>();
  std::vector<std::string> clients;
  for (int i = 0; i < kSubscribers; ++i) {
    clients.push_back("s" + std::to_string(i));
    persistent_session(broker, clients.back(), owner, /*subscribed=*/true);
  }
  auto publisher = broker.attach({"pub", true, 0}, owner, kNow).session;

  std::atomic<int> routed{0};
  std::atomic<bool> cleaned{false};
  // The fan-out goes on until every clean start is done, however slow the
  // build (the sanitizers) makes either side.
  std::thread publishing([&] {
    for (int i = 0; i < kMessages || !cleaned.load(); ++i) {
      session::RoutePublish r;
      auto m = std::make_shared<model::Message>();
      m->topic = "t";
      m->payload = "m" + std::to_string(i);
      m->qos = QoS::kAtLeastOnce;
      r.message = std::move(m);
      broker.route(publisher, r, [](std::error_code) {});
      routed.fetch_add(1);
    }
  });
  // Clean Start for every subscriber while the fan-out runs: the new
  // sessions are persistent and subscribe to nothing, so none of them may
  // ever hold a delivery.
  while (routed.load() < 5) std::this_thread::yield();
  const int routed_before = routed.load();
  for (std::size_t i = 0; i < clients.size(); ++i) {
    persistent_session(broker, clients[i], owner, /*subscribed=*/false);
    if (i % 40 == 39) {  // interleaved by construction: a route between every 40
      const int seen = routed.load();
      while (routed.load() == seen) std::this_thread::yield();
    }
  }
  cleaned = true;
  const int routed_during = routed.load() - routed_before;
  publishing.join();
  store.close();

  EXPECT_GE(routed_during, kSubscribers / 40) << "the clean starts did not overlap the fan-out";
  const storage::StoredState state = store.stored_state();
  std::size_t stale = 0;
  for (const std::string& client : clients) {
    EXPECT_TRUE(state.sessions.contains(client)) << client;
    EXPECT_FALSE(state.subscriptions.contains(client)) << client;
    if (auto q = state.queues.find(client); q != state.queues.end()) stale += q->second.size();
  }
  EXPECT_EQ(stale, 0u) << "deliveries of ended sessions committed after their removal";
  for (const std::string& client : clients) {
    const std::shared_ptr<Session> s = broker.attach({client, false, 3600}, owner, kNow).session;
    std::lock_guard lock(s->mutex);
    EXPECT_TRUE(s->state.queue.empty()) << client;
    EXPECT_EQ(s->paged.count, 0u) << client;
  }
}

}  // namespace
}  // namespace cairn::broker
