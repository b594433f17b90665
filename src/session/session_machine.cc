#include "session/session_machine.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "model/topic.h"
#include "mqtt/packet_encoder.h"
#include "session/packet_conversions.h"

namespace cairn::session {
namespace {

using model::QoS;
using mqtt::ProtocolVersion;
using mqtt::ReasonCode;
using namespace detail;

std::optional<model::WallTime> expiry_at(const std::optional<std::uint32_t>& interval,
                                         model::WallTime now) {
  if (!interval) return std::nullopt;
  return now + std::chrono::seconds(*interval);
}

std::size_t topic_levels(std::string_view topic) {
  return 1 + static_cast<std::size_t>(std::count(topic.begin(), topic.end(), '/'));
}

}  // namespace

SessionMachine::SessionMachine(const SessionLimits& limits, std::uint64_t connection_number)
    : limits_(limits), connection_number_(connection_number) {}

// --- incoming packets --------------------------------------------------------

void SessionMachine::on_packet(mqtt::Packet&& packet, model::WallTime now, Actions& out) {
  if (closing_ || phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kAwaitConnect) {
    if (auto* connect = std::get_if<mqtt::Connect>(&packet)) {
      return handle_connect(std::move(*connect), now, out);
    }
    // [MQTT-3.1.0-1]: the first packet must be CONNECT; no CONNACK to send.
    closing_ = true;
    out.push_back(CloseConnection{ReasonCode::kProtocolError, "first packet is not CONNECT"});
    return;
  }
  if (phase_ == Phase::kAuthenticating || phase_ == Phase::kAttaching) {
    early_packets_.push_back(std::move(packet));
    return;
  }
  std::visit(
      [&](auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, mqtt::Publish>) {
          handle_publish(std::move(p), now, out);
        } else if constexpr (std::is_same_v<P, mqtt::Puback>) {
          handle_puback(p.packet_id, out);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrec>) {
          handle_pubrec(p, out);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrel>) {
          handle_pubrel(p, out);
        } else if constexpr (std::is_same_v<P, mqtt::Pubcomp>) {
          handle_pubcomp(p.packet_id, out);
        } else if constexpr (std::is_same_v<P, mqtt::Subscribe>) {
          handle_subscribe(std::move(p), out);
        } else if constexpr (std::is_same_v<P, mqtt::Unsubscribe>) {
          handle_unsubscribe(std::move(p), out);
        } else if constexpr (std::is_same_v<P, mqtt::Pingreq>) {
          out.push_back(SendPacket{mqtt::Pingresp{}});
        } else if constexpr (std::is_same_v<P, mqtt::Disconnect>) {
          handle_disconnect(p, out);
        } else if constexpr (std::is_same_v<P, mqtt::Connect>) {
          disconnect(ReasonCode::kProtocolError, "second CONNECT", out);  // [MQTT-3.1.0-2]
        } else if constexpr (std::is_same_v<P, mqtt::Auth>) {
          // Enhanced authentication was not negotiated at CONNECT [MQTT-4.12.0-7].
          disconnect(ReasonCode::kProtocolError, "AUTH without an authentication method", out);
        } else {
          disconnect(ReasonCode::kProtocolError, "packet a client may not send", out);
        }
      },
      packet);
  pump(now, out);
}

bool SessionMachine::allowed(std::string_view topic, model::TopicAccess access) const {
  if (limits_.access == nullptr) return true;
  std::optional<std::string_view> user;
  if (username_) user = *username_;
  return limits_.access->allows(client_id_, user, topic, access);
}

void SessionMachine::disconnect(ReasonCode reason, const char* why, Actions& out) {
  if (closing_ || phase_ == Phase::kClosed) return;
  if (is_v5(version_) && phase_ == Phase::kConnected) {
    mqtt::Disconnect d;
    d.reason_code = reason;
    d.properties.reason_string = why;  // allowed in DISCONNECT [MQTT-3.1.2-29]
    // [MQTT-3.14.2-3]: not if it takes DISCONNECT over the client's Maximum Packet Size.
    if (mqtt::encoded_size(d, version_) > client_max_packet_size_) {
      d.properties.reason_string.reset();
    }
    out.push_back(SendPacket{std::move(d)});
  }
  closing_ = true;
  out.push_back(CloseConnection{reason, why});
}

