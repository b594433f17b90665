// SessionMachine: how connections end. DISCONNECT from the client ([MQTT-3.14])
// with wills ([MQTT-3.1.2-8..10], §3.1.3.2) and Session Expiry updates; closes
// without one; keep-alive timeouts ([MQTT-3.1.2-22]); takeover ([MQTT-3.1.4-3]);
// decode errors before and after CONNECT; PINGREQ.
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::CloseConnection;
using session::DetachSession;
using session::ScheduleWill;
using Kinds = std::vector<std::string>;

// An MQTT 5 CONNECT with a will; `delay` is its Will Delay Interval.
mqtt::Connect v5_with_will(std::uint32_t session_expiry, std::optional<std::uint32_t> delay) {
  auto c = SessionHarness::v5_connect(session_expiry);
  c.will = make_will("will/topic", "gone", QoS::kAtLeastOnce);
  c.will->properties.will_delay_interval = delay;
  return c;
}

TEST(SessionMachineDisconnect, NormalDisconnectCancelsTheWill) {
  // [MQTT-3.1.2-10], [MQTT-3.14.4-3]: a normal DISCONNECT deletes the will.
  SessionHarness h;
  h.establish(v5_with_will(120, std::nullopt));
  h.packet(make_disconnect());
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  EXPECT_TRUE(h.packets().empty());  // the server answers a DISCONNECT with nothing
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 120u);
}

TEST(SessionMachineDisconnect, NormalDisconnectV311CancelsTheWill) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV311, "c1", false);
  c.will = make_will("w", "x");
  h.establish(c);
  h.packet(make_disconnect());
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 0xFFFFFFFFu);
}

TEST(SessionMachineDisconnect, DisconnectWithWillMessageKeepsTheWill) {
  // 0x04 (Disconnect with Will Message): the will is published.
  SessionHarness h;
  h.establish(v5_with_will(0, std::nullopt));
  h.packet(make_disconnect(ReasonCode::kDisconnectWithWillMessage));
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  h.closed();
  EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
}

TEST(SessionMachineDisconnect, DisconnectWithAnErrorReasonKeepsTheWill) {
  // §3.1.2.5: only a DISCONNECT with 0x00 (Normal disconnection) deletes the
  // will [MQTT-3.14.4-3]; a client reporting an error still gets it published.
  for (const auto reason : {ReasonCode::kUnspecifiedError, ReasonCode::kProtocolError,
                            ReasonCode::kMessageRateTooHigh}) {
    SessionHarness h;
    h.establish(v5_with_will(0, std::nullopt));
    h.packet(make_disconnect(reason));
    EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
    h.closed();
    EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  }
}

TEST(SessionMachineDisconnect, ServerOnlyReasonCodeFromTheClientIsAProtocolError) {
  // [MQTT-3.14.2-1], Table 3-10: codes such as 0x8B (Server shutting down),
  // 0x8E (Session taken over) or 0xA2 are the server's to send. A client
  // sending one commits a Protocol Error: DISCONNECT 0x82, and its will is
  // published as after any error.
  for (const auto reason : {ReasonCode::kServerShuttingDown, ReasonCode::kSessionTakenOver,
                            ReasonCode::kKeepAliveTimeout, ReasonCode::kServerBusy,
                            ReasonCode::kWildcardSubscriptionsNotSupported}) {
    SessionHarness h;
    h.establish(v5_with_will(0, std::nullopt));
    h.packet(make_disconnect(reason));
    EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
    EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
    h.closed();
    EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  }
}

TEST(SessionMachineDisconnect, EveryReasonCodeAClientMaySendIsTaken) {
  for (const auto reason :
       {ReasonCode::kNormalDisconnection, ReasonCode::kDisconnectWithWillMessage,
        ReasonCode::kUnspecifiedError, ReasonCode::kMalformedPacket, ReasonCode::kProtocolError,
        ReasonCode::kImplementationSpecificError, ReasonCode::kTopicNameInvalid,
        ReasonCode::kReceiveMaximumExceeded, ReasonCode::kTopicAliasInvalid,
        ReasonCode::kPacketTooLarge, ReasonCode::kMessageRateTooHigh, ReasonCode::kQuotaExceeded,
        ReasonCode::kAdministrativeAction, ReasonCode::kPayloadFormatInvalid}) {
    SessionHarness h;
    h.establish(v5_with_will(0, std::nullopt));
    h.packet(make_disconnect(reason));
    EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  }
}

TEST(SessionMachineDisconnect, DisconnectUpdatesTheSessionExpiry) {
  // §3.14.2.2.2: the client may change a non-zero expiry at DISCONNECT.
  SessionHarness h;
  h.connect_v5(100);
  auto d = make_disconnect();
  d.properties.session_expiry_interval = 50;
  h.packet(d);
  EXPECT_EQ(h.state.expiry_interval, 50u);
  h.closed();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 50u);
}

