// SessionHarness: drives one session::SessionMachine directly, with no driver,
// store or socket, and records what it asks for.
//
// It owns the SessionState the broker would own, a fixed `now` the tests move
// by hand, and the Actions of the last event (`last`) as well as of every
// event since the last forget() (`all`). Helpers build the packets a client
// sends and read back the packets the machine sends.
//
// Header-only, test-only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "model/message.h"
#include "model/qos.h"
#include "model/subscription.h"
#include "mqtt/decode_result.h"
#include "mqtt/packet.h"
#include "mqtt/packet_type.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"
#include "session/actions.h"
#include "session/limits.h"
#include "session/session_machine.h"
#include "session/session_state.h"
#include "support/mqtt_print.h"

namespace cairn::test {

using model::QoS;
using mqtt::ProtocolVersion;
using mqtt::ReasonCode;
using session::Token;

// --- what a client sends -------------------------------------------------------

inline mqtt::Connect make_connect(ProtocolVersion version, std::string client_id,
                                  bool clean_start = true) {
  mqtt::Connect c;
  c.version = version;
  c.client_id = std::move(client_id);
  c.clean_start = clean_start;
  c.keep_alive = 60;
  return c;
}

inline mqtt::Will make_will(std::string topic, std::string payload, QoS qos = QoS::kAtMostOnce) {
  mqtt::Will w;
  w.topic = std::move(topic);
  w.payload = std::move(payload);
  w.qos = qos;
  return w;
}

inline mqtt::Publish make_publish(std::string topic, QoS qos = QoS::kAtMostOnce,
                                  std::uint16_t packet_id = 0, std::string payload = "payload") {
  mqtt::Publish p;
  p.topic = std::move(topic);
  p.qos = qos;
  p.packet_id = packet_id;
  p.payload = std::move(payload);
  return p;
}

// PUBACK, PUBREC, PUBREL or PUBCOMP.
template <class P>
P make_response(std::uint16_t packet_id, ReasonCode reason = ReasonCode::kSuccess) {
  P p;
  p.packet_id = packet_id;
  p.reason_code = reason;
  return p;
}

inline mqtt::TopicSubscription make_filter(
    std::string filter, QoS max_qos = QoS::kAtLeastOnce,
    model::RetainHandling handling = model::RetainHandling::kSendOnSubscribe) {
  mqtt::TopicSubscription s;
  s.filter = std::move(filter);
  s.options.max_qos = max_qos;
  s.options.retain_handling = handling;
  return s;
}

inline mqtt::Subscribe make_subscribe(std::uint16_t packet_id,
                                      std::vector<mqtt::TopicSubscription> filters) {
  mqtt::Subscribe s;
  s.packet_id = packet_id;
  s.subscriptions = std::move(filters);
  return s;
}

inline mqtt::Unsubscribe make_unsubscribe(std::uint16_t packet_id,
                                          std::vector<std::string> filters) {
  mqtt::Unsubscribe u;
  u.packet_id = packet_id;
  u.filters = std::move(filters);
  return u;
}

inline mqtt::Disconnect make_disconnect(ReasonCode reason = ReasonCode::kNormalDisconnection) {
  mqtt::Disconnect d;
  d.reason_code = reason;
  return d;
}

inline session::SubscribeResult granted(QoS qos, bool existed = false) {
  session::SubscribeResult r;
  r.reason = static_cast<ReasonCode>(static_cast<std::uint8_t>(qos));
  r.existed = existed;
  return r;
}

inline session::SubscribeResult refused(ReasonCode reason) {
  session::SubscribeResult r;
  r.reason = reason;
  return r;
}

// --- what the broker routes to the client ----------------------------------------

inline model::MessagePtr make_message(std::string topic, std::string payload = "payload",
                                      QoS qos = QoS::kAtLeastOnce) {
  auto m = std::make_shared<model::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  return m;
}

inline session::Delivery make_delivery(model::MessagePtr message, QoS qos,
                                       std::uint64_t sequence = 0) {
  session::Delivery d;
  d.message = std::move(message);
  d.qos = qos;
  d.sequence = sequence;
  return d;
}

inline session::Delivery make_delivery(std::string topic, QoS qos, std::uint64_t sequence = 0) {
  return make_delivery(make_message(std::move(topic), "payload", qos), qos, sequence);
}

// --- reading actions -------------------------------------------------------------

// The PUBLISH a SendPublish writes, as a packet (it encodes to the same bytes).
inline mqtt::Publish to_publish(const session::SendPublish& send) {
  mqtt::Publish p;
  p.dup = send.dup;
  p.qos = send.qos;
  p.retain = send.retain;
  if (!send.topic_omitted) p.topic = send.message->topic;
  p.packet_id = send.packet_id;
  if (send.properties) p.properties = *send.properties;
  p.payload = send.message->payload;
  return p;
}

// The packet an action writes, if it writes one.
inline std::optional<mqtt::Packet> packet_of(const session::Action& action) {
  if (const auto* send = std::get_if<session::SendPacket>(&action)) return send->packet;
  if (const auto* publish = std::get_if<session::SendPublish>(&action)) {
    return mqtt::Packet(to_publish(*publish));
  }
  return std::nullopt;
}

// A short name for an action, for whole-sequence assertions and failure
// messages: "PUBACK", "CONNACK", ... for SendPacket, the action's name else.
inline std::string kind(const session::Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, session::SendPacket>) {
          return std::string(mqtt::packet_type_name(mqtt::packet_type(a.packet)));
        } else if constexpr (std::is_same_v<A, session::SendPublish>) {
          return "PUBLISH";
        } else if constexpr (std::is_same_v<A, session::CloseConnection>) {
          return "CloseConnection";
        } else if constexpr (std::is_same_v<A, session::Authenticate>) {
          return "Authenticate";
        } else if constexpr (std::is_same_v<A, session::AccessDenied>) {
          return "AccessDenied";
        } else if constexpr (std::is_same_v<A, session::AttachSession>) {
          return "AttachSession";
        } else if constexpr (std::is_same_v<A, session::RoutePublish>) {
          return "RoutePublish";
        } else if constexpr (std::is_same_v<A, session::ReleaseIncoming>) {
          return "ReleaseIncoming";
        } else if constexpr (std::is_same_v<A, session::ApplySubscribe>) {
          return "ApplySubscribe";
        } else if constexpr (std::is_same_v<A, session::SendRetained>) {
          return "SendRetained";
        } else if constexpr (std::is_same_v<A, session::ApplyUnsubscribe>) {
          return "ApplyUnsubscribe";
        } else if constexpr (std::is_same_v<A, session::DeliveryDone>) {
          return "DeliveryDone";
        } else if constexpr (std::is_same_v<A, session::RecordSent>) {
          return "RecordSent";
        } else if constexpr (std::is_same_v<A, session::RecordPubrel>) {
          return "RecordPubrel";
        } else if constexpr (std::is_same_v<A, session::StoreSession>) {
          return "StoreSession";
        } else if constexpr (std::is_same_v<A, session::SetKeepAlive>) {
          return "SetKeepAlive";
        } else if constexpr (std::is_same_v<A, session::ScheduleWill>) {
          return "ScheduleWill";
        } else if constexpr (std::is_same_v<A, session::AwaitStore>) {
          return "AwaitStore";
        } else {
          static_assert(std::is_same_v<A, session::DetachSession>);
          return "DetachSession";
        }
      },
      action);
}