void SessionMachine::on_decode_error(const mqtt::DecodeError& error, Actions& out) {
  if (closing_ || phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kAwaitConnect) {
    // An unsupported protocol level gets a CONNACK the client can read: the
    // 3.1.1 form, return code 1 [MQTT-3.1.2-2]. Anything else is closed.
    if (error.reason == ReasonCode::kUnsupportedProtocolVersion) {
      version_ = ProtocolVersion::kV311;
      return refuse_connect(error.reason, error.why, out);
    }
    closing_ = true;
    out.push_back(CloseConnection{error.reason, error.why});
    return;
  }
  disconnect(error.reason, error.why, out);
}

void SessionMachine::on_keep_alive_timeout(Actions& out) {
  disconnect(ReasonCode::kKeepAliveTimeout, "keep alive timeout", out);
}

void SessionMachine::on_kicked(ReasonCode reason, Actions& out) {
  disconnect(reason, "closed by the server", out);
}

void SessionMachine::on_connection_closed(Actions& out, bool session_taken) {
  if (phase_ == Phase::kClosed) return;
  const bool attached = state_ != nullptr;
  const bool attaching = phase_ == Phase::kAttaching && !attached;
  phase_ = Phase::kClosed;
  closing_ = true;
  parked_.clear();        // still in flight in the session: the next connection re-sends them
  if (attaching) return;  // on_attached will detach when the broker answers
  if (!attached) return;  // CONNECT never accepted: no session, no will
  if (!will_cancelled_) {
    if (auto will = scheduled_will()) out.push_back(std::move(*will));
  }
  out.push_back(DetachSession{expiry_interval_});
  // The session's state is another connection's once it has been taken over:
  // its window is that connection's to set.
  if (!session_taken) state_->send_window = 0;
  state_ = nullptr;
}

std::optional<ScheduleWill> SessionMachine::scheduled_will() const {
  auto message = will_message();
  if (!message) return std::nullopt;
  ScheduleWill will;
  will.message = std::make_shared<const model::Message>(std::move(*message));
  // Published after the Will Delay Interval or when the session ends,
  // whichever is first [MQTT-3.1.3-9].
  will.delay_seconds =
      std::min(will_->properties.will_delay_interval.value_or(0), expiry_interval_);
  will.message_expiry_interval = will_->properties.message_expiry_interval;
  return will;
}

std::optional<model::Message> SessionMachine::will_message() const {
  if (!will_) return std::nullopt;
  model::Message m;
  m.topic = will_->topic;
  m.payload = will_->payload;
  m.qos = will_->qos;
  m.retain = will_->retain;
  mqtt::Properties copy = will_->properties;
  m.properties = forwarded_properties(std::move(copy));
  m.origin = state_ ? state_->id : 0;
  return m;
}

// --- publish, client to server -------------------------------------------------

