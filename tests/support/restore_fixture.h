// What the Broker::restore tests share: stored records made by hand, and a
// BrokerWorld fixture starting at kNow. Header-only, test-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "support/broker_client.h"
#include "support/session_harness.h"

namespace cairn::test::restore {

using cairn::test::BrokerClient;
using model::QoS;
using std::chrono::seconds;

inline const model::WallTime kNow{test::SessionHarness::kStart};

inline model::MessagePtr message(std::string topic, std::string payload, QoS qos,
                                 bool retain = false) {
  auto m = std::make_shared<model::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->retain = retain;
  return m;
}

inline storage::PutSession stored_session(std::string client, std::uint32_t expiry,
                                          std::optional<model::WallTime> disconnected_at) {
  storage::PutSession s;
  s.client_id = std::move(client);
  s.expiry_interval = expiry;
  s.disconnected_at = disconnected_at;
  return s;
}

inline storage::StoredDelivery stored_delivery(std::uint64_t sequence, std::string payload, QoS qos,
                                               std::uint16_t packet_id = 0, bool released = false) {
  storage::StoredDelivery d;
  d.sequence = sequence;
  d.message = message("t", std::move(payload), qos);
  d.qos = qos;
  d.packet_id = packet_id;
  d.released = released;
  return d;
}

inline void add_subscription(storage::StoredState& state, const std::string& client,
                             std::string filter, QoS qos) {
  storage::PutSubscription s;
  s.client_id = client;
  s.filter = filter;
  s.options.max_qos = qos;
  state.subscriptions[client][std::move(filter)] = std::move(s);
}

inline mqtt::Will will(std::string topic, std::string payload, std::uint32_t delay) {
  mqtt::Will w = test::make_will(std::move(topic), std::move(payload), QoS::kAtLeastOnce);
  w.properties.will_delay_interval = delay;
  w.properties.message_expiry_interval = 100;  // counted from when it is published
  return w;
}

class BrokerRestoreTest : public ::testing::Test, public test::BrokerWorld {
 protected:
  BrokerRestoreTest() : BrokerWorld(kNow) {}
};

}  // namespace cairn::test::restore
