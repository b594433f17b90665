// SessionMachine, server to client: the in-flight window ([MQTT-3.3.4-9]),
// packet identifiers, QoS 1/2 acknowledgement flows with their delivery
// records (D3), re-sending after a reconnect ([MQTT-4.4.0-1]), message expiry
// ([MQTT-3.3.2-5], [MQTT-3.3.2-6]), Maximum Packet Size ([MQTT-3.1.2-25]),
// subscription identifiers and outbound Topic Aliases.
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::DeliveryDone;
using session::Inflight;
using session::RecordPubrel;
using session::RecordSent;
using Kinds = std::vector<std::string>;
using std::chrono::milliseconds;
using std::chrono::seconds;

session::SessionLimits window_of(std::uint16_t max_inflight) {
  session::SessionLimits limits;
  limits.max_inflight = max_inflight;
  return limits;
}

// An MQTT 5 client announcing these limits on what it receives.
mqtt::Connect v5_client(std::optional<std::uint16_t> receive_maximum,
                        std::optional<std::uint32_t> maximum_packet_size = std::nullopt,
                        std::optional<std::uint16_t> topic_alias_maximum = std::nullopt) {
  auto c = SessionHarness::v5_connect();
  c.properties.receive_maximum = receive_maximum;
  c.properties.maximum_packet_size = maximum_packet_size;
  c.properties.topic_alias_maximum = topic_alias_maximum;
  return c;
}

TEST(SessionMachineDelivery, QoS1DeliveryGetsAPacketIdentifierAndIsInFlight) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a/b", QoS::kAtLeastOnce, 11));
  EXPECT_EQ(h.kinds(), Kinds{"PUBLISH"}) << h.describe();
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.payload, "payload");
  EXPECT_EQ(p.qos, QoS::kAtLeastOnce);
  EXPECT_NE(p.packet_id, 0);
  EXPECT_FALSE(p.dup);  // [MQTT-3.3.1-1]: first attempt
  EXPECT_FALSE(p.retain);
  ASSERT_EQ(h.state.inflight.size(), 1u);
  EXPECT_EQ(h.state.inflight[0].packet_id, p.packet_id);
  EXPECT_EQ(h.state.inflight[0].stage, Inflight::Stage::kPublishSent);
  EXPECT_TRUE(h.state.packet_ids_in_use.contains(p.packet_id));
  EXPECT_TRUE(h.state.queue.empty());
}

TEST(SessionMachineDelivery, QoS0DeliveryHasNoIdentifierAndIsNotKept) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.qos, QoS::kAtMostOnce);
  EXPECT_EQ(p.packet_id, 0);
  EXPECT_TRUE(h.state.inflight.empty());
}

TEST(SessionMachineDelivery, DeliveryIsSentAtTheGrantedQoSWithItsRetainFlag) {
  SessionHarness h;
  h.connect_v5();
  auto d = make_delivery(make_message("a", "x", QoS::kExactlyOnce), QoS::kAtLeastOnce);
  d.retain = true;
  h.deliver(std::move(d));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(p.retain);
}

// Issue 17, item 4: a pump encodes no more than the output buffer has room
// for. QoS 0 has no window, so without the bound a slow reader's whole
// backlog went into its output buffer; it now waits in the session's queue,
// where the queue limits apply, and leaves as the output drains.
TEST(SessionMachineDelivery, PumpTakesOnlyWhatTheOutputHasRoomFor) {
  SessionHarness h;
  h.connect_v5();
  h.machine->set_output_room(0);
  for (int i = 0; i < 10; ++i) {
    h.deliver(make_delivery(make_message("t", std::string(1000, 'x'), QoS::kAtMostOnce),
                            QoS::kAtMostOnce));
  }
  EXPECT_TRUE(test::sent<mqtt::Publish>(h.all).empty()) << "no room: nothing encoded";
  EXPECT_EQ(h.state.queue.size(), 10u);
  h.machine->set_output_room(2500);  // room for two and a bit: three go, the third over it
  h.pump();
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 3u);
  EXPECT_EQ(h.state.queue.size(), 7u);
  h.machine->set_output_room(1);  // any room at all takes one
  h.pump();
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 4u);
  h.machine->set_output_room(static_cast<std::size_t>(-1));
  h.pump();
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 10u);
  EXPECT_TRUE(h.state.queue.empty());
}

