// SessionMachine, client to server: PUBLISH at QoS 0, 1 and 2 ([MQTT-4.3]),
// acknowledgement after commit (D1) and in arrival order ([MQTT-4.6.0-2]),
// QoS 2 de-duplication (D4), refusal when the store fails (D8), Receive
// Maximum ([MQTT-3.3.4-7], §3.2.2.3.3) and inbound Topic Aliases (§3.3.2.3.4).
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::CloseConnection;
using session::ReleaseIncoming;
using session::RoutePublish;
using Kinds = std::vector<std::string>;

mqtt::Publish with_alias(std::string topic, std::uint16_t alias, QoS qos = QoS::kAtMostOnce,
                         std::uint16_t packet_id = 0) {
  auto p = make_publish(std::move(topic), qos, packet_id);
  p.properties.topic_alias = alias;
  return p;
}

TEST(SessionMachinePublishIn, QoS0IsRoutedAtOnceWithoutAToken) {
  SessionHarness h;
  h.connect_v5();
  auto p = make_publish("a/b", QoS::kAtMostOnce, 0, "hello");
  p.retain = true;
  h.packet(std::move(p));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
  const auto route = h.single<RoutePublish>();
  EXPECT_EQ(route.token, 0u);
  EXPECT_EQ(route.qos2_packet_id, 0);
  ASSERT_TRUE(route.message);
  EXPECT_EQ(route.message->topic, "a/b");
  EXPECT_EQ(route.message->payload, "hello");
  EXPECT_EQ(route.message->qos, QoS::kAtMostOnce);
  EXPECT_TRUE(route.message->retain);
  EXPECT_EQ(route.message->origin, h.state.id);  // for No Local
  EXPECT_FALSE(route.message->expires_at);
}

TEST(SessionMachinePublishIn, QoS1PubackOnlyAfterCommit) {
  // D1: PUBACK only once the message is committed.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_publish("a", QoS::kAtLeastOnce, 7));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
  const auto route = h.single<RoutePublish>();
  EXPECT_NE(route.token, 0u);
  EXPECT_EQ(route.qos2_packet_id, 0);
  EXPECT_EQ(route.message->qos, QoS::kAtLeastOnce);
  h.commit(route.token);
  EXPECT_EQ(h.kinds(), Kinds{"PUBACK"}) << h.describe();
  const auto puback = h.sent_one<mqtt::Puback>();
  EXPECT_EQ(puback.packet_id, 7);
  EXPECT_EQ(puback.reason_code, ReasonCode::kSuccess);
  h.commit(route.token);  // a stray second completion: nothing
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachinePublishIn, QoS1PubackOnlyAfterCommitV311) {
  SessionHarness h;
  h.connect_v311(false);
  const Token t = h.publish("a", QoS::kAtLeastOnce, 1);
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.commit(t);
  EXPECT_EQ(h.sent_one<mqtt::Puback>().packet_id, 1);
}