void SessionMachine::handle_publish(mqtt::Publish&& p, model::WallTime now, Actions& out) {
  // [MQTT-3.3.4-6]: a PUBLISH from a client MUST NOT contain a Subscription
  // Identifier (only the server's PUBLISH to a subscriber carries one).
  if (is_v5(version_) && !p.properties.subscription_identifiers.empty()) {
    return disconnect(ReasonCode::kProtocolError, "PUBLISH with a Subscription Identifier", out);
  }
  if (is_v5(version_) && p.properties.topic_alias) {
    const std::uint16_t alias = *p.properties.topic_alias;
    if (alias == 0 || alias > limits_.topic_alias_maximum) {  // [MQTT-3.3.2-8], [MQTT-3.3.2-9]
      return disconnect(ReasonCode::kTopicAliasInvalid, "topic alias 0 or above the maximum", out);
    }
    if (inbound_aliases_.size() <= alias) inbound_aliases_.resize(limits_.topic_alias_maximum + 1u);
    if (p.topic.empty()) {
      if (inbound_aliases_[alias].empty()) {
        return disconnect(ReasonCode::kProtocolError, "unknown topic alias", out);
      }
      p.topic = inbound_aliases_[alias];
    } else {
      inbound_aliases_[alias] = p.topic;
    }
  }
  if (p.qos > limits_.maximum_qos) {  // [MQTT-3.2.2-11]
    return disconnect(ReasonCode::kQoSNotSupported, "QoS above Maximum QoS", out);
  }
  if (p.retain && !limits_.retain_available) {  // [MQTT-3.2.2-14]
    return disconnect(ReasonCode::kRetainNotSupported, "retain not available", out);
  }
  if (p.qos != QoS::kAtMostOnce) {
    if (p.qos == QoS::kExactlyOnce) {
      // D4: a PUBLISH re-sent with an identifier we hold is not routed again.
      auto it = state_->incoming_qos2.find(p.packet_id);
      if (it != state_->incoming_qos2.end()) {
        // Committed: PUBREC again; not yet: the first PUBREC is on its way,
        // unless the first copy came on an earlier connection, whose PUBREC
        // went with it: this one's goes once that commit is done.
        if (it->second) {
          enqueue_ack(response<mqtt::Pubrec>(p.packet_id), false, true);
        } else if (!awaiting_commit_of(p.packet_id)) {
          const Token token = enqueue_ack(response<mqtt::Pubrec>(p.packet_id), false, false);
          find_ack(token)->qos2_packet_id = p.packet_id;
          out.push_back(AwaitStore{token});
        }
        return flush_acks(out);
      }
    }
    if (receive_slots_used_ >= limits_.receive_maximum) {  // [MQTT-3.3.4-7], §3.2.2.3.3
      return disconnect(ReasonCode::kReceiveMaximumExceeded, "receive maximum exceeded", out);
    }
  }
  if (!topic_within_limits(p.topic)) {
    if (p.qos == QoS::kAtMostOnce || !is_v5(version_)) {
      return disconnect(ReasonCode::kTopicNameInvalid, "topic name over the limits", out);
    }
    ++receive_slots_used_;
    const ReasonCode rc = ReasonCode::kTopicNameInvalid;
    mqtt::Packet ack = p.qos == QoS::kAtLeastOnce
                           ? mqtt::Packet(response<mqtt::Puback>(p.packet_id, rc))
                           : mqtt::Packet(response<mqtt::Pubrec>(p.packet_id, rc));
    enqueue_ack(std::move(ack), true, true);
    return flush_acks(out);
  }

  if (!allowed(p.topic, model::TopicAccess::kWrite)) {
    out.push_back(AccessDenied{model::TopicAccess::kWrite, p.topic});
    if (p.qos == QoS::kAtMostOnce) return;  // nothing to answer: dropped
    ++receive_slots_used_;
    // MQTT 5 says why: PUBACK or PUBREC 0x87, which also ends a QoS 2 flow.
    // 3.x has no way to refuse: the PUBLISH is acknowledged as usual and
    // dropped [MQTT-3.3.5-2]; a QoS 2 PUBREL that follows finds no record
    // and gets its PUBCOMP all the same (handle_pubrel).
    const ReasonCode rc = is_v5(version_) ? ReasonCode::kNotAuthorized : ReasonCode::kSuccess;
    mqtt::Packet ack = p.qos == QoS::kAtLeastOnce
                           ? mqtt::Packet(response<mqtt::Puback>(p.packet_id, rc))
                           : mqtt::Packet(response<mqtt::Pubrec>(p.packet_id, rc));
    enqueue_ack(std::move(ack), true, true);
    return flush_acks(out);
  }

  auto message = std::make_shared<model::Message>();
  message->topic = std::move(p.topic);
  message->payload = std::move(p.payload);
  message->qos = p.qos;
  message->retain = p.retain;
  message->expires_at = expiry_at(p.properties.message_expiry_interval, now);
  if (is_v5(version_)) message->properties = forwarded_properties(std::move(p.properties));
  message->origin = state_->id;

  RoutePublish route;
  route.message = std::move(message);
  if (p.qos == QoS::kAtLeastOnce) {
    ++receive_slots_used_;
    route.token = enqueue_ack(response<mqtt::Puback>(p.packet_id), true, false);
  } else if (p.qos == QoS::kExactlyOnce) {
    ++receive_slots_used_;
    state_->incoming_qos2.emplace(p.packet_id, false);
    route.token = enqueue_ack(response<mqtt::Pubrec>(p.packet_id), false, false);
    find_ack(route.token)->qos2_packet_id = p.packet_id;
    route.qos2_packet_id = p.packet_id;
  }
  out.push_back(std::move(route));
}