TEST(SessionMachineDisconnect, DisconnectMayEndTheSessionAtOnce) {
  SessionHarness h;
  h.connect_v5(100);
  auto d = make_disconnect();
  d.properties.session_expiry_interval = 0;
  h.packet(d);
  h.closed();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 0u);
}

TEST(SessionMachineDisconnect, DisconnectExpiryIsCappedByTheServerLimit) {
  session::SessionLimits limits;
  limits.max_session_expiry = 300;
  SessionHarness h(limits);
  h.connect_v5(100);
  auto d = make_disconnect();
  d.properties.session_expiry_interval = 100'000;
  h.packet(d);
  h.closed();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 300u);
}

TEST(SessionMachineDisconnect, NonZeroExpiryAtDisconnectAfterZeroAtConnectIsAProtocolError) {
  // [MQTT-3.14.2-2]: DISCONNECT 0x82 from the server; the will is published.
  SessionHarness h;
  h.establish(v5_with_will(0, std::nullopt));
  auto d = make_disconnect();
  d.properties.session_expiry_interval = 60;
  h.packet(d);
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
  h.closed();
  EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 0u);
}

TEST(SessionMachineDisconnect, AbnormalCloseSchedulesTheWillWithItsProperties) {
  // [MQTT-3.1.2-8]; §3.1.3.2: published after the Will Delay Interval.
  SessionHarness h;
  auto c = v5_with_will(300, 30);
  c.will->retain = true;
  c.will->properties.message_expiry_interval = 90;
  c.will->properties.content_type = "text/plain";
  c.will->properties.response_topic = "resp";
  c.will->properties.correlation_data = "corr";
  c.will->properties.payload_format_indicator = 1;
  c.will->properties.user_properties.push_back({"k", "v"});
  h.establish(c);
  h.closed();
  EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  const auto will = h.single<ScheduleWill>();
  EXPECT_EQ(will.delay_seconds, 30u);
  EXPECT_EQ(will.message_expiry_interval, 90u);
  ASSERT_TRUE(will.message);
  const model::Message& m = *will.message;
  EXPECT_EQ(m.topic, "will/topic");
  EXPECT_EQ(m.payload, "gone");
  EXPECT_EQ(m.qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(m.retain);
  EXPECT_FALSE(m.expires_at);  // its expiry starts when it is published
  EXPECT_EQ(m.origin, h.state.id);
  EXPECT_EQ(m.properties.content_type, "text/plain");
  EXPECT_EQ(m.properties.response_topic, "resp");
  EXPECT_EQ(m.properties.correlation_data, "corr");
  EXPECT_EQ(m.properties.payload_format_indicator, 1);
  const std::vector<std::pair<std::string, std::string>> users{{"k", "v"}};
  EXPECT_EQ(m.properties.user_properties, users);
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 300u);
}

TEST(SessionMachineDisconnect, WillDelayIsCutToTheSessionExpiry) {
  // §3.1.3.2.2: the will goes when the delay passes or the session ends,
  // whichever is first.
  SessionHarness h;
  h.establish(v5_with_will(10, 3600));
  h.closed();
  EXPECT_EQ(h.single<ScheduleWill>().delay_seconds, 10u);

  SessionHarness no_session;
  no_session.establish(v5_with_will(0, 3600));
  no_session.closed();
  EXPECT_EQ(no_session.single<ScheduleWill>().delay_seconds, 0u);
}

TEST(SessionMachineDisconnect, AbnormalCloseV311PublishesTheWillAtOnce) {
  SessionHarness h;
  auto c = make_connect(ProtocolVersion::kV311, "c1", false);
  c.will = make_will("w", "x", QoS::kExactlyOnce);
  h.establish(c);
  h.closed();
  const auto will = h.single<ScheduleWill>();
  EXPECT_EQ(will.delay_seconds, 0u);
  EXPECT_FALSE(will.message_expiry_interval);
  EXPECT_EQ(will.message->qos, QoS::kExactlyOnce);
}

TEST(SessionMachineDisconnect, AbnormalCloseWithoutAWillOnlyDetaches) {
  SessionHarness h;
  h.connect_v5(30);
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
  EXPECT_EQ(h.single<DetachSession>().expiry_interval, 30u);
  EXPECT_TRUE(h.machine->closed());
  h.closed();  // idempotent
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachineDisconnect, KeepAliveTimeoutV5SendsDisconnect0x8D) {
  // [MQTT-3.1.2-22]; the will is published afterwards.
  SessionHarness h;
  h.establish(v5_with_will(0, std::nullopt));
  h.keep_alive_timeout();
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kKeepAliveTimeout);
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kKeepAliveTimeout);
  h.closed();
  EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
}