TEST(SessionMachineDelivery, WindowIsMaxInflightAndPubackOpensASlot) {
  SessionHarness h(window_of(2));
  h.connect_v311();
  h.deliver(make_delivery("m1", QoS::kAtLeastOnce));
  h.deliver(make_delivery("m2", QoS::kAtLeastOnce));
  h.deliver(make_delivery("m3", QoS::kAtLeastOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();  // window full: queued
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 2u);
  EXPECT_EQ(h.state.queue.size(), 1u);
  const std::uint16_t first = test::sent<mqtt::Publish>(h.all)[0].packet_id;
  h.packet(make_response<mqtt::Puback>(first));
  EXPECT_EQ(h.kinds(), Kinds{"PUBLISH"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "m3");
  EXPECT_TRUE(h.state.queue.empty());
}

TEST(SessionMachineDelivery, WindowIsTheClientsReceiveMaximumWhenLower) {
  // [MQTT-3.3.4-9]: no more than the client's Receive Maximum unacknowledged.
  SessionHarness h(window_of(10));
  h.establish(v5_client(1));
  h.forget();
  h.deliver(make_delivery("m1", QoS::kExactlyOnce));
  h.deliver(make_delivery("m2", QoS::kAtLeastOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 1u);
}

TEST(SessionMachineDelivery, WindowIsMaxInflightWhenTheClientAllowsMore) {
  SessionHarness h(window_of(2));
  h.establish(v5_client(100));
  h.forget();
  for (int i = 0; i < 5; ++i) h.deliver(make_delivery("m", QoS::kAtLeastOnce));
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 2u);
}

TEST(SessionMachineDelivery, QoS0IsNotHeldByAFullWindow) {
  SessionHarness h(window_of(1));
  h.connect_v5();
  h.deliver(make_delivery("q1", QoS::kAtLeastOnce));
  h.deliver(make_delivery("q0", QoS::kAtMostOnce));
  EXPECT_EQ(h.kinds(), Kinds{"PUBLISH"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "q0");
}

TEST(SessionMachineDelivery, PubackOfAStoredDeliveryEmitsDeliveryDone) {
  // D3: the record goes once the client acknowledged it.
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kAtLeastOnce, 42));
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  h.packet(make_response<mqtt::Puback>(id));
  EXPECT_EQ(h.kinds(), Kinds{"DeliveryDone"}) << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 42u);
  EXPECT_TRUE(h.state.inflight.empty());
  EXPECT_FALSE(h.state.packet_ids_in_use.contains(id));
  h.packet(make_response<mqtt::Puback>(id));  // again: nothing left to complete
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

TEST(SessionMachineDelivery, PubackOfAnUnstoredDeliveryEmitsNoDeliveryDone) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kAtLeastOnce, 0));
  h.packet(make_response<mqtt::Puback>(h.sent_one<mqtt::Publish>().packet_id));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  EXPECT_TRUE(h.state.inflight.empty());
}

TEST(SessionMachineDelivery, PubackForAnUnknownIdentifierIsIgnored) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kAtLeastOnce, 5));
  h.packet(make_response<mqtt::Puback>(999));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  EXPECT_EQ(h.state.inflight.size(), 1u);
}

TEST(SessionMachineDelivery, QoS2PubrelOnlyAfterThePubrelStageIsRecorded) {
  // D3: PUBREC → RecordPubrel → (commit) → PUBREL → PUBCOMP → DeliveryDone.
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 9));
  h.commit(h.single<RecordSent>().token);
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  h.packet(make_response<mqtt::Pubrec>(id));
  EXPECT_EQ(h.kinds(), Kinds{"RecordPubrel"}) << h.describe();
  const auto record = h.single<RecordPubrel>();
  EXPECT_EQ(record.sequence, 9u);
  EXPECT_EQ(h.state.inflight.at(0).stage, Inflight::Stage::kPubrelSent);
  h.commit(record.token);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
  const auto pubrel = h.sent_one<mqtt::Pubrel>();
  EXPECT_EQ(pubrel.packet_id, id);
  EXPECT_EQ(pubrel.reason_code, ReasonCode::kSuccess);
  h.packet(make_response<mqtt::Pubcomp>(id));
  EXPECT_EQ(h.kinds(), Kinds{"DeliveryDone"}) << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 9u);
  EXPECT_TRUE(h.state.inflight.empty());
  EXPECT_FALSE(h.state.packet_ids_in_use.contains(id));
}