TEST(SessionMachinePublishIn, QoS2PubrecOnlyAfterCommit) {
  // D1 and D4: the dedup record goes in the message's batch; PUBREC after it.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_publish("a", QoS::kExactlyOnce, 9));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
  const auto route = h.single<RoutePublish>();
  EXPECT_NE(route.token, 0u);
  EXPECT_EQ(route.qos2_packet_id, 9);
  ASSERT_TRUE(h.state.incoming_qos2.contains(9));
  EXPECT_FALSE(h.state.incoming_qos2.at(9));
  h.commit(route.token);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREC"}) << h.describe();
  const auto pubrec = h.sent_one<mqtt::Pubrec>();
  EXPECT_EQ(pubrec.packet_id, 9);
  EXPECT_EQ(pubrec.reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(h.state.incoming_qos2.at(9));
}

TEST(SessionMachinePublishIn, AcksLeaveInArrivalOrderWhenCommitsCompleteInReverse) {
  // [MQTT-4.6.0-2]: PUBACKs in the order the PUBLISHes were received.
  SessionHarness h;
  h.connect_v5();
  const Token t1 = h.publish("a", QoS::kAtLeastOnce, 1);
  const Token t2 = h.publish("b", QoS::kAtLeastOnce, 2);
  h.commit(t2);
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.commit(t1);
  const auto acks = h.sent<mqtt::Puback>();
  ASSERT_EQ(acks.size(), 2u) << h.describe();
  EXPECT_EQ(acks[0].packet_id, 1);
  EXPECT_EQ(acks[1].packet_id, 2);
}

TEST(SessionMachinePublishIn, PubrecWaitsBehindAnEarlierPuback) {
  // [MQTT-4.6.0-3]: PUBREC in the order the PUBLISHes were received, too.
  SessionHarness h;
  h.connect_v5();
  const Token t1 = h.publish("a", QoS::kAtLeastOnce, 1);
  const Token t2 = h.publish("b", QoS::kExactlyOnce, 2);
  h.commit(t2);
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.commit(t1);
  EXPECT_EQ(h.kinds(), (Kinds{"PUBACK", "PUBREC"})) << h.describe();
}

TEST(SessionMachinePublishIn, SubackWaitsBehindAPendingPuback) {
  SessionHarness h;
  h.connect_v5();
  const Token t = h.publish("a", QoS::kAtLeastOnce, 1);
  h.packet(make_subscribe(2, {make_filter("x")}));
  h.subscribed(h.single<session::ApplySubscribe>().token, {granted(QoS::kAtLeastOnce)});
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.commit(t);
  EXPECT_EQ(h.kinds(), (Kinds{"PUBACK", "SUBACK", "SendRetained"})) << h.describe();
}

TEST(SessionMachinePublishIn, QoS0AndPingrespDoNotWaitForPendingAcks) {
  SessionHarness h;
  h.connect_v5();
  h.publish("a", QoS::kAtLeastOnce, 1);
  h.packet(make_publish("b", QoS::kAtMostOnce));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
  h.packet(mqtt::Pingreq{});
  EXPECT_EQ(h.kinds(), Kinds{"PINGRESP"}) << h.describe();
}

TEST(SessionMachinePublishIn, QoS2ResentBeforeCommitIsNotRoutedAgain) {
  // D4: same packet identifier while the first is being committed.
  SessionHarness h;
  h.connect_v5();
  const Token t = h.publish("a", QoS::kExactlyOnce, 5);
  auto again = make_publish("a", QoS::kExactlyOnce, 5);
  again.dup = true;
  h.packet(again);
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.commit(t);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREC"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Pubrec>().packet_id, 5);
}

TEST(SessionMachinePublishIn, QoS2ResentAfterCommitGetsPubrecAgainButIsNotRouted) {
  SessionHarness h;
  h.connect_v5();
  h.commit(h.publish("a", QoS::kExactlyOnce, 5));
  auto again = make_publish("a", QoS::kExactlyOnce, 5);
  again.dup = true;
  h.packet(again);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREC"}) << h.describe();
  const auto pubrec = h.sent_one<mqtt::Pubrec>();
  EXPECT_EQ(pubrec.packet_id, 5);
  EXPECT_EQ(pubrec.reason_code, ReasonCode::kSuccess);
}

TEST(SessionMachinePublishIn, QoS2ResentAfterReconnectIsNotRouted) {
  // D4 across connections: the identifier lives in the SessionState.
  SessionHarness h;
  h.connect_v5(600);
  h.commit(h.publish("a", QoS::kExactlyOnce, 5));
  auto c = make_connect(ProtocolVersion::kV5, "client-1", false);
  c.properties.session_expiry_interval = 600;
  EXPECT_TRUE(h.reconnect(std::move(c)).session_present);
  auto again = make_publish("a", QoS::kExactlyOnce, 5);
  again.dup = true;
  h.packet(again);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREC"}) << h.describe();
  h.packet(make_response<mqtt::Pubrel>(5));
  EXPECT_EQ(h.kinds(), Kinds{"ReleaseIncoming"}) << h.describe();
  h.commit(h.single<ReleaseIncoming>().token);
  EXPECT_EQ(h.sent_one<mqtt::Pubcomp>().reason_code, ReasonCode::kSuccess);
}

TEST(SessionMachinePublishIn, PubrelReleasesAndPubcompWaitsForThatCommit) {
  // D4: the dedup record is removed at PUBREL; PUBCOMP after it is.
  SessionHarness h;
  h.connect_v5();
  h.commit(h.publish("a", QoS::kExactlyOnce, 5));
  h.packet(make_response<mqtt::Pubrel>(5));
  EXPECT_EQ(h.kinds(), Kinds{"ReleaseIncoming"}) << h.describe();
  const auto release = h.single<ReleaseIncoming>();
  EXPECT_EQ(release.packet_id, 5);
  EXPECT_NE(release.token, 0u);
  EXPECT_FALSE(h.state.incoming_qos2.contains(5));
  h.commit(release.token);
  EXPECT_EQ(h.kinds(), Kinds{"PUBCOMP"}) << h.describe();
  const auto pubcomp = h.sent_one<mqtt::Pubcomp>();
  EXPECT_EQ(pubcomp.packet_id, 5);
  EXPECT_EQ(pubcomp.reason_code, ReasonCode::kSuccess);
}

TEST(SessionMachinePublishIn, PacketIdentifierIsNewAgainAfterPubrel) {
  // [MQTT-4.3.3-11]: after PUBCOMP the identifier starts a new message.
  SessionHarness h;
  h.connect_v5();
  h.commit(h.publish("a", QoS::kExactlyOnce, 5));
  h.packet(make_response<mqtt::Pubrel>(5));
  h.commit(h.single<ReleaseIncoming>().token);
  h.packet(make_publish("b", QoS::kExactlyOnce, 5));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
  EXPECT_EQ(h.single<RoutePublish>().message->topic, "b");
}

TEST(SessionMachinePublishIn, PubrelForUnknownIdentifierV5GetsPubcompNotFound) {
  // [MQTT-4.3.3-10] and table 2-6: PUBCOMP 0x92 (Packet Identifier not found).
  SessionHarness h;
  h.connect_v5();
  h.packet(make_response<mqtt::Pubrel>(33));
  EXPECT_EQ(h.kinds(), Kinds{"PUBCOMP"}) << h.describe();
  const auto pubcomp = h.sent_one<mqtt::Pubcomp>();
  EXPECT_EQ(pubcomp.packet_id, 33);
  EXPECT_EQ(pubcomp.reason_code, ReasonCode::kPacketIdentifierNotFound);
}

TEST(SessionMachinePublishIn, PubrelForUnknownIdentifierV311GetsPubcomp) {
  // 3.1.1 §4.3.3: PUBREL is always answered with PUBCOMP.
  SessionHarness h;
  h.connect_v311();
  h.packet(make_response<mqtt::Pubrel>(33));
  EXPECT_EQ(h.kinds(), Kinds{"PUBCOMP"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Pubcomp>().packet_id, 33);
}

TEST(SessionMachinePublishIn, CommitFailureV5RefusesQoS1WithUnspecifiedError) {
  // D8: never a success PUBACK for what was not stored.
  SessionHarness h;
  h.connect_v5();
  const Token t = h.publish("a", QoS::kAtLeastOnce, 4);
  h.commit_failed(t);
  EXPECT_EQ(h.kinds(), Kinds{"PUBACK"}) << h.describe();
  const auto puback = h.sent_one<mqtt::Puback>();
  EXPECT_EQ(puback.packet_id, 4);
  EXPECT_EQ(puback.reason_code, ReasonCode::kUnspecifiedError);
  h.commit(t);  // a late success for the same token changes nothing
  EXPECT_TRUE(h.last.empty()) << h.describe();
  EXPECT_TRUE(h.machine->connected());
}

TEST(SessionMachinePublishIn, LowDiskSpaceRefusesV5PublishesWithQuotaExceeded) {
  // The store refused (FreeSpaceGuard): 0x97, and the client may try again.
  SessionHarness h;
  h.connect_v5();
  h.commit_failed(h.publish("a", QoS::kAtLeastOnce, 4), ReasonCode::kQuotaExceeded);
  EXPECT_EQ(h.sent_one<mqtt::Puback>().reason_code, ReasonCode::kQuotaExceeded);
  h.commit_failed(h.publish("a", QoS::kExactlyOnce, 5), ReasonCode::kQuotaExceeded);
  EXPECT_EQ(h.sent_one<mqtt::Pubrec>().reason_code, ReasonCode::kQuotaExceeded);
  EXPECT_TRUE(h.machine->connected());
}

TEST(SessionMachinePublishIn, LowDiskSpaceClosesA311ConnectionWithoutPuback) {
  // 3.1.1 has no refusal: no PUBACK, so the client re-sends after reconnecting.
  SessionHarness h;
  h.connect_v311();
  h.commit_failed(h.publish("a", QoS::kAtLeastOnce, 4), ReasonCode::kQuotaExceeded);
  EXPECT_TRUE(h.sent<mqtt::Puback>().empty()) << h.describe();
  EXPECT_EQ(h.only<session::CloseConnection>().size(), 1u) << h.describe();
}

TEST(SessionMachinePublishIn, CommitFailureV5RefusesQoS2AndForgetsTheIdentifier) {
  SessionHarness h;
  h.connect_v5();
  const Token t = h.publish("a", QoS::kExactlyOnce, 4);
  h.commit_failed(t);
  const auto pubrec = h.sent_one<mqtt::Pubrec>();
  EXPECT_EQ(pubrec.packet_id, 4);
  EXPECT_EQ(pubrec.reason_code, ReasonCode::kUnspecifiedError);
  EXPECT_FALSE(h.state.incoming_qos2.contains(4));
  // The flow ended (§4.3.3): a PUBLISH with that identifier is a new message.
  h.packet(make_publish("a", QoS::kExactlyOnce, 4));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
}

TEST(SessionMachinePublishIn, RefusedQoS2FreesItsReceiveMaximumSlot) {
  // §4.9, [MQTT-3.3.4-7]: a PUBREC of 0x80 or more ends the flow and gives the
  // quota back.
  session::SessionLimits limits;
  limits.receive_maximum = 1;
  SessionHarness h(limits);
  h.connect_v5();
  h.commit_failed(h.publish("a", QoS::kExactlyOnce, 1));
  EXPECT_EQ(h.sent_one<mqtt::Pubrec>().reason_code, ReasonCode::kUnspecifiedError);
  h.packet(make_publish("b", QoS::kExactlyOnce, 2));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
}

TEST(SessionMachinePublishIn, CommitFailureV311ClosesWithoutPuback) {
  // D8, 3.1.1: no way to refuse, so close; the client re-sends it later.
  SessionHarness h;
  h.connect_v311();
  const Token t1 = h.publish("a", QoS::kAtLeastOnce, 1);
  const Token t2 = h.publish("b", QoS::kAtLeastOnce, 2);
  h.commit(t2);
  h.commit_failed(t1);
  EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  h.commit(t1);
  EXPECT_TRUE(h.sent<mqtt::Puback>().empty()) << h.describe();
  EXPECT_TRUE(test::sent<mqtt::Puback>(h.all).empty()) << test::describe(h.all);
}

TEST(SessionMachinePublishIn, ReceiveMaximumExceededDisconnects) {
  // §3.2.2.3.3: one QoS 1 PUBLISH beyond our Receive Maximum → DISCONNECT 0x93.
  session::SessionLimits limits;
  limits.receive_maximum = 2;
  SessionHarness h(limits);
  h.connect_v5();
  h.publish("a", QoS::kAtLeastOnce, 1);
  h.publish("a", QoS::kAtLeastOnce, 2);
  h.packet(make_publish("a", QoS::kAtLeastOnce, 3));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kReceiveMaximumExceeded);
}

TEST(SessionMachinePublishIn, PubackFreesAReceiveMaximumSlot) {
  session::SessionLimits limits;
  limits.receive_maximum = 1;
  SessionHarness h(limits);
  h.connect_v5();
  h.commit(h.publish("a", QoS::kAtLeastOnce, 1));
  h.packet(make_publish("a", QoS::kAtLeastOnce, 2));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
}

TEST(SessionMachinePublishIn, QoS2HoldsItsSlotUntilPubcomp) {
  // Receive Maximum counts QoS 2 PUBLISHes until PUBCOMP ([MQTT-3.3.4-7], §4.9).
  session::SessionLimits limits;
  limits.receive_maximum = 1;
  SessionHarness h(limits);
  h.connect_v5();
  h.commit(h.publish("a", QoS::kExactlyOnce, 1));
  EXPECT_EQ(h.kinds(), Kinds{"PUBREC"});
  h.packet(make_response<mqtt::Pubrel>(1));
  const Token release = h.single<ReleaseIncoming>().token;
  h.commit(release);
  EXPECT_EQ(h.kinds(), Kinds{"PUBCOMP"});
  h.packet(make_publish("a", QoS::kAtLeastOnce, 2));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();

  SessionHarness full(limits);
  full.connect_v5();
  full.commit(full.publish("a", QoS::kExactlyOnce, 1));  // PUBREC sent, PUBCOMP not yet
  full.packet(make_publish("a", QoS::kAtLeastOnce, 2));
  EXPECT_EQ(full.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kReceiveMaximumExceeded);
}

TEST(SessionMachinePublishIn, QoS0IsNotCountedAgainstReceiveMaximum) {
  session::SessionLimits limits;
  limits.receive_maximum = 1;
  SessionHarness h(limits);
  h.connect_v5();
  h.publish("a", QoS::kAtLeastOnce, 1);
  h.packet(make_publish("a", QoS::kAtMostOnce));
  EXPECT_EQ(h.kinds(), Kinds{"RoutePublish"}) << h.describe();
}

TEST(SessionMachinePublishIn, QoSAboveMaximumQoSDisconnects) {
  // §3.2.2.3.4: a PUBLISH above the announced Maximum QoS → DISCONNECT 0x9B.
  session::SessionLimits limits;
  limits.maximum_qos = QoS::kAtLeastOnce;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_publish("a", QoS::kExactlyOnce, 1));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kQoSNotSupported);
}

