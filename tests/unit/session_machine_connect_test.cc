// SessionMachine: CONNECT and CONNACK for MQTT 3.1, 3.1.1 and 5.0 ([MQTT-3.1],
// [MQTT-3.2]), and D1's rule that a persistent session's CONNACK waits for
// its record to commit.
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::AttachSession;
using session::CloseConnection;
using session::SetKeepAlive;
using session::StoreSession;
using Kinds = std::vector<std::string>;

constexpr std::uint32_t kNever = 0xFFFFFFFF;

TEST(SessionMachineConnect, FirstPacketNotConnectClosesWithoutSendingAnything) {
  // [MQTT-3.1.0-1]: no CONNACK to a client that never sent CONNECT.
  SessionHarness h;
  h.packet(mqtt::Pingreq{});
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kProtocolError);
  h.packet(make_connect(ProtocolVersion::kV5, "late"));
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachineConnect, PublishAsFirstPacketClosesWithoutSendingAnything) {
  SessionHarness h;
  h.packet(make_publish("a", QoS::kAtLeastOnce, 1));
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
}

TEST(SessionMachineConnect, CleanSessionV311ConnackRightAfterAttached) {
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV311, "c1", /*clean_start=*/true));
  EXPECT_EQ(h.kinds(), Kinds{"AttachSession"}) << h.describe();
  const auto attach = h.single<AttachSession>();
  EXPECT_EQ(attach.client_id, "c1");
  EXPECT_TRUE(attach.clean_start);
  EXPECT_EQ(attach.expiry_interval, 0u);

  h.attach(/*session_present=*/false);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive"})) << h.describe();
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kSuccess);
  EXPECT_FALSE(connack.session_present);
  EXPECT_EQ(connack.properties, mqtt::Properties{});  // 3.1.1 has none
  EXPECT_EQ(h.single<SetKeepAlive>().seconds, 60);
  EXPECT_TRUE(h.machine->connected());
  EXPECT_EQ(h.state.client_id, "c1");
  EXPECT_EQ(h.state.expiry_interval, 0u);
}

TEST(SessionMachineConnect, CleanStartV5ConnackRightAfterAttached) {
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));
  h.attach(false);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive"})) << h.describe();
}

TEST(SessionMachineConnect, PersistentV311ConnackOnlyAfterStoreSessionCommits) {
  // D1: CONNACK of a persistent session only after its record is committed.
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV311, "c1", /*clean_start=*/false));
  const auto attach = h.single<AttachSession>();
  EXPECT_FALSE(attach.clean_start);
  EXPECT_EQ(attach.expiry_interval, kNever);  // 3.x Clean Session 0 never expires

  h.attach(/*session_present=*/true);
  EXPECT_EQ(h.kinds(), Kinds{"StoreSession"}) << h.describe();
  const auto store = h.single<StoreSession>();
  EXPECT_NE(store.token, 0u);
  EXPECT_EQ(store.expiry_interval, kNever);
  EXPECT_FALSE(h.machine->connected());

  h.commit(store.token + 1000);  // someone else's token: nothing
  EXPECT_TRUE(h.last.empty()) << h.describe();

  h.commit(store.token);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive"})) << h.describe();
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(connack.session_present);  // [MQTT-3.2.2-2]
  EXPECT_TRUE(h.machine->connected());
}

TEST(SessionMachineConnect, PersistentV5ConnackOnlyAfterStoreSessionCommits) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1", /*clean_start=*/false);
  c.properties.session_expiry_interval = 300;
  h.packet(std::move(c));
  EXPECT_EQ(h.single<AttachSession>().expiry_interval, 300u);
  h.attach(/*session_present=*/false);
  EXPECT_EQ(h.kinds(), Kinds{"StoreSession"}) << h.describe();
  const auto store = h.single<StoreSession>();
  EXPECT_EQ(store.expiry_interval, 300u);
  h.commit(store.token);
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_FALSE(connack.session_present);
  EXPECT_FALSE(connack.properties.session_expiry_interval);  // not lowered
}