TEST(SessionMachineDelivery, QoS2UnstoredPubrecGetsPubrelAtOnce) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 0));
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  h.packet(make_response<mqtt::Pubrec>(id));
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
  h.packet(make_response<mqtt::Pubcomp>(id));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  EXPECT_TRUE(h.state.inflight.empty());
}

TEST(SessionMachineDelivery, QoS2WindowSlotIsHeldUntilPubcomp) {
  SessionHarness h(window_of(1));
  h.connect_v5();
  h.deliver(make_delivery("m1", QoS::kExactlyOnce));
  h.deliver(make_delivery("m2", QoS::kAtLeastOnce));
  const std::uint16_t id = test::sent<mqtt::Publish>(h.all).at(0).packet_id;
  h.packet(make_response<mqtt::Pubrec>(id));
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
  h.packet(make_response<mqtt::Pubcomp>(id));
  EXPECT_EQ(h.kinds(), Kinds{"PUBLISH"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "m2");
}

TEST(SessionMachineDelivery, RepeatedPubrecBeforeTheRecordCommitsSendsNoPubrel) {
  // D3: a PUBREL before its stage is stored could, after a crash, be
  // followed by a re-sent PUBLISH the client takes for a new message.
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 9));
  h.commit(h.single<RecordSent>().token);
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  h.packet(make_response<mqtt::Pubrec>(id));
  const Token record = h.single<RecordPubrel>().token;
  h.packet(make_response<mqtt::Pubrec>(id));
  EXPECT_TRUE(h.sent<mqtt::Pubrel>().empty()) << h.describe();
  h.commit(record);
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
  h.packet(make_response<mqtt::Pubrec>(id));  // once recorded, PUBREL again
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
}

TEST(SessionMachineDelivery, PubrecWithAFailureEndsTheFlow) {
  // §4.3.3: a PUBREC of 0x80 or more: no PUBREL; the identifier is free.
  SessionHarness h(window_of(1));
  h.connect_v5();
  h.deliver(make_delivery("m1", QoS::kExactlyOnce, 3));
  h.commit(h.single<RecordSent>().token);
  h.deliver(make_delivery("m2", QoS::kAtLeastOnce));
  const std::uint16_t id = test::sent<mqtt::Publish>(h.all).at(0).packet_id;
  h.packet(make_response<mqtt::Pubrec>(id, ReasonCode::kNotAuthorized));
  EXPECT_EQ(h.kinds(), (Kinds{"DeliveryDone", "PUBLISH"})) << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 3u);
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "m2");
}

TEST(SessionMachineDelivery, PubrecForAnUnknownIdentifierV5GetsPubrelNotFound) {
  SessionHarness h;
  h.connect_v5();
  h.packet(make_response<mqtt::Pubrec>(77));
  EXPECT_EQ(h.kinds(), Kinds{"PUBREL"}) << h.describe();
  const auto pubrel = h.sent_one<mqtt::Pubrel>();
  EXPECT_EQ(pubrel.packet_id, 77);
  EXPECT_EQ(pubrel.reason_code, ReasonCode::kPacketIdentifierNotFound);
}

TEST(SessionMachineDelivery, PacketIdentifiersSkipThoseInUseAndWrap) {
  // [MQTT-2.2.1-3]: a new identifier is one not in use; 0 is never one.
  SessionHarness h;
  h.connect_v5();
  h.state.next_packet_id = 0xFFFF;
  h.state.packet_ids_in_use.insert(1);
  h.deliver(make_delivery("a", QoS::kAtLeastOnce));
  h.deliver(make_delivery("b", QoS::kAtLeastOnce));
  const auto sent = test::sent<mqtt::Publish>(h.all);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].packet_id, 0xFFFF);
  EXPECT_EQ(sent[1].packet_id, 2);
}