TEST(SessionMachinePublishIn, RetainWithoutRetainAvailableDisconnects) {
  // [MQTT-3.2.2-14], §3.2.2.3.5: DISCONNECT 0x9A.
  session::SessionLimits limits;
  limits.retain_available = false;
  SessionHarness h(limits);
  h.connect_v5();
  auto p = make_publish("a");
  p.retain = true;
  h.packet(std::move(p));
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kRetainNotSupported);
}

TEST(SessionMachinePublishIn, TopicOverTheLimitsIsRefusedPerQoS) {
  session::SessionLimits limits;
  limits.max_topic_levels = 2;
  {
    SessionHarness h(limits);
    h.connect_v5();
    h.packet(make_publish("a/b/c", QoS::kAtLeastOnce, 3));
    EXPECT_EQ(h.kinds(), Kinds{"PUBACK"}) << h.describe();
    EXPECT_EQ(h.sent_one<mqtt::Puback>().reason_code, ReasonCode::kTopicNameInvalid);
  }
  {
    SessionHarness h(limits);
    h.connect_v5();
    h.packet(make_publish("a/b/c", QoS::kExactlyOnce, 3));
    EXPECT_EQ(h.sent_one<mqtt::Pubrec>().reason_code, ReasonCode::kTopicNameInvalid);
    EXPECT_FALSE(h.state.incoming_qos2.contains(3));
  }
  {
    SessionHarness h(limits);
    h.connect_v5();
    h.packet(make_publish("a/b/c"));
    EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kTopicNameInvalid);
  }
  {
    SessionHarness h(limits);
    h.connect_v311();
    h.packet(make_publish("a/b/c", QoS::kAtLeastOnce, 3));
    EXPECT_EQ(h.kinds(), Kinds{"CloseConnection"}) << h.describe();
  }
}

