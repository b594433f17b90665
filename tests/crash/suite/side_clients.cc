#include "suite/side_clients.h"

#include <chrono>
#include <variant>

#include "suite/workload.h"

namespace cairn::crashtest {
namespace {

constexpr milliseconds kWait{5000};

mqtt::Connect persistent_v5(const std::string& id, std::uint32_t expiry) {
  mqtt::Connect c;
  c.version = mqtt::ProtocolVersion::kV5;
  c.client_id = id;
  c.clean_start = false;
  c.properties.session_expiry_interval = expiry;
  return c;
}

}  // namespace

// --- Flipper ------------------------------------------------------------------------

std::optional<bool> Flipper::connect(std::uint16_t port) {
  const auto connack = link_.open(port, persistent_v5(id_, 3600), kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return std::nullopt;
  return connack->session_present;
}

void Flipper::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_ && flip()) std::this_thread::sleep_for(milliseconds(5));
  });
}

void Flipper::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Flipper::State Flipper::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Flipper::settle(bool subscribed) {
  std::lock_guard lock(mutex_);
  state_.in_flight = false;
  state_.subscribed = subscribed;
}

bool Flipper::flip() {
  bool subscribe = false;
  {
    std::lock_guard lock(mutex_);
    if (state_.in_flight) return false;
    state_.in_flight = true;
    subscribe = !state_.subscribed;
  }
  if (++next_id_ == 0) next_id_ = 1;
  bool sent = false;
  if (subscribe) {
    mqtt::Subscribe s;
    s.packet_id = next_id_;
    mqtt::TopicSubscription t;
    t.filter = kTopic;
    t.options.max_qos = mqtt::QoS::kAtLeastOnce;
    s.subscriptions.push_back(t);
    sent = link_.send(s);
  } else {
    mqtt::Unsubscribe u;
    u.packet_id = next_id_;
    u.filters.push_back(kTopic);
    sent = link_.send(u);
  }
  const auto deadline = Clock::now() + kWait;
  bool acked = false;
  while (sent && !acked && Clock::now() < deadline) {
    std::optional<mqtt::Packet> p = link_.read(milliseconds(50));
    if (!p) {
      if (link_.closed()) break;
      continue;
    }
    if (const auto* ack = std::get_if<mqtt::Suback>(&*p); ack != nullptr && subscribe) {
      acked = ack->reason_codes.size() == 1 && !mqtt::is_failure(ack->reason_codes[0]);
      if (!acked) break;  // refused: stays in flight, and the thread stops
    } else if (std::holds_alternative<mqtt::Unsuback>(*p) && !subscribe) {
      acked = true;
    }
  }
  if (!acked) return false;
  std::lock_guard lock(mutex_);
  state_.in_flight = false;
  state_.subscribed = subscribe;
  ++state_.changes;
  return true;
}

bool Flipper::receives(const std::string& payload, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::optional<mqtt::Packet> p = link_.read(milliseconds(20));
    if (!p) {
      if (link_.closed()) return false;
      continue;
    }
    if (const auto* m = std::get_if<mqtt::Publish>(&*p)) {
      if (m->qos == mqtt::QoS::kAtLeastOnce) {
        mqtt::Puback ack;
        ack.packet_id = m->packet_id;
        link_.send(ack);
      }
      if (m->payload == payload) return true;
    }
  }
  return false;
}

// --- WillClient ---------------------------------------------------------------------

std::optional<bool> WillClient::connect(std::uint16_t port, std::uint64_t n) {
  // The session outlives the will delay, so the delay alone decides.
  mqtt::Connect c = persistent_v5(id_, 60);
  mqtt::Will will;
  will.topic = kTopic;
  will.payload = payload_of("will", n);
  will.qos = mqtt::QoS::kAtLeastOnce;
  will.properties.will_delay_interval = kDelayS;
  c.will = will;
  const auto connack = link_.open(port, c, kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return std::nullopt;
  return connack->session_present;
}

bool publish_once(std::uint16_t port, const std::string& topic, const std::string& payload) {
  MqttLink link;
  mqtt::Connect c;
  c.version = mqtt::ProtocolVersion::kV5;
  c.client_id = "crashtest-probe";
  const auto connack = link.open(port, c, kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return false;
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.qos = mqtt::QoS::kAtLeastOnce;
  p.packet_id = 1;
  if (!link.send(p)) return false;
  const auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline) {
    std::optional<mqtt::Packet> r = link.read(milliseconds(50));
    if (!r && link.closed()) return false;
    if (const auto* ack = r ? std::get_if<mqtt::Puback>(&*r) : nullptr) {
      link.send(mqtt::Disconnect{});
      return !mqtt::is_failure(ack->reason_code);
    }
  }
  return false;
}

}  // namespace cairn::crashtest
