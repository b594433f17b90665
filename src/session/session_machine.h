// SessionMachine: the MQTT protocol of one client connection, server side,
// for MQTT 3.1, 3.1.1 and 5.0. Pure: events in, actions out (actions.h). It
// reads no clock (callers pass `now`), calls no store and opens no socket.
//
// Life: constructed when a connection is accepted; the first packet must be
// CONNECT; AttachSession asks the broker for the client's SessionState, which
// stays attached (the driver holding its lock around every call) until the
// connection closes. Everything that must survive the connection lives in
// SessionState; the rest (version, aliases, flow control) dies with this.
//
// Ordering: acknowledgements leave in the order their packets arrived
// ([MQTT-4.6.0-2..4]) even when some wait for a commit and others do not, so
// every PUBACK, PUBREC, PUBCOMP, SUBACK and UNSUBACK goes through one FIFO
// released from the front as requests complete. Acks of QoS 1/2 PUBLISHes, and
// CONNACK of a persistent session, exist only after on_committed (D1).
//
// Threading: none of its own; the driver calls it from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/ring_queue.h"
#include "model/message.h"
#include "mqtt/decode_result.h"
#include "mqtt/packet.h"
#include "session/actions.h"
#include "session/limits.h"
#include "session/session_state.h"

namespace cairn::session {

class SessionMachine {
 public:
  // A client connecting with an empty client identifier, where the protocol
  // allows the server to assign one [MQTT-3.1.3-6], gets
  // limits.assigned_client_id_prefix + `connection_number`; the driver keeps
  // the numbers unique. Built only then: most clients name themselves.
  // REQUIRES: `limits` outlives the machine.
  SessionMachine(const SessionLimits& limits, std::uint64_t connection_number);

  // --- from the connection --------------------------------------------------
  void on_packet(mqtt::Packet&& packet, model::WallTime now, Actions& out);
  // The decoder refused the input: say why (CONNACK before the session exists,
  // DISCONNECT in 5.0 after) and close.
  void on_decode_error(const mqtt::DecodeError& error, Actions& out);
  // Nothing arrived for 1.5 × the keep alive [MQTT-3.1.2-22].
  void on_keep_alive_timeout(Actions& out);
  // The broker closes this connection: takeover (0x8E), shutdown (0x8B).
  void on_kicked(mqtt::ReasonCode reason, Actions& out);
  // The network connection is gone (peer, I/O error, or our own close).
  // Schedules the will unless a normal DISCONNECT cancelled it, and detaches
  // the session. Idempotent. `session_taken`: another connection has taken
  // the session over (or it ended), so its state is not this one's to change.
  void on_connection_closed(Actions& out, bool session_taken = false);

  // --- completions from the driver -----------------------------------------
  // The driver's answer to Authenticate: refuse the CONNECT (CONNACK with
  // the reason) or go on to attach the session, the will's topic checked
  // against the ACL first (0x87 Not authorized when it may not be written).
  void on_authenticated(AuthResult&& result, Actions& out);
  // `discarded_stored`: Clean Start ended a session the store held; the
  // CONNACK waits until its removal is durable, whatever the new session is.
  void on_attached(SessionState& state, bool session_present, model::WallTime now, Actions& out,
                   bool discarded_stored = false);
  void on_committed(Token token, model::WallTime now, Actions& out);
  // The store could not commit (D8), or refused (`reason` 0x97 when the data
  // volume is low on space): refuse what waited on it, never ack it. MQTT 5
  // PUBACK/PUBREC carry `reason`; anything else closes the connection.
  // `why` (a static string) is what the log and a 3.x close say: what refused it.
  void on_commit_failed(Token token, Actions& out,
                        mqtt::ReasonCode reason = mqtt::ReasonCode::kUnspecifiedError,
                        const char* why = nullptr);
  void on_subscribed(Token token, const std::vector<SubscribeResult>& results, model::WallTime now,
                     Actions& out);
  void on_unsubscribed(Token token, const std::vector<bool>& existed, Actions& out);
  // Deliveries were queued in the attached SessionState, or the in-flight
  // window may have room: send what it allows, and what the output room
  // allows (set_output_room).
  void pump(model::WallTime now, Actions& out);
  // The bytes the driver's output buffer has room for (its bound minus what
  // waits in it), told before each call: a pump takes deliveries from the
  // queue only until their footprints fill it (the first one always goes).
  // A slow reader's backlog, QoS 0 included, then waits in its session,
  // where the queue limits and paging apply, not encoded in the output
  // buffer (issue 17, item 4). Unlimited until set.
  void set_output_room(std::size_t bytes) noexcept { output_room_ = bytes; }
  // Queues one delivery (a retained message after SUBACK, or a routed one the
  // driver hands over directly) and sends it if the window allows.
  void deliver(Delivery delivery, model::WallTime now, Actions& out);