TEST(SessionMachinePublishIn, PropertiesAndExpiryAreKeptForSubscribers) {
  // [MQTT-3.3.2-15..20]: forwarded unchanged; expiry counted from arrival.
  SessionHarness h;
  h.connect_v5();
  auto p = make_publish("a", QoS::kAtLeastOnce, 1);
  p.properties.payload_format_indicator = 1;
  p.properties.content_type = "text/plain";
  p.properties.response_topic = "reply/here";
  p.properties.correlation_data = std::string("\x00\x01", 2);
  p.properties.user_properties.push_back({"k", "v1"});
  p.properties.user_properties.push_back({"k", "v2"});
  p.properties.message_expiry_interval = 30;
  h.packet(std::move(p));
  const auto m = h.single<RoutePublish>().message;
  ASSERT_TRUE(m);
  EXPECT_EQ(m->properties.payload_format_indicator, 1);
  EXPECT_EQ(m->properties.content_type, "text/plain");
  EXPECT_EQ(m->properties.response_topic, "reply/here");
  EXPECT_EQ(m->properties.correlation_data, std::string("\x00\x01", 2));
  const std::vector<std::pair<std::string, std::string>> users{{"k", "v1"}, {"k", "v2"}};
  EXPECT_EQ(m->properties.user_properties, users);
  EXPECT_EQ(m->expires_at, h.now + std::chrono::seconds(30));
}

