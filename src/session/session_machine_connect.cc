// The CONNECT of a session: checks, authentication, attach, and the CONNACK
// that accepts or refuses it (D1: a persistent session's only after its
// record is committed).
#include <algorithm>
#include <utility>

#include "mqtt/packet_encoder.h"
#include "session/packet_conversions.h"
#include "session/session_machine.h"

namespace cairn::session {
namespace {

using model::QoS;
using mqtt::ProtocolVersion;
using mqtt::ReasonCode;
using namespace detail;

// MQTT 3.1 limits client identifiers to 23 characters ([MQTT 3.1] §3.1).
constexpr std::size_t kV31MaxClientIdLength = 23;

}  // namespace

void SessionMachine::handle_connect(mqtt::Connect&& c, model::WallTime now, Actions& out) {
  (void)now;
  version_ = c.version;
  const mqtt::Properties& props = c.properties;
  // The client's limits first: even a refusing CONNACK respects them.
  if (is_v5(version_)) {
    requested_expiry_ = props.session_expiry_interval.value_or(0);
    client_receive_maximum_ = props.receive_maximum.value_or(65'535);
    client_max_packet_size_ = props.maximum_packet_size.value_or(0xFFFFFFFF);
    client_topic_alias_maximum_ = props.topic_alias_maximum.value_or(0);
    request_problem_information_ = props.request_problem_information.value_or(1) == 1;
  } else {
    // 3.x: Clean Session 0 keeps the session until the client cleans it.
    requested_expiry_ = c.clean_start ? 0 : kNeverExpires;
  }
  client_id_ = std::move(c.client_id);
  if (client_id_.empty()) {
    // 3.1 requires an identifier; 3.1.1 allows an empty one only with Clean
    // Session [MQTT-3.1.3-7], [MQTT-3.1.3-8]; 5.0 gets one assigned.
    if (version_ == ProtocolVersion::kV31 ||
        (version_ == ProtocolVersion::kV311 && !c.clean_start)) {
      return refuse_connect(ReasonCode::kClientIdentifierNotValid, "empty client identifier", out);
    }
    client_id_ = limits_.assigned_client_id_prefix + std::to_string(connection_number_);
    client_id_assigned_ = true;
  } else if (version_ == ProtocolVersion::kV31 && client_id_.size() > kV31MaxClientIdLength) {
    return refuse_connect(ReasonCode::kClientIdentifierNotValid, "3.1 client identifier too long",
                          out);
  }
  if (props.authentication_method) {
    return refuse_connect(ReasonCode::kBadAuthenticationMethod, "unsupported authentication method",
                          out);
  }
  if (c.will) {
    if (c.will->qos > limits_.maximum_qos) {  // [MQTT-3.2.2-12]
      return refuse_connect(ReasonCode::kQoSNotSupported, "will QoS above Maximum QoS", out);
    }
    if (c.will->retain && !limits_.retain_available) {  // [MQTT-3.2.2-13]
      return refuse_connect(ReasonCode::kRetainNotSupported, "retained will", out);
    }
    if (!topic_within_limits(c.will->topic)) {
      return refuse_connect(ReasonCode::kTopicNameInvalid, "will topic over the limits", out);
    }
    will_ = std::make_unique<mqtt::Will>(std::move(*c.will));
  }
  clean_start_ = c.clean_start;
  expiry_interval_ = std::min(requested_expiry_, limits_.max_session_expiry);
  keep_alive_ = c.keep_alive;
  // A 3.x client cannot be told a Server Keep Alive, so it keeps its own.
  if (is_v5(version_) && limits_.max_keep_alive != 0 &&
      (keep_alive_ == 0 || keep_alive_ > limits_.max_keep_alive)) {
    keep_alive_ = limits_.max_keep_alive;
  }
  // Authentication comes after every check of the packet itself: a CONNECT
  // the server would refuse anyway costs no password hash.
  phase_ = Phase::kAuthenticating;
  out.push_back(Authenticate{std::move(c.username), std::move(c.password)});
}

void SessionMachine::on_authenticated(AuthResult&& result, Actions& out) {
  if (phase_ != Phase::kAuthenticating || closing_) return;  // the connection closed meanwhile
  if (result.reason != ReasonCode::kSuccess) return refuse_connect(result.reason, result.why, out);
  username_ = std::move(result.username);
  // The will is published with this client's rights, so it may only carry
  // what the client could publish itself; refused now, not silently dropped
  // when the connection dies.
  if (will_ && !allowed(will_->topic, model::TopicAccess::kWrite)) {
    out.push_back(AccessDenied{model::TopicAccess::kWrite, will_->topic});
    return refuse_connect(ReasonCode::kNotAuthorized, "will topic not authorized", out);
  }
  phase_ = Phase::kAttaching;
  out.push_back(AttachSession{client_id_, clean_start_, expiry_interval_});
}

void SessionMachine::on_attached(SessionState& state, bool session_present, model::WallTime now,
                                 Actions& out, bool discarded_stored) {
  state_ = &state;
  const bool was_persistent = state.persistent();
  state.client_id = client_id_;
  state.expiry_interval = expiry_interval_;
  session_present_ = session_present && !clean_start_;
  if (phase_ == Phase::kClosed || closing_) {
    // The connection dropped while the broker attached the session.
    phase_ = Phase::kAttaching;
    closing_ = false;
    return on_connection_closed(out);
  }
  if (expiry_interval_ > 0 || was_persistent || discarded_stored) {
    // D1: CONNACK of a persistent session only after its record is committed;
    // after a Clean Start that ended a stored session, only once that removal
    // is durable, or a crash would bring the discarded session back.
    connect_token_ = next_token_++;
    out.push_back(StoreSession{connect_token_, expiry_interval_, scheduled_will()});
    return;
  }
  complete_connect(session_present_, now, out);
}

void SessionMachine::complete_connect(bool session_present, model::WallTime now, Actions& out) {
  phase_ = Phase::kConnected;
  state_->send_window = send_window();
  send_connack(session_present, out);
  out.push_back(SetKeepAlive{keep_alive_});
  resend_inflight(now, out);
  while (!early_packets_.empty() && !closing_) {
    mqtt::Packet p = std::move(early_packets_.front());
    early_packets_.pop_front();
    on_packet(std::move(p), now, out);
  }
  early_packets_.clear();
  pump(now, out);
}

void SessionMachine::send_connack(bool session_present, Actions& out) {
  mqtt::Connack ack;
  ack.session_present = session_present;
  if (is_v5(version_)) {
    mqtt::Properties& p = ack.properties;
    if (client_id_assigned_) p.assigned_client_identifier = client_id_;
    if (expiry_interval_ != requested_expiry_) p.session_expiry_interval = expiry_interval_;
    if (limits_.receive_maximum != 65'535) p.receive_maximum = limits_.receive_maximum;
    p.maximum_packet_size = limits_.maximum_packet_size;
    if (limits_.topic_alias_maximum > 0) p.topic_alias_maximum = limits_.topic_alias_maximum;
    if (limits_.maximum_qos != QoS::kExactlyOnce) {
      p.maximum_qos = static_cast<std::uint8_t>(limits_.maximum_qos);
    }
    if (!limits_.retain_available) p.retain_available = 0;
    if (!limits_.wildcard_subscription_available) p.wildcard_subscription_available = 0;
    if (!limits_.subscription_identifiers_available) p.subscription_identifier_available = 0;
    if (!limits_.shared_subscription_available) p.shared_subscription_available = 0;
    if (keep_alive_ != 0 && limits_.max_keep_alive != 0 && keep_alive_ == limits_.max_keep_alive) {
      p.server_keep_alive = keep_alive_;
    }
  }
  out.push_back(SendPacket{std::move(ack)});
}

void SessionMachine::refuse_connect(ReasonCode reason, const char* why, Actions& out) {
  // Only an accepted CONNECT stores its will [MQTT-3.1.2-8].
  will_.reset();
  mqtt::Connack ack;
  ack.reason_code = reason;
  if (is_v5(version_) && request_problem_information_) {
    ack.properties.reason_string = why;
    // [MQTT-3.2.2-19]: not if it takes CONNACK over the client's Maximum Packet Size.
    if (mqtt::encoded_size(ack, version_) > client_max_packet_size_) {
      ack.properties.reason_string.reset();
    }
  }
  out.push_back(SendPacket{std::move(ack)});
  closing_ = true;
  out.push_back(CloseConnection{reason, why});
}

}  // namespace cairn::session
