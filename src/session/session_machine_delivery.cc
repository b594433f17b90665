// SessionMachine, server to client: the in-flight window, packet
// identifiers, QoS 1/2 acknowledgements from the client, re-sending after a
// reconnect, and what a PUBLISH to this client carries.
#include <algorithm>
#include <utility>

#include "mqtt/packet_encoder.h"
#include "session/packet_conversions.h"
#include "session/session_machine.h"

namespace cairn::session {

using model::QoS;
using mqtt::ReasonCode;
using namespace detail;

// --- publish, server to client -----------------------------------------------

void SessionMachine::handle_puback(std::uint16_t packet_id, Actions& out) {
  auto& inflight = state_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const Inflight& f) {
    return f.packet_id == packet_id && f.stage == Inflight::Stage::kPublishSent &&
           f.delivery.qos == QoS::kAtLeastOnce;
  });
  if (it == inflight.end()) return;  // unknown: nothing to complete
  settle_resend(*it);
  if (it->delivery.sequence != 0) out.push_back(DeliveryDone{it->delivery.sequence});
  inflight.erase(it);
  release_packet_id(packet_id);
}

void SessionMachine::handle_pubrec(const mqtt::Pubrec& pubrec, Actions& out) {
  auto& inflight = state_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const Inflight& f) {
    return f.packet_id == pubrec.packet_id && f.delivery.qos == QoS::kExactlyOnce;
  });
  if (it == inflight.end()) {
    if (is_v5(version_)) {
      out.push_back(SendPacket{
          response<mqtt::Pubrel>(pubrec.packet_id, ReasonCode::kPacketIdentifierNotFound)});
    }
    return;
  }
  settle_resend(*it);
  if (mqtt::is_failure(pubrec.reason_code)) {
    // The client refused the message: the flow ends here [MQTT-4.3.3-4].
    if (it->delivery.sequence != 0) out.push_back(DeliveryDone{it->delivery.sequence});
    inflight.erase(it);
    release_packet_id(pubrec.packet_id);
    return;
  }
  if (it->stage == Inflight::Stage::kPubrelSent) {  // a repeated PUBREC
    // Not before the PUBREL stage is recorded (D3); on_committed sends it then.
    const bool recording =
        std::any_of(pending_pubrels_.begin(), pending_pubrels_.end(),
                    [&](const auto& pending) { return pending.second == pubrec.packet_id; });
    if (!recording) out.push_back(SendPacket{response<mqtt::Pubrel>(pubrec.packet_id)});
    return;
  }
  it->stage = Inflight::Stage::kPubrelSent;
  it->delivery.message.reset();  // only the identifier matters from here on
  if (it->delivery.sequence == 0) {
    out.push_back(SendPacket{response<mqtt::Pubrel>(pubrec.packet_id)});
    return;
  }
  // D3: the PUBREL stage is recorded before PUBREL goes out, so a restart
  // re-sends PUBREL, never the PUBLISH the client already has.
  const Token token = next_token_++;
  pending_pubrels_.emplace(token, pubrec.packet_id);
  out.push_back(RecordPubrel{token, it->delivery.sequence, pubrec.packet_id});
}

void SessionMachine::handle_pubcomp(std::uint16_t packet_id, Actions& out) {
  auto& inflight = state_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(), [&](const Inflight& f) {
    return f.packet_id == packet_id && f.stage == Inflight::Stage::kPubrelSent;
  });
  if (it == inflight.end()) return;
  if (it->delivery.sequence != 0) out.push_back(DeliveryDone{it->delivery.sequence});
  inflight.erase(it);
  release_packet_id(packet_id);
}

void SessionMachine::deliver(Delivery delivery, model::WallTime now, Actions& out) {
  if (state_ == nullptr) return;
  state_->queue.push_back(std::move(delivery));
  pump(now, out);
}

void SessionMachine::pump(model::WallTime now, Actions& out) {
  if (phase_ != Phase::kConnected || closing_ || state_ == nullptr) return;
  resend_awaiting(now, out);
  auto& queue = state_->queue;
  std::size_t room = output_room_;
  while (!queue.empty() && room > 0) {
    // While re-sends wait, the window is full, so no new QoS 1/2 message
    // overtakes them [MQTT-4.6.0-2].
    if (queue.front().qos != QoS::kAtMostOnce && outstanding() >= send_window()) break;
    Delivery d = queue.take_front();
    // Its data and a PUBLISH header's worth: an estimate of its bytes.
    const std::uint64_t size = (d.message ? model::data_bytes(*d.message) : 0) + 16;
    room = size >= room ? 0 : room - static_cast<std::size_t>(size);
    send_delivery(std::move(d), now, out);
  }
}