TEST(SessionMachinePublishIn, InboundTopicAliasIsSetThenUsed) {
  SessionHarness h;
  h.connect_v5();
  h.packet(with_alias("a/b", 3));
  EXPECT_EQ(h.single<RoutePublish>().message->topic, "a/b");
  h.packet(with_alias("", 3));
  EXPECT_EQ(h.single<RoutePublish>().message->topic, "a/b");
  h.packet(with_alias("c", 3));  // an alias may be pointed elsewhere
  h.packet(with_alias("", 3, QoS::kAtLeastOnce, 1));
  EXPECT_EQ(h.single<RoutePublish>().message->topic, "c");
}

TEST(SessionMachinePublishIn, InboundTopicAliasAtTheMaximumIsAccepted) {
  session::SessionLimits limits;
  limits.topic_alias_maximum = 5;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(with_alias("x", 5));
  h.packet(with_alias("", 5));
  EXPECT_EQ(h.single<RoutePublish>().message->topic, "x");
}

TEST(SessionMachinePublishIn, InboundTopicAliasAboveTheMaximumDisconnects) {
  // [MQTT-3.2.2-17], [MQTT-3.3.2-9]: DISCONNECT 0x94 (Topic Alias invalid).
  session::SessionLimits limits;
  limits.topic_alias_maximum = 5;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(with_alias("x", 6));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kTopicAliasInvalid);
}