  // --- observers -------------------------------------------------------------
  mqtt::ProtocolVersion version() const noexcept { return version_; }
  bool connected() const noexcept { return phase_ == Phase::kConnected; }
  bool closed() const noexcept { return phase_ == Phase::kClosed; }
  const std::string& client_id() const noexcept { return client_id_; }
  // The authenticated user name (nullopt: anonymous, or not yet known).
  const std::optional<std::string>& username() const noexcept { return username_; }
  // The largest packet the client accepts (its Maximum Packet Size).
  std::uint32_t client_maximum_packet_size() const noexcept { return client_max_packet_size_; }

 private:
  enum class Phase : std::uint8_t {
    kAwaitConnect,    // nothing but CONNECT is allowed [MQTT-3.1.0-1]
    kAuthenticating,  // CONNECT valid; waiting for the driver's AuthResult
    kAttaching,       // CONNECT accepted; waiting for the session and its commit
    kConnected,
    kClosed,
  };

  // One entry of the acknowledgement FIFO.
  struct PendingAck {
    Token token = 0;
    bool ready = false;
    std::optional<mqtt::Packet> packet;  // what to send once ready (none: nothing)
    // Incoming QoS 1/2 flow-control slot released when this ack is sent.
    bool frees_receive_slot = false;
    // A QoS 2 PUBLISH's PUBREC: its dedup entry becomes committed (D4).
    std::uint16_t qos2_packet_id = 0;
    // SUBSCRIBE: what the broker was asked for, where each request's answer
    // goes in the SUBACK, and the retained messages to send after it.
    std::vector<std::optional<mqtt::ReasonCode>> suback_codes;
    std::vector<SubscribeRequest> requests;
    std::vector<SubscribeRequest> retained_after;
  };

  void handle_connect(mqtt::Connect&& connect, model::WallTime now, Actions& out);
  void handle_publish(mqtt::Publish&& publish, model::WallTime now, Actions& out);
  void handle_puback(std::uint16_t packet_id, Actions& out);
  void handle_pubrec(const mqtt::Pubrec& pubrec, Actions& out);
  void handle_pubrel(const mqtt::Pubrel& pubrel, Actions& out);
  void handle_pubcomp(std::uint16_t packet_id, Actions& out);
  void handle_subscribe(mqtt::Subscribe&& subscribe, Actions& out);
  void handle_unsubscribe(mqtt::Unsubscribe&& unsubscribe, Actions& out);
  void handle_disconnect(const mqtt::Disconnect& disconnect, Actions& out);