TEST(SessionMachineConnect, SessionThatStopsBeingPersistentIsStoredBeforeConnack) {
  // The old record must go before CONNACK claims a clean session.
  SessionHarness h;
  h.state.expiry_interval = 100;
  h.packet(make_connect(ProtocolVersion::kV5, "c1", /*clean_start=*/true));
  h.attach(/*session_present=*/true);
  EXPECT_EQ(h.kinds(), Kinds{"StoreSession"}) << h.describe();
  EXPECT_EQ(h.single<StoreSession>().expiry_interval, 0u);
  h.commit(h.single<StoreSession>().token);
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_FALSE(connack.session_present);  // Clean Start: never present [MQTT-3.2.2-2]
}

TEST(SessionMachineConnect, CleanSessionV311NeverReportsSessionPresent) {
  // [MQTT-3.2.2-1]: Clean Session 1 gives Session Present 0.
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV311, "c1", /*clean_start=*/true));
  h.attach(/*session_present=*/true);
  EXPECT_FALSE(h.sent_one<mqtt::Connack>().session_present);
}

TEST(SessionMachineConnect, SessionStoreFailureRefusesConnectAndDropsWill) {
  // D8: no CONNACK 0 for a session that was not stored. A refused CONNECT
  // was never accepted, so its will is not kept [MQTT-3.1.2-8].
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1", false);
  c.properties.session_expiry_interval = 60;
  c.will = make_will("will/t", "bye");
  h.packet(std::move(c));
  h.attach(false);
  h.commit_failed(h.single<StoreSession>().token);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kServerUnavailable);
  EXPECT_FALSE(h.machine->connected());
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
  // The session this CONNECT created ends with it: the client was never
  // told it exists, and a later resume must not find it present.
  EXPECT_EQ(h.single<session::DetachSession>().expiry_interval, 0u);
}

TEST(SessionMachineConnect, RefusedResumeKeepsTheSessionItFound) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1", false);
  c.properties.session_expiry_interval = 60;
  h.packet(std::move(c));
  h.attach(/*session_present=*/true);
  h.commit_failed(h.single<StoreSession>().token);
  h.closed();
  EXPECT_EQ(h.single<session::DetachSession>().expiry_interval, 60u);  // stored before: kept
}

TEST(SessionMachineConnect, NewPersistentSessionRefusedForSpaceGetsQuotaExceeded) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1", false);
  c.properties.session_expiry_interval = 60;
  h.packet(std::move(c));
  h.attach(false);
  h.commit_failed(h.single<StoreSession>().token, ReasonCode::kQuotaExceeded);
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kQuotaExceeded);
}

TEST(SessionMachineConnect, EmptyClientIdV311WithoutCleanSessionIsRejected) {
  // [MQTT-3.1.3-8]: CONNACK return code 0x02 (Identifier rejected), then close.
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV311, "", /*clean_start=*/false));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kClientIdentifierNotValid);
  EXPECT_EQ(mqtt::to_v3_connack_code(connack.reason_code), 2);
  EXPECT_FALSE(connack.session_present);
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kClientIdentifierNotValid);
  h.closed();
  EXPECT_TRUE(h.last.empty()) << h.describe();  // no session, so no detach
}

TEST(SessionMachineConnect, EmptyClientIdV311WithCleanSessionIsAssignedOne) {
  // [MQTT-3.1.3-7]: allowed with Clean Session 1; the server names it.
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV311, "", /*clean_start=*/true));
  EXPECT_EQ(h.single<AttachSession>().client_id, "assigned-1");
  h.attach(false);
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(h.machine->client_id(), "assigned-1");
}

TEST(SessionMachineConnect, EmptyClientIdV5GetsAssignedClientIdentifier) {
  // [MQTT-3.1.3-6], [MQTT-3.2.2-16].
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV5, ""));
  EXPECT_EQ(h.single<AttachSession>().client_id, "assigned-1");
  h.attach(false);
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kSuccess);
  EXPECT_EQ(connack.properties.assigned_client_identifier, "assigned-1");
}