inline std::vector<std::string> kinds(const session::Actions& actions) {
  std::vector<std::string> out;
  out.reserve(actions.size());
  for (const auto& a : actions) out.push_back(kind(a));
  return out;
}

// The actions as text, packets in full, for failure messages.
inline std::string describe(const session::Actions& actions) {
  std::ostringstream os;
  os << actions.size() << " action(s):";
  for (const auto& a : actions) {
    os << "\n  " << kind(a);
    if (const auto packet = packet_of(a)) {
      os << ' ';
      mqtt::PrintTo(*packet, &os);
    }
  }
  return os.str();
}

// Every action of type A, in order.
template <class A>
std::vector<A> only(const session::Actions& actions) {
  std::vector<A> out;
  for (const auto& a : actions) {
    if (const auto* x = std::get_if<A>(&a)) out.push_back(*x);
  }
  return out;
}

// Every packet of type P sent, in order.
template <class P>
std::vector<P> sent(const session::Actions& actions) {
  std::vector<P> out;
  for (const auto& a : actions) {
    if (const auto packet = packet_of(a)) {
      if (const auto* p = std::get_if<P>(&*packet)) out.push_back(*p);
    }
  }
  return out;
}

// Every packet sent, in order.
inline std::vector<mqtt::Packet> packets(const session::Actions& actions) {
  std::vector<mqtt::Packet> out;
  for (const auto& a : actions) {
    if (auto packet = packet_of(a)) out.push_back(std::move(*packet));
  }
  return out;
}

