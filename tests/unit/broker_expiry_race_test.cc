// A session resumed while it expires (issue 17; found in review): tick()
// decided a disconnected session had expired under its lock, and ended it
// later, after publishing its will; a client resuming in between got
// "session present" and then had the session ended under it: its queue and
// subscriptions gone, its record removed from the store, its later writes
// dropped. The same held for a session disconnecting with expiry 0 while a
// new connection resumed it. A session is either resumed or ended, never
// resumed and then ended.
//
// Real threads: housekeeping (or the disconnect) races resuming clients.
#include <atomic>
#include <functional>
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
using std::chrono::seconds;

const model::WallTime kNow = model::WallTime{} + std::chrono::hours(1000);

class IdleOwner : public SessionOwner {
 public:
  void deliveries_ready() override {}
  void kick(mqtt::ReasonCode) override {}
};

struct Resumed {
  std::shared_ptr<Session> session;
  bool present = false;
};

// Every session resumed with "session present" is alive: not ended, its
// writes still taken by the store, and the one its client finds on coming
// back once more.
void expect_resumed_alive(Broker& broker, const std::vector<Resumed>& resumed, int round,
                          model::WallTime now) {
  auto owner = std::make_shared<IdleOwner>();
  for (const Resumed& r : resumed) {
    if (!r.present) continue;
    std::string client;
    {
      std::lock_guard lock(r.session->mutex);
      client = r.session->state.client_id;
      ASSERT_FALSE(r.session->ended) << client << " in round " << round;
      ASSERT_FALSE(r.session->ended_flag->load()) << client << " in round " << round;
    }
    auto again = broker.attach({client, false, 10}, owner, now);
    ASSERT_TRUE(again.session_present) << client << " in round " << round;
    ASSERT_EQ(again.session, r.session) << client << " in round " << round;
  }
}

session::ScheduleWill delayed_will(const std::string& client) {
  session::ScheduleWill will;
  auto m = std::make_shared<model::Message>();
  m->topic = "will/" + client;
  m->payload = "gone";
  m->qos = QoS::kAtLeastOnce;
  will.message = m;
  will.delay_seconds = 3600;
  return will;
}

// Each client resumes its session (the last first) while `race` runs on a
// thread of its own, started at the same moment.
std::vector<Resumed> resume_all_during(Broker& broker, const std::vector<std::string>& clients,
                                       model::WallTime now, const std::function<void()>& race) {
  auto owner = std::make_shared<IdleOwner>();
  std::vector<Resumed> resumed(clients.size());
  std::atomic<bool> go{false};
  std::thread racing([&] {
    while (!go.load()) {
    }
    race();
  });
  go.store(true);
  for (std::size_t i = clients.size(); i-- > 0;) {
    auto a = broker.attach({clients[i], false, 10}, owner, now);
    resumed[i] = {a.session, a.session_present};
  }
  racing.join();
  return resumed;
}

TEST(BrokerExpiryRace, ASessionResumedWhileItExpiresIsNotEndedUnderItsClient) {
  constexpr int kSessions = 300;
  for (int round = 0; round < 10; ++round) {
    storage::InMemoryStore store;
    Broker broker(store, BrokerSettings{});
    auto owner = std::make_shared<IdleOwner>();
    std::vector<std::string> clients;
    for (int i = 0; i < kSessions; ++i) {
      clients.push_back("c" + std::to_string(i));
      auto a = broker.attach({clients.back(), true, 10}, owner, kNow);
      broker.store_session(a.session, {0, 10, std::nullopt}, [](std::error_code) {});
      // A will waiting for its delay: the session's end publishes it first.
      broker.schedule_will(a.session, a.generation, delayed_will(clients.back()), kNow);
      broker.detach(a.session, a.generation, {10}, kNow);
    }
    const auto resumed = resume_all_during(broker, clients, kNow + seconds(20), [&] {
      broker.tick(kNow + seconds(20));  // past every session's expiry
    });
    expect_resumed_alive(broker, resumed, round, kNow + seconds(20));
    store.close();
  }
}

TEST(BrokerExpiryRace, ASessionResumedWhileItsLastConnectionEndsItIsNotEndedUnderItsClient) {
  constexpr int kSessions = 300;
  for (int round = 0; round < 10; ++round) {
    storage::InMemoryStore store;
    Broker broker(store, BrokerSettings{});
    auto owner = std::make_shared<IdleOwner>();
    std::vector<std::string> clients;
    std::vector<Broker::Attachment> first;
    for (int i = 0; i < kSessions; ++i) {
      clients.push_back("c" + std::to_string(i));
      first.push_back(broker.attach({clients.back(), true, 10}, owner, kNow));
      broker.store_session(first.back().session, {0, 10, std::nullopt}, [](std::error_code) {});
      broker.schedule_will(first.back().session, first.back().generation,
                           delayed_will(clients.back()), kNow);
    }
    const auto resumed = resume_all_during(broker, clients, kNow, [&] {
      // Each first connection closes, setting the expiry to 0: its end.
      for (const auto& a : first) broker.detach(a.session, a.generation, {0}, kNow);
    });
    expect_resumed_alive(broker, resumed, round, kNow);
    store.close();
  }
}

}  // namespace
}  // namespace cairn::broker