TEST(SessionMachinePublishIn, InboundTopicAliasWhenNoneAllowedDisconnects) {
  session::SessionLimits limits;
  limits.topic_alias_maximum = 0;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(with_alias("x", 1));
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kTopicAliasInvalid);
}

TEST(SessionMachinePublishIn, InboundTopicAliasZeroDisconnects) {
  // [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted.
  SessionHarness h;
  h.connect_v5();
  h.packet(with_alias("x", 0));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kTopicAliasInvalid);
}

TEST(SessionMachinePublishIn, UnknownInboundTopicAliasWithEmptyTopicIsAProtocolError) {
  SessionHarness h;
  h.connect_v5();
  h.packet(with_alias("", 2));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
}

TEST(SessionMachinePublishIn, InboundTopicAliasesDoNotOutliveTheConnection) {
  // [MQTT-3.3.2-7]: aliases are per Network Connection.
  SessionHarness h;
  h.connect_v5(600);
  h.packet(with_alias("a", 1));
  auto c = make_connect(ProtocolVersion::kV5, "client-1", false);
  c.properties.session_expiry_interval = 600;
  h.reconnect(std::move(c));
  h.packet(with_alias("", 1));
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
}

// [MQTT-3.3.4-6]: a client's PUBLISH MUST NOT carry a Subscription
// Identifier: a protocol error, and the message goes nowhere.
TEST(SessionMachinePublishIn, PublishWithASubscriptionIdentifierIsAProtocolError) {
  SessionHarness h;
  h.connect_v5();
  mqtt::Publish p = make_publish("a/b", QoS::kAtLeastOnce, 1);
  p.properties.subscription_identifiers = {7};
  h.packet(std::move(p));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code, ReasonCode::kProtocolError);
}

}  // namespace
}  // namespace cairn::test