std::uint16_t SessionMachine::send_window() const noexcept {
  return is_v5(version_) ? std::min(limits_.max_inflight, client_receive_maximum_)
                         : limits_.max_inflight;
}

// The MQTT 5 properties of a PUBLISH to this client: the message's forwarded
// ones, what is left of its expiry [MQTT-3.3.2-6], the subscription
// identifiers and a Topic Alias. Null when there are none (always in 3.x).
std::shared_ptr<const mqtt::Properties> SessionMachine::outgoing_properties(
    const model::Message& m, const std::vector<std::uint32_t>& subscription_ids,
    std::uint16_t topic_alias, model::WallTime now) const {
  if (!is_v5(version_)) return nullptr;
  const model::MessageProperties& f = m.properties;
  const bool forwarded = f.payload_format_indicator || f.content_type || f.response_topic ||
                         f.correlation_data || !f.user_properties.empty();
  if (!forwarded && !m.expires_at && subscription_ids.empty() && topic_alias == 0) return nullptr;
  auto p = std::make_shared<mqtt::Properties>();
  add_forwarded(f, *p);
  if (m.expires_at) p->message_expiry_interval = remaining_seconds(*m.expires_at, now);
  p->subscription_identifiers = subscription_ids;
  if (topic_alias != 0) p->topic_alias = topic_alias;
  return p;
}

void SessionMachine::send_delivery(Delivery&& d, model::WallTime now, Actions& out) {
  const model::Message& m = *d.message;
  if (m.expires_at && *m.expires_at <= now) {  // [MQTT-3.3.2-5]
    out.push_back(DeliveryDone{d.sequence, DropReason::kExpired});
    return;
  }
  // Checked at each send, on the message's own topic, retained ones
  // included: a subscription's filter may cover topics a narrower `deny`
  // refuses, and the rules may have been reloaded since it was granted.
  if (!allowed(m.topic, model::TopicAccess::kRead)) {
    out.push_back(DeliveryDone{d.sequence, DropReason::kNotAuthorized});
    return;
  }
  SendPublish send;
  std::uint16_t alias = 0;
  std::uint16_t new_alias = 0;
  if (is_v5(version_) && client_topic_alias_maximum_ > 0) {
    auto it = outbound_aliases_.find(m.topic);
    if (it != outbound_aliases_.end()) {
      alias = it->second;
      send.topic_omitted = true;  // the alias stands for it [MQTT-3.3.2-12]
    } else if (outbound_aliases_.size() < client_topic_alias_maximum_) {
      // Recorded below, once this PUBLISH is known to be sent: the client
      // learns an alias only from a PUBLISH it receives.
      alias = new_alias = static_cast<std::uint16_t>(outbound_aliases_.size() + 1);
    }
  }
  send.qos = d.qos;
  send.retain = d.retain;
  send.properties = outgoing_properties(m, d.subscription_ids, alias, now);
  send.message = d.message;
  if (send.qos != QoS::kAtMostOnce) send.packet_id = 1;  // sized with an identifier
  // [MQTT-3.1.2-25]: never send more than the client accepts; the message is
  // dropped as if it had been delivered.
  if (mqtt::encoded_size(send.view(), version_) > client_max_packet_size_) {
    out.push_back(DeliveryDone{d.sequence, DropReason::kTooLarge});
    return;
  }
  if (new_alias != 0) outbound_aliases_.emplace(m.topic, new_alias);
  Token record = 0;
  if (send.qos != QoS::kAtMostOnce) {
    send.packet_id = allocate_packet_id();
    if (send.qos == QoS::kExactlyOnce && d.sequence != 0) {
      record = next_token_++;
      out.push_back(RecordSent{record, d.sequence, send.packet_id});
    }
    state_->inflight.push_back(
        Inflight{send.packet_id, Inflight::Stage::kPublishSent, std::move(d)});
  }
  if (record != 0 || !parked_.empty()) {
    parked_.push_back(ParkedPublish{record, std::move(send)});
    return;
  }
  out.push_back(std::move(send));
}

