#include "integration/paho/kill_flipper.h"

#include <chrono>
#include <cstring>

#include "integration/paho/kill_clients.h"

namespace cairn::paho_test {
namespace {

// UNSUBSCRIBE for one filter, MQTT 5, no properties (§3.10).
Bytes unsubscribe_packet(std::uint16_t packet_id, std::string_view filter) {
  const std::size_t remaining = 2 + 1 + 2 + filter.size();  // < 128: one length byte
  Bytes out;
  out.reserve(2 + remaining);
  for (const std::size_t byte :
       {std::size_t{0xA2}, remaining, std::size_t{packet_id} >> 8, std::size_t{packet_id} & 0xFF,
        std::size_t{0}, filter.size() >> 8, filter.size() & 0xFF}) {
    out.push_back(static_cast<std::uint8_t>(byte));
  }
  for (const char c : filter) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

}  // namespace

std::optional<bool> Flipper::connect(std::uint16_t port) {
  client_ = std::make_unique<RawClient>(port);
  RawConnect c;
  c.version = 5;
  c.client_id = id_;
  c.clean_start = false;
  c.properties.u32(kSessionExpiryInterval, kSessionExpiry);
  const auto ack = client_->handshake(c, kWait);
  if (!ack || ack->reason != 0) return std::nullopt;
  return ack->session_present;
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

bool Flipper::flip() {
  bool subscribe = false;
  {
    std::lock_guard lock(mutex_);
    if (state_.in_flight) return false;
    state_.in_flight = true;
    subscribe = !state_.subscribed;
  }
  const std::uint16_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  const bool sent = client_->send(subscribe ? subscribe_packet(5, id, kTopic, 1)
                                            : unsubscribe_packet(id, kTopic));
  const PacketType awaited = subscribe ? kSuback : kUnsuback;
  bool acked = false;
  const auto deadline = Clock::now() + kWait;
  while (sent && Clock::now() < deadline) {
    const auto p = client_->read(milliseconds(50));
    if (!p) {
      if (client_->peer_closed() || !client_->is_open()) break;
      continue;
    }
    // SUBACK: one reason code after the packet id and properties; < 0x80 granted.
    if (p->type == awaited) {
      acked = !subscribe || (p->body.size() >= 4 && p->body.back() < 0x80);
      break;
    }
  }
  if (!acked) return false;  // the change stays in flight
  std::lock_guard lock(mutex_);
  state_.in_flight = false;
  state_.subscribed = subscribe;
  ++state_.changes;
  return true;
}

bool Flipper::receives(const std::string& payload, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const std::optional<RawPublish> m = client_->next_publish(std::max(left, milliseconds(1)));
    if (!m) break;
    if (m->payload == payload) return true;
  }
  return false;
}

void Flipper::settle(bool subscribed) {
  std::lock_guard lock(mutex_);
  state_.in_flight = false;
  state_.subscribed = subscribed;
}

}  // namespace cairn::paho_test