TEST(SessionMachineDisconnect, ReasonStringIsLeftOutAboveTheClientsMaximumPacketSize) {
  // [MQTT-3.14.2-3]: no Reason String that would take DISCONNECT over it.
  SessionHarness h;
  auto c = SessionHarness::v5_connect();
  c.properties.maximum_packet_size = 16;
  h.establish(c);
  h.keep_alive_timeout();
  const auto d = h.sent_one<mqtt::Disconnect>();
  EXPECT_EQ(d.reason_code, ReasonCode::kKeepAliveTimeout);
  EXPECT_FALSE(d.properties.reason_string);

  SessionHarness roomy;
  roomy.connect_v5();
  roomy.keep_alive_timeout();
  EXPECT_TRUE(roomy.sent_one<mqtt::Disconnect>().properties.reason_string);
}

TEST(SessionMachineDisconnect, KeepAliveTimeoutV311JustCloses) {
  SessionHarness h;
  h.connect_v311();
  h.keep_alive_timeout();
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
}

TEST(SessionMachineDisconnect, TakeoverSendsDisconnect0x8E) {
  // [MQTT-3.1.4-3]: the existing connection gets 0x8E (Session taken over).
  SessionHarness h;
  h.connect_v5(60);
  h.kicked(ReasonCode::kSessionTakenOver);
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kSessionTakenOver);
  h.packet(mqtt::Pingreq{});  // nothing more is read
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.closed();
  EXPECT_EQ(h.kinds(), Kinds{"DetachSession"}) << h.describe();
}

TEST(SessionMachineDisconnect, TakeoverV311JustCloses) {
  SessionHarness h;
  h.connect_v311();
  h.kicked(ReasonCode::kSessionTakenOver);
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
}

TEST(SessionMachineDisconnect, KickedWhileAttachingSendsNoDisconnect) {
  // [MQTT-3.14.0-1]: no server DISCONNECT before CONNACK.
  SessionHarness h;
  h.packet(SessionHarness::v5_connect());
  h.kicked(ReasonCode::kServerShuttingDown);
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  h.attach(false);
  EXPECT_TRUE(h.sent<mqtt::Connack>().empty()) << h.describe();
}

TEST(SessionMachineDisconnect, UnsupportedProtocolVersionGetsAV311Connack) {
  // [MQTT-3.1.2-2] (3.1.1): CONNACK return code 0x01, then close.
  SessionHarness h;
  h.decode_error(ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
  const auto connack = h.sent_one<mqtt::Connack>();
  EXPECT_EQ(connack.reason_code, ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(mqtt::to_v3_connack_code(connack.reason_code), 1);
  EXPECT_EQ(connack.properties, mqtt::Properties{});
  EXPECT_EQ(h.machine->version(), ProtocolVersion::kV311);  // encoded in the 3.1.1 form
}

TEST(SessionMachineDisconnect, OtherDecodeErrorsBeforeConnectJustClose) {
  SessionHarness h;
  h.decode_error(ReasonCode::kMalformedPacket);
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  EXPECT_EQ(h.single<CloseConnection>().reason, ReasonCode::kMalformedPacket);
  h.closed();
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachineDisconnect, DecodeErrorAfterConnectV5SendsDisconnectWithItsReason) {
  for (const auto reason :
       {ReasonCode::kMalformedPacket, ReasonCode::kProtocolError, ReasonCode::kPacketTooLarge}) {
    SessionHarness h;
    h.establish(v5_with_will(0, std::nullopt));
    h.decode_error(reason);
    EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
    EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, reason);
    EXPECT_EQ(h.single<CloseConnection>().reason, reason);
    h.closed();  // an error is no normal DISCONNECT: the will goes
    EXPECT_EQ(h.kinds(), (Kinds{"ScheduleWill", "DetachSession"})) << h.describe();
  }
}

TEST(SessionMachineDisconnect, DecodeErrorAfterConnectV311JustCloses) {
  SessionHarness h;
  h.connect_v311();
  h.decode_error(ReasonCode::kMalformedPacket);
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
}

TEST(SessionMachineDisconnect, PingreqGetsPingresp) {
  // [MQTT-3.12.4-1].
  for (const auto v : {ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    SessionHarness h;
    h.establish(make_connect(v, "c1"));
    h.packet(mqtt::Pingreq{});
    EXPECT_EQ(h.kinds(), Kinds{"PINGRESP"}) << h.describe();
  }
}

TEST(SessionMachineDisconnect, AuthWithoutAnAuthenticationMethodIsAProtocolError) {
  // §4.12: AUTH only when CONNECT named an Authentication Method.
  SessionHarness h;
  h.connect_v5();
  h.packet(mqtt::Auth{});
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
}

TEST(SessionMachineDisconnect, ServerPacketsFromTheClientAreAProtocolError) {
  SessionHarness h;
  h.connect_v5();
  h.packet(mqtt::Pingresp{});
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
}

TEST(SessionMachineDisconnect, InputAfterDisconnectIsIgnored) {
  // [MQTT-3.14.4-1]: after DISCONNECT the client sends nothing more; if it
  // does, it is not acted on.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_disconnect());
  h.packet(make_publish("a", QoS::kAtLeastOnce, 1));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.decode_error(ReasonCode::kMalformedPacket);
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.keep_alive_timeout();
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

}  // namespace
}  // namespace cairn::test