TEST(SessionMachineDelivery, DeliveryQueuedBeforeConnackIsSentAfterIt) {
  SessionHarness h;
  h.packet(SessionHarness::v5_connect(60));
  h.attach(false);
  const Token store = h.single<session::StoreSession>().token;
  h.deliver(make_delivery("early", QoS::kAtLeastOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.commit(store);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive", "PUBLISH"})) << h.describe();
}

TEST(SessionMachineDelivery, ExpiredMessagesAreNotSent) {
  // [MQTT-3.3.2-5]: dropped, and its record with it.
  SessionHarness h;
  h.connect_v5();
  auto m = std::make_shared<model::Message>();
  m->topic = "a";
  m->expires_at = h.now;
  h.deliver(make_delivery(m, QoS::kAtLeastOnce, 8));
  EXPECT_EQ(h.kinds(), Kinds{"DeliveryDone"}) << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 8u);
  EXPECT_EQ(h.single<DeliveryDone>().dropped, session::DropReason::kExpired);  // a metric counts it
  EXPECT_TRUE(h.state.inflight.empty());
  // One that was never stored is dropped as visibly (no record to remove).
  h.deliver(make_delivery(m, QoS::kAtMostOnce));
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 0u);
  EXPECT_EQ(h.single<DeliveryDone>().dropped, session::DropReason::kExpired);
}