TEST(SessionMachineConnect, GivenClientIdV5HasNoAssignedClientIdentifier) {
  SessionHarness h;
  EXPECT_FALSE(h.connect_v5().properties.assigned_client_identifier);
}

TEST(SessionMachineConnect, EmptyClientIdV31IsRejected) {
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV31, "", true));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kClientIdentifierNotValid);
}

TEST(SessionMachineConnect, V31ClientIdLongerThan23CharactersIsRejected) {
  // MQTT 3.1 §3.1: the Client Identifier is 1 to 23 characters.
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV31, std::string(24, 'x')));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kClientIdentifierNotValid);

  SessionHarness ok;
  ok.packet(make_connect(ProtocolVersion::kV31, std::string(23, 'x')));
  EXPECT_EQ(ok.kinds(), Kinds{"AttachSession"}) << ok.describe();
}

TEST(SessionMachineConnect, LongClientIdIsFineInV311AndV5) {
  for (const auto v : {ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    SessionHarness h;
    h.packet(make_connect(v, std::string(100, 'x')));
    EXPECT_EQ(h.kinds(), Kinds{"AttachSession"}) << h.describe();
  }
}

TEST(SessionMachineConnect, AuthenticationMethodIsRefusedWithBadAuthenticationMethod) {
  // No enhanced authentication is configured: 0x8C [MQTT-3.2.2.2].
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.properties.authentication_method = "SCRAM-SHA-1";
  h.packet(std::move(c));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kBadAuthenticationMethod);
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kBadAuthenticationMethod);
}

TEST(SessionMachineConnect, RefusalReasonStringIsLeftOutAboveTheClientsMaximumPacketSize) {
  // [MQTT-3.2.2-19]: no Reason String that would take CONNACK over it.
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.properties.authentication_method = "SCRAM-SHA-1";
  c.properties.maximum_packet_size = 8;
  h.packet(std::move(c));
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kBadAuthenticationMethod);
  EXPECT_FALSE(connack.properties.reason_string);
}

TEST(SessionMachineConnect, SecondConnectV5IsAProtocolError) {
  // [MQTT-3.1.0-2].
  SessionHarness h;
  h.connect_v5();
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kProtocolError);
}

TEST(SessionMachineConnect, SecondConnectV311ClosesWithoutAPacket) {
  // 3.1.1 has no server DISCONNECT: the connection just closes [MQTT-3.1.0-2].
  SessionHarness h;
  h.connect_v311();
  h.packet(make_connect(ProtocolVersion::kV311, "c1"));
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
}

TEST(SessionMachineConnect, WillQoSAboveMaximumQoSIsRefused) {
  // [MQTT-3.2.2-12]: CONNACK 0x9B.
  session::SessionLimits limits;
  limits.maximum_qos = QoS::kAtLeastOnce;
  SessionHarness h(limits);
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.will = make_will("w", "x", QoS::kExactlyOnce);
  h.packet(std::move(c));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kQoSNotSupported);
}

TEST(SessionMachineConnect, WillQoSAtMaximumQoSIsAccepted) {
  session::SessionLimits limits;
  limits.maximum_qos = QoS::kAtLeastOnce;
  SessionHarness h(limits);
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.will = make_will("w", "x", QoS::kAtLeastOnce);
  h.packet(std::move(c));
  EXPECT_EQ(h.kinds(), Kinds{"AttachSession"}) << h.describe();
}

TEST(SessionMachineConnect, RetainedWillWithoutRetainAvailableIsRefused) {
  // [MQTT-3.2.2-13]: CONNACK 0x9A.
  session::SessionLimits limits;
  limits.retain_available = false;
  SessionHarness h(limits);
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.will = make_will("w", "x");
  c.will->retain = true;
  h.packet(std::move(c));
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kRetainNotSupported);
}