  void refuse_connect(mqtt::ReasonCode reason, const char* why, Actions& out);
  // Ends the connection with `reason`: DISCONNECT first when 5.0 and connected.
  void disconnect(mqtt::ReasonCode reason, const char* why, Actions& out);
  void send_connack(bool session_present, Actions& out);
  void complete_connect(bool session_present, model::WallTime now, Actions& out);
  void resend_inflight(model::WallTime now, Actions& out);
  bool resend_publish(const Inflight& f, model::WallTime now, Actions& out);
  void resend_awaiting(model::WallTime now, Actions& out);
  std::size_t outstanding() const noexcept;
  void settle_resend(Inflight& f) noexcept;
  void send_delivery(Delivery&& delivery, model::WallTime now, Actions& out);
  std::shared_ptr<const mqtt::Properties> outgoing_properties(
      const model::Message& m, const std::vector<std::uint32_t>& subscription_ids,
      std::uint16_t topic_alias, model::WallTime now) const;
  std::uint16_t allocate_packet_id();
  void release_packet_id(std::uint16_t packet_id);
  Token enqueue_ack(std::optional<mqtt::Packet> packet, bool frees_receive_slot, bool ready);
  void flush_acks(Actions& out);
  PendingAck* find_ack(Token token);
  // Whether a PUBREC of this connection waits for the commit of `packet_id`.
  bool awaiting_commit_of(std::uint16_t packet_id) const;
  std::uint16_t send_window() const noexcept;
  bool topic_within_limits(std::string_view topic) const noexcept;
  // The ACL's answer for this client (limits_.access; none allows all).
  bool allowed(std::string_view topic, model::TopicAccess access) const;
  std::optional<model::Message> will_message() const;
  std::optional<ScheduleWill> scheduled_will() const;
  void flush_parked(Actions& out);

  const SessionLimits& limits_;      // shared by every connection; outlives them
  std::uint64_t connection_number_;  // names an assigned client identifier
  Phase phase_ = Phase::kAwaitConnect;
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::kV311;
  SessionState* state_ = nullptr;  // attached session; owned by the broker
  std::string client_id_;
  bool client_id_assigned_ = false;
  std::optional<std::string> username_;  // set by on_authenticated
  bool clean_start_ = true;
  std::uint32_t expiry_interval_ = 0;
  std::uint16_t keep_alive_ = 0;
  Token connect_token_ = 0;  // StoreSession that CONNACK waits for
  bool session_present_ = false;
  std::uint32_t requested_expiry_ = 0;  // what the client asked for, before limits

  // The client's limits on what we send it (MQTT 5 CONNECT properties).
  std::uint16_t client_receive_maximum_ = 65'535;
  // In-flight entries waiting to be re-sent on this connection (they are in
  // state_->inflight but do not count against the window until sent).
  std::size_t awaiting_resend_ = 0;
  std::uint32_t client_max_packet_size_ = 0xFFFFFFFF;
  std::uint16_t client_topic_alias_maximum_ = 0;
  bool request_problem_information_ = true;

  // Incoming QoS 1/2 PUBLISHes not yet acknowledged, against our Receive Maximum.
  std::uint16_t receive_slots_used_ = 0;
  // Topic aliases the client set towards us, by alias (index 0 unused).
  std::vector<std::string> inbound_aliases_;

  // Topic aliases we set towards the client (MQTT 5), by topic.
  std::unordered_map<std::string, std::uint16_t> outbound_aliases_;

  // Rare and large (its Properties alone are ~500 bytes): on the heap, so a
  // connection without a will stays small.
  std::unique_ptr<mqtt::Will> will_;
  bool will_cancelled_ = false;
  bool closing_ = false;  // a CloseConnection is out: ignore further input

  // Packets that arrived after CONNECT, before its CONNACK [MQTT-3.1.4-5]:
  // handled once the session is attached.
  base::RingQueue<mqtt::Packet> early_packets_;
  // QoS 2 deliveries whose PUBREL waits for RecordPubrel's commit, by token.
  std::unordered_map<Token, std::uint16_t> pending_pubrels_;
  // PUBLISHes held back: a QoS 2 one until its RecordSent commits (token),
  // and every one after it (token 0) so that none overtakes it [MQTT-4.6.0-6].
  struct ParkedPublish {
    Token token = 0;
    SendPublish publish;
  };
  base::RingQueue<ParkedPublish> parked_;

  Token next_token_ = 1;
  std::size_t output_room_ = static_cast<std::size_t>(-1);
  base::RingQueue<PendingAck> acks_;
};

}  // namespace cairn::session
