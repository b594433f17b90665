// BrokerFixture: a Broker on a ManualStore, with the steps broker tests
// take as a client would (connect, subscribe, publish, disconnect), each
// committed at once unless the test holds the store back.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/manual_store.h"

namespace cairn::test {

using model::QoS;

inline const model::WallTime kNow = model::WallTime{} + std::chrono::hours(1000);

class FakeOwner : public broker::SessionOwner {
 public:
  void deliveries_ready() override { ++ready; }
  void kick(mqtt::ReasonCode reason) override { kicks.push_back(reason); }
  int ready = 0;
  std::vector<mqtt::ReasonCode> kicks;
};

inline model::MessagePtr message(std::string topic, QoS qos, bool retain = false,
                                 std::string payload = "p", model::SessionId origin = 0) {
  auto m = std::make_shared<model::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->retain = retain;
  m->origin = origin;
  return m;
}

// A SUBSCRIBE of one filter at `qos`, as a session machine hands it over.
inline session::ApplySubscribe subscribe_request(std::string filter, QoS qos,
                                                 std::uint32_t subscription_id = 0) {
  session::ApplySubscribe request;
  session::SubscribeRequest r;
  r.filter = std::move(filter);
  r.options.max_qos = qos;
  r.subscription_id = subscription_id;
  request.requests.push_back(std::move(r));
  return request;
}

class BrokerFixture : public ::testing::Test {
 protected:
  struct Client {
    std::shared_ptr<FakeOwner> owner = std::make_shared<FakeOwner>();
    broker::Broker::Attachment attachment;
    std::shared_ptr<broker::Session> session() const { return attachment.session; }
  };

  Client connect(const std::string& id, std::uint32_t expiry, bool clean_start = true) {
    Client c;
    c.attachment = broker_.attach(session::AttachSession{id, clean_start, expiry}, c.owner, kNow);
    {
      std::lock_guard lock(c.session()->mutex);
      c.session()->state.expiry_interval = expiry;
    }
    if (expiry > 0)
      broker_.store_session(c.session(), {0, expiry, std::nullopt}, [](std::error_code) {});
    store_.commit_all();
    return c;
  }

  void subscribe(const Client& c, std::string filter, QoS qos, std::uint32_t id = 0,
                 bool no_local = false) {
    session::ApplySubscribe request = subscribe_request(std::move(filter), qos, id);
    request.requests[0].options.no_local = no_local;
    broker_.subscribe(c.session(), request, [](auto, std::error_code) {});
    store_.commit_all();
  }

  // Routes and reports whether `done` ran, and with what.
  std::optional<std::error_code>* publish(const std::shared_ptr<broker::Session>& from,
                                          model::MessagePtr m, std::uint16_t qos2_id = 0) {
    results_.push_back(std::make_unique<std::optional<std::error_code>>());
    auto* result = results_.back().get();
    session::RoutePublish request;
    request.message = std::move(m);
    request.token = 1;
    request.qos2_packet_id = qos2_id;
    broker_.route(from, request, [result](std::error_code ec) { *result = ec; });
    return result;
  }

  session::DeliveryQueue queue_of(const Client& c) {
    std::lock_guard lock(c.session()->mutex);
    return c.session()->state.queue;
  }

  void disconnect(const Client& c, std::uint32_t expiry) {
    broker_.detach(c.session(), c.attachment.generation, {expiry}, kNow);
    store_.commit_all();
  }

  test::ManualStore store_;
  broker::Broker broker_{store_, broker::BrokerSettings{}};
  std::vector<std::unique_ptr<std::optional<std::error_code>>> results_;
};
}  // namespace cairn::test