TEST(SessionMachineConnect, ConnackPropertiesWithDefaultLimits) {
  SessionHarness h;  // defaults: Receive Maximum 1024, 1 MiB, 64 aliases, QoS 2, all features
  const mqtt::Properties p = h.connect_v5().properties;
  EXPECT_EQ(p.receive_maximum, 1024);
  EXPECT_EQ(p.maximum_packet_size, 1024u * 1024u);
  EXPECT_EQ(p.topic_alias_maximum, 64);
  EXPECT_FALSE(p.maximum_qos);  // QoS 2 supported: absent [MQTT-3.2.2.3.4]
  EXPECT_FALSE(p.retain_available);
  EXPECT_FALSE(p.wildcard_subscription_available);
  EXPECT_FALSE(p.subscription_identifier_available);
  EXPECT_FALSE(p.shared_subscription_available);
  EXPECT_FALSE(p.server_keep_alive);
  EXPECT_FALSE(p.session_expiry_interval);
  EXPECT_FALSE(p.assigned_client_identifier);
  EXPECT_FALSE(p.reason_string);
}

TEST(SessionMachineConnect, ConnackPropertiesAnnounceEveryLimit) {
  session::SessionLimits limits;
  limits.receive_maximum = 10;
  limits.maximum_packet_size = 4096;
  limits.topic_alias_maximum = 0;
  limits.maximum_qos = QoS::kAtLeastOnce;
  limits.retain_available = false;
  limits.wildcard_subscription_available = false;
  limits.subscription_identifiers_available = false;
  limits.shared_subscription_available = false;
  SessionHarness h(limits);
  const mqtt::Properties p = h.connect_v5().properties;
  EXPECT_EQ(p.receive_maximum, 10);
  EXPECT_EQ(p.maximum_packet_size, 4096u);
  EXPECT_FALSE(p.topic_alias_maximum);  // absent means 0 [MQTT-3.2.2.3.8]
  EXPECT_EQ(p.maximum_qos, 1);
  EXPECT_EQ(p.retain_available, 0);
  EXPECT_EQ(p.wildcard_subscription_available, 0);
  EXPECT_EQ(p.subscription_identifier_available, 0);
  EXPECT_EQ(p.shared_subscription_available, 0);
}

TEST(SessionMachineConnect, MaximumQoSZeroIsAnnounced) {
  session::SessionLimits limits;
  limits.maximum_qos = QoS::kAtMostOnce;
  SessionHarness h(limits);
  EXPECT_EQ(h.connect_v5().properties.maximum_qos, 0);
}

TEST(SessionMachineConnect, ReceiveMaximumOf65535IsLeftOut) {
  session::SessionLimits limits;
  limits.receive_maximum = 65'535;  // the default when absent [MQTT-3.2.2.3.3]
  SessionHarness h(limits);
  EXPECT_FALSE(h.connect_v5().properties.receive_maximum);
}

TEST(SessionMachineConnect, ServerKeepAliveWhenTheClientAsksForMore) {
  // [MQTT-3.2.2-21]: the client uses Server Keep Alive instead of its own.
  session::SessionLimits limits;
  limits.max_keep_alive = 30;
  SessionHarness h(limits);
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));  // asks for 60
  h.attach(false);
  EXPECT_EQ(h.sent_one<mqtt::Connack>().properties.server_keep_alive, 30);
  EXPECT_EQ(h.single<SetKeepAlive>().seconds, 30);
}

TEST(SessionMachineConnect, ServerKeepAliveWhenTheClientAsksForNone) {
  session::SessionLimits limits;
  limits.max_keep_alive = 30;
  SessionHarness h(limits);
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.keep_alive = 0;
  h.packet(std::move(c));
  h.attach(false);
  EXPECT_EQ(h.sent_one<mqtt::Connack>().properties.server_keep_alive, 30);
  EXPECT_EQ(h.single<SetKeepAlive>().seconds, 30);
}