void SessionMachine::handle_pubrel(const mqtt::Pubrel& pubrel, Actions& out) {
  auto it = state_->incoming_qos2.find(pubrel.packet_id);
  if (it == state_->incoming_qos2.end() || !it->second) {
    // Unknown identifier: complete the client's flow; 5.0 says why.
    enqueue_ack(response<mqtt::Pubcomp>(
                    pubrel.packet_id,
                    is_v5(version_) ? ReasonCode::kPacketIdentifierNotFound : ReasonCode::kSuccess),
                false, true);
    return flush_acks(out);
  }
  // The identifier is free again once PUBREL arrived [MQTT-4.3.3-?]; PUBCOMP
  // waits until the dedup record is gone, so a restart cannot drop a new
  // PUBLISH that reuses the identifier.
  state_->incoming_qos2.erase(it);
  const Token token = enqueue_ack(response<mqtt::Pubcomp>(pubrel.packet_id), true, false);
  out.push_back(ReleaseIncoming{token, pubrel.packet_id});
}

// --- subscriptions -------------------------------------------------------------

// --- disconnect ------------------------------------------------------------------

void SessionMachine::handle_disconnect(const mqtt::Disconnect& d, Actions& out) {
  if (!mqtt::may_client_send_in_disconnect(d.reason_code)) {  // [MQTT-3.14.2-1]
    return disconnect(ReasonCode::kProtocolError, "DISCONNECT reason code only a server sends",
                      out);
  }
  if (is_v5(version_) && d.properties.session_expiry_interval) {
    // §3.14.2.2.2: a session that was to end at disconnect cannot be
    // made to outlive it now.
    if (requested_expiry_ == 0 && *d.properties.session_expiry_interval != 0) {
      return disconnect(ReasonCode::kProtocolError, "session expiry set at DISCONNECT", out);
    }
    expiry_interval_ = std::min(*d.properties.session_expiry_interval, limits_.max_session_expiry);
    if (state_) state_->expiry_interval = expiry_interval_;
  }
  // Only a normal DISCONNECT (0x00) discards the will [MQTT-3.14.4-3]; 0x04
  // and the error codes keep it (§3.1.2.5). 3.x decodes as 0x00.
  if (d.reason_code == ReasonCode::kNormalDisconnection) will_cancelled_ = true;
  closing_ = true;
  out.push_back(CloseConnection{ReasonCode::kNormalDisconnection, "client disconnected"});
}

// --- store completions and the acknowledgement FIFO ------------------------------

void SessionMachine::on_committed(Token token, model::WallTime now, Actions& out) {
  if (token == connect_token_ && connect_token_ != 0) {
    connect_token_ = 0;
    if (phase_ == Phase::kAttaching && !closing_) complete_connect(session_present_, now, out);
    return;
  }
  if (auto it = pending_pubrels_.find(token); it != pending_pubrels_.end()) {
    if (phase_ == Phase::kConnected && !closing_) {
      out.push_back(SendPacket{response<mqtt::Pubrel>(it->second)});
    }
    pending_pubrels_.erase(it);
    return;
  }
  for (ParkedPublish& p : parked_) {
    if (p.token != token) continue;
    p.token = 0;
    return flush_parked(out);
  }
  PendingAck* ack = find_ack(token);
  if (ack == nullptr) return;
  ack->ready = true;
  if (ack->qos2_packet_id != 0 && state_) {
    auto it = state_->incoming_qos2.find(ack->qos2_packet_id);
    if (it != state_->incoming_qos2.end()) {
      it->second = true;
    } else {
      // The commit this PUBREC waited for (AwaitStore) failed or was
      // refused: the message is not stored, so it is refused here too.
      ack->qos2_packet_id = 0;
      if (!is_v5(version_)) {
        ack->packet.reset();  // 3.x cannot refuse: closed without it, the client re-sends
        return disconnect(ReasonCode::kUnspecifiedError, "the store cannot commit", out);
      }
      std::get<mqtt::Pubrec>(*ack->packet).reason_code = ReasonCode::kUnspecifiedError;
    }
  }
  flush_acks(out);
  pump(now, out);
}