// --- the harness -------------------------------------------------------------------

class SessionHarness {
 public:
  // 2024-01-01T00:00:00Z: far from the epoch, so expiry arithmetic is real.
  static constexpr std::chrono::seconds kStart{1'704'067'200};

  explicit SessionHarness(session::SessionLimits limits = {}, std::uint64_t connection_number = 1)
      : limits(limits),
        connection_number(connection_number),
        machine(std::make_unique<session::SessionMachine>(this->limits, connection_number)) {
    this->limits.assigned_client_id_prefix = "assigned-";
    state.id = 7;
  }

  session::SessionLimits limits;
  std::uint64_t connection_number = 1;
  session::SessionState state;
  std::unique_ptr<session::SessionMachine> machine;
  model::WallTime now{kStart};
  session::Actions last;  // what the last event produced
  session::Actions all;   // what every event since forget() produced
  // When set, an Authenticate is answered at once, as a driver with no
  // authentication configured does: accepted, under the CONNECT's user name,
  // and the Authenticate itself is left out of `last`. Tests of
  // authentication clear it and answer with authenticated().
  bool auto_authenticate = true;

  // --- events ---
  void packet(mqtt::Packet p) {
    run([&](session::Actions& out) {
      machine->on_packet(std::move(p), now, out);
      if (auto_authenticate) answer_authenticate(out);
    });
  }
  void authenticated(session::AuthResult result) {
    run([&](session::Actions& out) { machine->on_authenticated(std::move(result), out); });
  }
  void attach(bool session_present = false) {
    run([&](session::Actions& out) { machine->on_attached(state, session_present, now, out); });
  }
  void commit(Token token) {
    run([&](session::Actions& out) { machine->on_committed(token, now, out); });
  }
  void commit_failed(Token token, mqtt::ReasonCode reason = mqtt::ReasonCode::kUnspecifiedError) {
    run([&](session::Actions& out) { machine->on_commit_failed(token, out, reason); });
  }
  void subscribed(Token token, const std::vector<session::SubscribeResult>& results) {
    run([&](session::Actions& out) { machine->on_subscribed(token, results, now, out); });
  }
  void unsubscribed(Token token, const std::vector<bool>& existed) {
    run([&](session::Actions& out) { machine->on_unsubscribed(token, existed, out); });
  }
  void deliver(session::Delivery d) {
    run([&](session::Actions& out) { machine->deliver(std::move(d), now, out); });
  }
  void pump() {
    run([&](session::Actions& out) { machine->pump(now, out); });
  }
  void closed() {
    run([&](session::Actions& out) { machine->on_connection_closed(out); });
  }
  void kicked(ReasonCode reason) {
    run([&](session::Actions& out) { machine->on_kicked(reason, out); });
  }
  void keep_alive_timeout() {
    run([&](session::Actions& out) { machine->on_keep_alive_timeout(out); });
  }
  void decode_error(ReasonCode reason, const char* why = "test") {
    mqtt::DecodeError e;
    e.reason = reason;
    e.why = why;
    run([&](session::Actions& out) { machine->on_decode_error(e, out); });
  }
  void forget() {
    last.clear();
    all.clear();
  }

  // --- connecting ---
  // CONNECT, then the session attached and (when asked for) stored: the
  // connection is up, and `all` holds everything that took. Returns the CONNACK.
  mqtt::Connack establish(mqtt::Connect c, bool session_present = false) {
    packet(std::move(c));
    EXPECT_EQ(only<session::AttachSession>().size(), 1u) << test::describe(last);
    attach(session_present);
    if (auto stores = only<session::StoreSession>(); !stores.empty()) commit(stores[0].token);
    const auto acks = sent<mqtt::Connack>();
    EXPECT_EQ(acks.size(), 1u) << test::describe(last);
    EXPECT_TRUE(machine->connected()) << test::describe(last);
    return acks.empty() ? mqtt::Connack{} : acks[0];
  }
  // A connected MQTT 5 client with this Session Expiry Interval (Clean Start
  // 0 when it is non-zero), actions forgotten. Returns the CONNACK.
  mqtt::Connack connect_v5(std::uint32_t session_expiry = 0, std::string client_id = "client-1") {
    const mqtt::Connack ack = establish(v5_connect(session_expiry, std::move(client_id)));
    forget();
    return ack;
  }
  // A connected MQTT 3.1.1 client, actions forgotten. Returns the CONNACK.
  mqtt::Connack connect_v311(bool clean_session = true, std::string client_id = "client-1") {
    const mqtt::Connack ack =
        establish(make_connect(ProtocolVersion::kV311, std::move(client_id), clean_session));
    forget();
    return ack;
  }
  static mqtt::Connect v5_connect(std::uint32_t session_expiry = 0,
                                  std::string client_id = "client-1") {
    mqtt::Connect c = make_connect(ProtocolVersion::kV5, std::move(client_id), session_expiry == 0);
    if (session_expiry != 0) c.properties.session_expiry_interval = session_expiry;
    return c;
  }
  // The connection drops; a new machine connects to the same SessionState.
  // `last` holds what the CONNACK came with, `all` the whole reconnection.
  // Returns the CONNACK.
  mqtt::Connack reconnect(mqtt::Connect c, bool session_present = true) {
    if (!machine->closed()) closed();
    machine = std::make_unique<session::SessionMachine>(limits, connection_number);
    forget();
    return establish(std::move(c), session_present);
  }

  // --- reading what the last event produced ---
  template <class A>
  std::vector<A> only() const {
    return test::only<A>(last);
  }
  // The one action of type A of the last event (a failure when not exactly one).
  template <class A>
  A single() const {
    const auto xs = only<A>();
    EXPECT_EQ(xs.size(), 1u) << test::describe(last);
    return xs.empty() ? A{} : xs[0];
  }
  template <class P>
  std::vector<P> sent() const {
    return test::sent<P>(last);
  }
  // The one packet of type P sent by the last event (a failure when not exactly one).
  template <class P>
  P sent_one() const {
    const auto ps = sent<P>();
    EXPECT_EQ(ps.size(), 1u) << test::describe(last);
    return ps.empty() ? P{} : ps[0];
  }
  std::vector<mqtt::Packet> packets() const { return test::packets(last); }
  std::vector<std::string> kinds() const { return test::kinds(last); }
  std::string describe() const { return test::describe(last); }

  // --- common flows ---
  // A QoS 1/2 PUBLISH from the client; returns the token of its RoutePublish.
  Token publish(std::string topic, QoS qos, std::uint16_t packet_id) {
    packet(make_publish(std::move(topic), qos, packet_id));
    const auto routes = only<session::RoutePublish>();
    EXPECT_EQ(routes.size(), 1u) << test::describe(last);
    return routes.empty() ? 0 : routes[0].token;
  }

 private:
  void answer_authenticate(session::Actions& out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (auto* a = std::get_if<session::Authenticate>(&out[i])) {
        session::AuthResult accepted;
        accepted.username = a->username;
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        machine->on_authenticated(std::move(accepted), out);
        return;
      }
    }
  }

  template <class F>
  void run(F&& f) {
    last.clear();
    std::forward<F>(f)(last);
    all.insert(all.end(), last.begin(), last.end());
  }
};

}  // namespace cairn::test