TEST(SessionMachineConnect, NoServerKeepAliveWithinTheLimit) {
  session::SessionLimits limits;
  limits.max_keep_alive = 120;
  SessionHarness h(limits);
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));  // 60
  h.attach(false);
  EXPECT_FALSE(h.sent_one<mqtt::Connack>().properties.server_keep_alive);
  EXPECT_EQ(h.single<SetKeepAlive>().seconds, 60);
}

TEST(SessionMachineConnect, V311KeepsItsOwnKeepAlive) {
  // 3.1.1 has no Server Keep Alive to announce a lower value with.
  session::SessionLimits limits;
  limits.max_keep_alive = 30;
  SessionHarness h(limits);
  h.packet(make_connect(ProtocolVersion::kV311, "c1"));
  h.attach(false);
  EXPECT_EQ(h.single<SetKeepAlive>().seconds, 60);
}

TEST(SessionMachineConnect, LoweredSessionExpiryIsAnnounced) {
  // [MQTT-3.2.2.3.2]: the server's Session Expiry Interval replaces the client's.
  session::SessionLimits limits;
  limits.max_session_expiry = 100;
  SessionHarness h(limits);
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.properties.session_expiry_interval = 1000;
  h.packet(std::move(c));
  EXPECT_EQ(h.single<AttachSession>().expiry_interval, 100u);
  h.attach(false);
  EXPECT_EQ(h.single<StoreSession>().expiry_interval, 100u);
  h.commit(h.single<StoreSession>().token);
  EXPECT_EQ(h.sent_one<mqtt::Connack>().properties.session_expiry_interval, 100u);
  EXPECT_EQ(h.state.expiry_interval, 100u);
}

TEST(SessionMachineConnect, PacketsBeforeConnackAreHandledAfterItInOrder) {
  // [MQTT-3.1.4-5]: a client may send before CONNACK; the server answers
  // them only once the session exists, in the order they came.
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1", false);
  c.properties.session_expiry_interval = 60;
  h.packet(std::move(c));
  h.packet(mqtt::Pingreq{});
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.packet(make_subscribe(1, {make_filter("a/#")}));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.packet(make_publish("a/b", QoS::kAtMostOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.attach(false);
  EXPECT_EQ(h.kinds(), Kinds{"StoreSession"}) << h.describe();
  h.commit(h.single<StoreSession>().token);
  EXPECT_EQ(h.kinds(),
            (Kinds{"CONNACK", "SetKeepAlive", "PINGRESP", "ApplySubscribe", "RoutePublish"}))
      << h.describe();
  EXPECT_EQ(h.single<session::ApplySubscribe>().requests.at(0).filter, "a/#");
  EXPECT_EQ(h.single<session::RoutePublish>().message->topic, "a/b");
}

TEST(SessionMachineConnect, DisconnectBeforeConnackStopsTheRest) {
  SessionHarness h;
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));
  h.packet(make_disconnect());
  h.packet(make_publish("a", QoS::kAtMostOnce));
  h.attach(false);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive", "CloseConnection"})) << h.describe();
}

TEST(SessionMachineConnect, ConnectionLostWhileAttachingDetachesWhenAttached) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.will = make_will("will/t", "gone");
  h.packet(std::move(c));
  h.closed();
  EXPECT_TRUE(h.last.empty()) << h.describe();  // the broker has not answered yet
  h.attach(false);
  EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  EXPECT_TRUE(h.sent<mqtt::Connack>().empty());
  h.closed();  // idempotent
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachineConnect, ConnectionLostWhileStoringSessionSendsNoConnack) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV5, "c1");
  c.properties.session_expiry_interval = 60;
  h.packet(std::move(c));
  h.attach(false);
  const Token store = h.single<StoreSession>().token;
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
  EXPECT_EQ(h.single<session::DetachSession>().expiry_interval, 60u);
  h.commit(store);
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

}  // namespace
}  // namespace cairn::test