// Sends the held-back PUBLISHes whose turn has come: those before the first
// still waiting for its packet identifier's commit.
void SessionMachine::flush_parked(Actions& out) {
  while (!parked_.empty() && parked_.front().token == 0) {
    if (phase_ == Phase::kConnected && !closing_) out.push_back(std::move(parked_.front().publish));
    parked_.pop_front();
  }
}

// An acknowledgement for a PUBLISH of an earlier connection not yet re-sent on
// this one: the client had it after all; it no longer waits.
void SessionMachine::settle_resend(Inflight& f) noexcept {
  if (!f.awaiting_resend) return;
  f.awaiting_resend = false;
  --awaiting_resend_;
}

std::size_t SessionMachine::outstanding() const noexcept {
  return state_->inflight.size() - awaiting_resend_;
}

void SessionMachine::resend_inflight(model::WallTime now, Actions& out) {
  // [MQTT-4.4.0-1]: after a reconnect with a session, unacknowledged PUBLISH
  // and PUBREL packets are re-sent first, in their original order, with DUP
  // and their original packet identifiers (a new one would make a QoS 2
  // message new to the client). Only as many as this connection's window
  // allows go now [MQTT-4.9.0-2]; the rest as acknowledgements free it.
  auto& inflight = state_->inflight;
  awaiting_resend_ = 0;
  for (Inflight& f : inflight) {
    f.awaiting_resend = f.stage == Inflight::Stage::kPublishSent;
    if (f.awaiting_resend) ++awaiting_resend_;
  }
  // PUBRELs count against the window too, sent or not yet: they are
  // unacknowledged all the same.
  for (auto it = inflight.begin(); it != inflight.end();) {
    if (!it->awaiting_resend) {
      out.push_back(SendPacket{response<mqtt::Pubrel>(it->packet_id)});
      ++it;
      continue;
    }
    if (outstanding() >= send_window()) {
      ++it;  // re-sent by resend_awaiting() as acknowledgements free the window
      continue;
    }
    it->awaiting_resend = false;
    --awaiting_resend_;
    if (resend_publish(*it, now, out)) {
      ++it;
    } else {
      release_packet_id(it->packet_id);
      it = inflight.erase(it);
    }
  }
}

void SessionMachine::resend_awaiting(model::WallTime now, Actions& out) {
  auto& inflight = state_->inflight;
  for (auto it = inflight.begin(); it != inflight.end() && awaiting_resend_ > 0;) {
    if (!it->awaiting_resend) {
      ++it;
      continue;
    }
    if (outstanding() >= send_window()) return;
    it->awaiting_resend = false;
    --awaiting_resend_;
    if (resend_publish(*it, now, out)) {
      ++it;
    } else {
      release_packet_id(it->packet_id);
      it = inflight.erase(it);
    }
  }
}

// Re-sends one PUBLISH of an earlier connection; false when this connection
// cannot take it (it is then done with, as if delivered).
bool SessionMachine::resend_publish(const Inflight& f, model::WallTime now, Actions& out) {
  SendPublish send;
  send.message = f.delivery.message;
  send.dup = true;
  send.qos = f.delivery.qos;
  send.retain = f.delivery.retain;
  send.packet_id = f.packet_id;
  // Onward delivery has started, so it goes even if it expired since; still
  // with what is left of its interval [MQTT-3.3.2-6]. Aliases start afresh on
  // a new connection, so the topic goes in full.
  send.properties = outgoing_properties(*send.message, f.delivery.subscription_ids, 0, now);
  // [MQTT-3.1.2-25]: this connection may accept less than the one it was
  // first sent on; drop it as if it had been delivered.
  if (mqtt::encoded_size(send.view(), version_) > client_max_packet_size_) {
    out.push_back(DeliveryDone{f.delivery.sequence, DropReason::kTooLarge});
    return false;
  }
  out.push_back(std::move(send));
  return true;
}

std::uint16_t SessionMachine::allocate_packet_id() {
  // The window is far below 65,535, so a free identifier is always near.
  for (;;) {
    const std::uint16_t id = state_->next_packet_id;
    state_->next_packet_id = static_cast<std::uint16_t>(id == 0xFFFF ? 1 : id + 1);
    if (state_->packet_ids_in_use.insert(id).second) return id;
  }
}

void SessionMachine::release_packet_id(std::uint16_t packet_id) {
  state_->packet_ids_in_use.erase(packet_id);
}

}  // namespace cairn::session