TEST(SessionMachineDelivery, MessagesExpiringWhileQueuedAreNotSent) {
  SessionHarness h(window_of(1));
  h.connect_v5();
  h.deliver(make_delivery("first", QoS::kAtLeastOnce, 1));
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  auto m = std::make_shared<model::Message>();
  m->topic = "short-lived";
  m->expires_at = h.now + seconds(5);
  h.deliver(make_delivery(m, QoS::kAtLeastOnce, 2));
  h.deliver(make_delivery("last", QoS::kAtLeastOnce, 3));
  h.now += seconds(6);
  h.packet(make_response<mqtt::Puback>(id));
  EXPECT_EQ(h.kinds(), (Kinds{"DeliveryDone", "DeliveryDone", "PUBLISH"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "last");
}

TEST(SessionMachineDelivery, RemainingExpiryIsForwardedRoundedUp) {
  // [MQTT-3.3.2-6]: the received interval minus the time waited.
  SessionHarness h;
  h.connect_v5();
  auto m = std::make_shared<model::Message>();
  m->topic = "a";
  m->expires_at = h.now + milliseconds(10'500);
  h.deliver(make_delivery(m, QoS::kAtMostOnce));
  EXPECT_EQ(h.sent_one<mqtt::Publish>().properties.message_expiry_interval, 11u);
  h.now += milliseconds(10'499);
  h.deliver(make_delivery(m, QoS::kAtMostOnce));
  EXPECT_EQ(h.sent_one<mqtt::Publish>().properties.message_expiry_interval, 1u);
  auto forever = make_message("b", "x", QoS::kAtMostOnce);
  h.deliver(make_delivery(forever, QoS::kAtMostOnce));
  EXPECT_FALSE(h.sent_one<mqtt::Publish>().properties.message_expiry_interval);
}

TEST(SessionMachineDelivery, MessagesLargerThanTheClientsMaximumPacketSizeAreDropped) {
  // [MQTT-3.1.2-25]: not sent, and handled as if it had been delivered.
  SessionHarness h;
  h.establish(v5_client(std::nullopt, 64));
  h.forget();
  h.deliver(make_delivery(make_message("big", std::string(100, 'x')), QoS::kAtLeastOnce, 5));
  EXPECT_EQ(h.kinds(), Kinds{"DeliveryDone"}) << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 5u);
  EXPECT_EQ(h.single<DeliveryDone>().dropped, session::DropReason::kTooLarge);
  EXPECT_TRUE(h.state.inflight.empty());
  EXPECT_TRUE(h.state.packet_ids_in_use.empty());
  h.deliver(make_delivery(make_message("small", "x"), QoS::kAtLeastOnce, 6));
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "small");
  EXPECT_EQ(h.machine->client_maximum_packet_size(), 64u);
}

TEST(SessionMachineDelivery, SubscriptionIdentifiersAreForwarded) {
  // [MQTT-3.3.4-3]: every matching subscription's identifier.
  SessionHarness h;
  h.connect_v5();
  auto d = make_delivery("a", QoS::kAtMostOnce);
  d.subscription_ids = {3, 7};
  h.deliver(std::move(d));
  const std::vector<std::uint32_t> ids{3, 7};
  EXPECT_EQ(h.sent_one<mqtt::Publish>().properties.subscription_identifiers, ids);
}

TEST(SessionMachineDelivery, MessagePropertiesAreForwardedUnchanged) {
  // [MQTT-3.3.2-15..20].
  SessionHarness h;
  h.connect_v5();
  auto m = std::make_shared<model::Message>();
  m->topic = "a";
  m->properties.payload_format_indicator = 1;
  m->properties.content_type = "application/json";
  m->properties.response_topic = "r";
  m->properties.correlation_data = "cd";
  m->properties.user_properties = {{"a", "1"}, {"a", "2"}};
  h.deliver(make_delivery(m, QoS::kAtMostOnce));
  const auto p = h.sent_one<mqtt::Publish>().properties;
  EXPECT_EQ(p.payload_format_indicator, 1);
  EXPECT_EQ(p.content_type, "application/json");
  EXPECT_EQ(p.response_topic, "r");
  EXPECT_EQ(p.correlation_data, "cd");
  ASSERT_EQ(p.user_properties.size(), 2u);
  EXPECT_EQ(p.user_properties[0].value, "1");
  EXPECT_EQ(p.user_properties[1].value, "2");
}

TEST(SessionMachineDelivery, V311ClientsGetNoProperties) {
  SessionHarness h;
  h.connect_v311();
  auto m = std::make_shared<model::Message>();
  m->topic = "a";
  m->properties.content_type = "text/plain";
  m->properties.user_properties = {{"k", "v"}};
  m->expires_at = h.now + seconds(10);
  auto d = make_delivery(m, QoS::kAtLeastOnce);
  d.subscription_ids = {4};
  h.deliver(std::move(d));
  EXPECT_EQ(h.sent_one<mqtt::Publish>().properties, mqtt::Properties{});
}

TEST(SessionMachineDelivery, OutboundTopicAliasReplacesARepeatedTopic) {
  // §3.3.2.3.4: the first PUBLISH sets the alias, later ones send it alone;
  // never above the client's Topic Alias Maximum [MQTT-3.3.2-11].
  SessionHarness h;
  h.establish(v5_client(std::nullopt, std::nullopt, 2));
  h.forget();
  const auto send = [&](const char* topic) {
    h.deliver(make_delivery(topic, QoS::kAtMostOnce));
    return h.sent_one<mqtt::Publish>();
  };
  auto p = send("a");
  EXPECT_EQ(p.topic, "a");
  EXPECT_EQ(p.properties.topic_alias, 1);
  p = send("a");
  EXPECT_EQ(p.topic, "");
  EXPECT_EQ(p.properties.topic_alias, 1);
  p = send("b");
  EXPECT_EQ(p.topic, "b");
  EXPECT_EQ(p.properties.topic_alias, 2);
  p = send("c");  // no alias left: the whole topic
  EXPECT_EQ(p.topic, "c");
  EXPECT_FALSE(p.properties.topic_alias);
  p = send("b");
  EXPECT_EQ(p.topic, "");
  EXPECT_EQ(p.properties.topic_alias, 2);
}

TEST(SessionMachineDelivery, NoOutboundTopicAliasWhenTheClientAllowsNone) {
  SessionHarness h;
  h.connect_v5();
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.topic, "a");
  EXPECT_FALSE(p.properties.topic_alias);
}

TEST(SessionMachineDelivery, ADroppedMessageDoesNotSetAnAlias) {
  // The client never saw the alias the oversized PUBLISH would have set, so
  // the next PUBLISH to that topic must name it in full [MQTT-3.3.2-8].
  SessionHarness h;
  h.establish(v5_client(std::nullopt, 64, 5));
  h.forget();
  h.deliver(make_delivery(make_message("t", std::string(100, 'x')), QoS::kAtMostOnce));
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.deliver(make_delivery(make_message("t", "x"), QoS::kAtMostOnce));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.topic, "t");
  EXPECT_TRUE(p.properties.topic_alias);
}

TEST(SessionMachineDelivery, OutboundAliasesStartAfreshOnReconnect) {
  // [MQTT-3.3.2-7]: no alias carries over to a new connection.
  SessionHarness h;
  auto c = v5_client(std::nullopt, std::nullopt, 3);
  c.clean_start = false;
  c.properties.session_expiry_interval = 60;
  h.establish(c);
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  h.reconnect(c);
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_EQ(p.topic, "a");
  EXPECT_EQ(p.properties.topic_alias, 1);
}

TEST(SessionMachineDelivery, NothingIsSentAfterTheConnectionCloses) {
  SessionHarness h;
  h.connect_v5(60);
  h.packet(make_disconnect());
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.closed();
  h.deliver(make_delivery("a", QoS::kAtMostOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

}  // namespace
}  // namespace cairn::test