void SessionMachine::on_commit_failed(Token token, Actions& out, ReasonCode reason,
                                      const char* why) {
  if (token == connect_token_ && connect_token_ != 0) {
    connect_token_ = 0;
    // A session this CONNECT created ends with the refusal (its client was
    // never told it exists); one it resumed stays as it was stored.
    if (!session_present_) expiry_interval_ = 0;
    // Low space (0x97) says why; anything else is the server's (0x88).
    const bool quota = reason == ReasonCode::kQuotaExceeded;
    return refuse_connect(quota ? reason : ReasonCode::kServerUnavailable,
                          why != nullptr ? why : "the store cannot commit", out);
  }
  if (std::any_of(parked_.begin(), parked_.end(),
                  [&](const ParkedPublish& p) { return p.token == token; })) {
    // Its packet identifier is not stored: it must not go out (D3). The
    // session keeps it in flight; a later connection re-sends it.
    parked_.clear();
    return disconnect(ReasonCode::kUnspecifiedError, "the store cannot commit", out);
  }
  PendingAck* ack = find_ack(token);
  if (ack != nullptr && is_v5(version_) && ack->packet &&
      (std::holds_alternative<mqtt::Puback>(*ack->packet) ||
       std::holds_alternative<mqtt::Pubrec>(*ack->packet))) {
    // D8: refused, never acknowledged; the client may publish it again.
    std::visit(
        [reason](auto& p) {
          if constexpr (requires { p.reason_code; }) p.reason_code = reason;
        },
        *ack->packet);
    if (ack->qos2_packet_id != 0 && state_) state_->incoming_qos2.erase(ack->qos2_packet_id);
    ack->qos2_packet_id = 0;
    // A PUBREC of 0x80 or more ends the QoS 2 flow: its Receive Maximum slot
    // is free again, as the client's quota is [MQTT-3.3.4-7], §4.9.
    ack->frees_receive_slot = true;
    ack->ready = true;
    return flush_acks(out);
  }
  // 3.x has no way to refuse: close without the ack, so the client re-sends.
  // A refused QoS 2 PUBLISH leaves no trace (D4): its re-send is a new one.
  if (ack != nullptr && ack->qos2_packet_id != 0 && state_) {
    state_->incoming_qos2.erase(ack->qos2_packet_id);
    ack->qos2_packet_id = 0;
  }
  disconnect(ReasonCode::kUnspecifiedError, why != nullptr ? why : "the store cannot commit", out);
}

bool SessionMachine::awaiting_commit_of(std::uint16_t packet_id) const {
  return std::any_of(acks_.begin(), acks_.end(),
                     [packet_id](const PendingAck& a) { return a.qos2_packet_id == packet_id; });
}

Token SessionMachine::enqueue_ack(std::optional<mqtt::Packet> packet, bool frees_receive_slot,
                                  bool ready) {
  PendingAck ack;
  ack.token = next_token_++;
  ack.packet = std::move(packet);
  ack.frees_receive_slot = frees_receive_slot;
  ack.ready = ready;  // when not ready, the caller emits the request that completes it
  acks_.push_back(std::move(ack));
  return acks_.back().token;
}

SessionMachine::PendingAck* SessionMachine::find_ack(Token token) {
  for (PendingAck& ack : acks_) {
    if (ack.token == token) return &ack;
  }
  return nullptr;
}

void SessionMachine::flush_acks(Actions& out) {
  while (!acks_.empty() && acks_.front().ready) {
    PendingAck ack = std::move(acks_.front());
    acks_.pop_front();
    if (ack.frees_receive_slot && receive_slots_used_ > 0) --receive_slots_used_;
    if (closing_ || phase_ != Phase::kConnected) continue;
    if (ack.packet) out.push_back(SendPacket{std::move(*ack.packet)});
    for (SubscribeRequest& r : ack.retained_after) out.push_back(SendRetained{std::move(r)});
  }
}

bool SessionMachine::topic_within_limits(std::string_view topic) const noexcept {
  if (limits_.max_topic_length != 0 && topic.size() > limits_.max_topic_length) return false;
  if (limits_.max_topic_levels != 0 && topic_levels(topic) > limits_.max_topic_levels) return false;
  return true;
}

}  // namespace cairn::session
