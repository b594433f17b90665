// SessionMachine, server to client, across connections: re-sending after a
// reconnect ([MQTT-4.4.0-1], [MQTT-4.9.0-2]), and the packet identifier of a
// QoS 2 PUBLISH to a persistent session recorded before it goes out (D3), so
// that a restart re-sends it with the same one.
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::DeliveryDone;
using session::Inflight;
using session::RecordPubrel;
using session::RecordSent;
using Kinds = std::vector<std::string>;
using std::chrono::seconds;

session::SessionLimits window_of(std::uint16_t max_inflight) {
  session::SessionLimits limits;
  limits.max_inflight = max_inflight;
  return limits;
}

// An MQTT 5 client announcing these limits on what it receives.
mqtt::Connect v5_client(std::optional<std::uint16_t> receive_maximum,
                        std::optional<std::uint32_t> maximum_packet_size = std::nullopt) {
  auto c = SessionHarness::v5_connect();
  c.properties.receive_maximum = receive_maximum;
  c.properties.maximum_packet_size = maximum_packet_size;
  return c;
}

TEST(SessionMachineResend, ReconnectResendsUnacknowledgedInOrderBeforeNewMessages) {
  // [MQTT-4.4.0-1]: PUBLISH (DUP=1) and PUBREL re-sent in their original
  // order, before anything new; [MQTT-3.3.1-1]: DUP set on a re-delivery.
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("m1", QoS::kAtLeastOnce, 1));
  h.deliver(make_delivery("m2", QoS::kExactlyOnce, 2));
  h.commit(h.single<RecordSent>().token);
  h.deliver(make_delivery("m3", QoS::kExactlyOnce, 3));
  h.commit(h.single<RecordSent>().token);
  const auto first = test::sent<mqtt::Publish>(h.all);
  ASSERT_EQ(first.size(), 3u);
  h.packet(make_response<mqtt::Pubrec>(first[1].packet_id));
  h.commit(h.single<RecordPubrel>().token);
  h.closed();
  // Routed while the client was away.
  h.state.queue.push_back(make_delivery("m4", QoS::kAtLeastOnce, 4));

  EXPECT_TRUE(h.reconnect(SessionHarness::v5_connect(600)).session_present);
  EXPECT_EQ(h.kinds(),
            (Kinds{"CONNACK", "SetKeepAlive", "PUBLISH", "PUBREL", "PUBLISH", "PUBLISH"}))
      << h.describe();
  const auto packets = h.packets();
  const auto& m1 = std::get<mqtt::Publish>(packets[1]);
  EXPECT_EQ(m1.topic, "m1");
  EXPECT_TRUE(m1.dup);
  EXPECT_EQ(m1.qos, QoS::kAtLeastOnce);
  EXPECT_EQ(m1.packet_id, first[0].packet_id);
  EXPECT_EQ(std::get<mqtt::Pubrel>(packets[2]).packet_id, first[1].packet_id);
  const auto& m3 = std::get<mqtt::Publish>(packets[3]);
  EXPECT_EQ(m3.topic, "m3");
  EXPECT_TRUE(m3.dup);
  EXPECT_EQ(m3.qos, QoS::kExactlyOnce);
  EXPECT_EQ(m3.packet_id, first[2].packet_id);
  const auto& m4 = std::get<mqtt::Publish>(packets[4]);
  EXPECT_EQ(m4.topic, "m4");
  EXPECT_FALSE(m4.dup);
  EXPECT_NE(m4.packet_id, m1.packet_id);
  EXPECT_NE(m4.packet_id, m3.packet_id);
}

TEST(SessionMachineResend, ResendAfterReconnectKeepsToTheNewReceiveMaximum) {
  // [MQTT-4.9.0-2]: the reconnected client may allow fewer unacknowledged
  // PUBLISH packets; the rest are re-sent, still with DUP and their original
  // identifiers, as it acknowledges, and before anything new.
  SessionHarness h;
  h.connect_v5(600);
  for (std::uint64_t i = 1; i <= 4; ++i) {
    h.deliver(make_delivery("m" + std::to_string(i), QoS::kAtLeastOnce, i));
  }
  const auto first = test::sent<mqtt::Publish>(h.all);
  ASSERT_EQ(first.size(), 4u);
  h.closed();
  h.state.queue.push_back(make_delivery("new", QoS::kAtLeastOnce, 5));
  auto c = v5_client(2);
  c.clean_start = false;
  c.properties.session_expiry_interval = 600;
  h.reconnect(c);
  auto resent = test::sent<mqtt::Publish>(h.last);
  ASSERT_EQ(resent.size(), 2u) << h.describe();
  EXPECT_EQ(resent[0].packet_id, first[0].packet_id);
  EXPECT_EQ(resent[1].packet_id, first[1].packet_id);
  h.packet(make_response<mqtt::Puback>(first[1].packet_id));
  resent = test::sent<mqtt::Publish>(h.last);
  ASSERT_EQ(resent.size(), 1u) << h.describe();
  EXPECT_EQ(resent[0].topic, "m3");
  EXPECT_TRUE(resent[0].dup);
  EXPECT_EQ(resent[0].packet_id, first[2].packet_id);
  h.packet(make_response<mqtt::Puback>(first[0].packet_id));
  resent = test::sent<mqtt::Publish>(h.last);
  ASSERT_EQ(resent.size(), 1u) << h.describe();
  EXPECT_EQ(resent[0].topic, "m4");
  EXPECT_EQ(resent[0].packet_id, first[3].packet_id);
  h.packet(make_response<mqtt::Puback>(first[2].packet_id));
  resent = test::sent<mqtt::Publish>(h.last);
  ASSERT_EQ(resent.size(), 1u) << h.describe();
  EXPECT_EQ(resent[0].topic, "new");
  EXPECT_FALSE(resent[0].dup);
}

TEST(SessionMachineResend, AnAckForAPublishNotYetResentSettlesIt) {
  SessionHarness h;
  h.connect_v5(600);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    h.deliver(make_delivery("m" + std::to_string(i), QoS::kAtLeastOnce, i));
  }
  const auto first = test::sent<mqtt::Publish>(h.all);
  h.closed();
  auto c = v5_client(1);
  c.clean_start = false;
  c.properties.session_expiry_interval = 600;
  h.reconnect(c);
  ASSERT_EQ(test::sent<mqtt::Publish>(h.last).size(), 1u);
  // The client acknowledges m3, which it had before the reconnect.
  h.packet(make_response<mqtt::Puback>(first[2].packet_id));
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 3u);
  EXPECT_TRUE(test::sent<mqtt::Publish>(h.last).empty());
  h.packet(make_response<mqtt::Puback>(first[0].packet_id));
  const auto resent = test::sent<mqtt::Publish>(h.last);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].topic, "m2");
  EXPECT_TRUE(h.state.queue.empty());
  EXPECT_EQ(h.state.inflight.size(), 1u);
}

TEST(SessionMachineResend, TheSessionKnowsTheWindowOfItsConnectionWhileOnline) {
  // The broker's queue limit counts only what waits beyond the free window.
  SessionHarness h(window_of(10));
  h.establish(v5_client(4));
  EXPECT_EQ(h.state.send_window, 4u);
  h.closed();
  EXPECT_EQ(h.state.send_window, 0u);
}

TEST(SessionMachineResend, ReconnectV311ResendsWithDup) {
  SessionHarness h;
  h.connect_v311(false);
  h.deliver(make_delivery("a", QoS::kAtLeastOnce, 1));
  const std::uint16_t id = h.sent_one<mqtt::Publish>().packet_id;
  h.reconnect(make_connect(ProtocolVersion::kV311, "client-1", false));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_TRUE(p.dup);
  EXPECT_EQ(p.packet_id, id);
  h.packet(make_response<mqtt::Puback>(id));
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 1u);
}

TEST(SessionMachineResend, ResentPublishCarriesTheRemainingExpiry) {
  // [MQTT-3.3.2-6]: every PUBLISH to a client carries what is left of it.
  SessionHarness h;
  h.connect_v5(600);
  auto m = std::make_shared<model::Message>();
  m->topic = "a";
  m->qos = QoS::kAtLeastOnce;
  m->expires_at = h.now + seconds(100);
  h.deliver(make_delivery(m, QoS::kAtLeastOnce, 1));
  EXPECT_EQ(h.sent_one<mqtt::Publish>().properties.message_expiry_interval, 100u);
  h.now += seconds(40);
  h.reconnect(SessionHarness::v5_connect(600));
  const auto p = h.sent_one<mqtt::Publish>();
  EXPECT_TRUE(p.dup);
  EXPECT_EQ(p.properties.message_expiry_interval, 60u);
}

TEST(SessionMachineResend, ResendTooLargeForTheNewConnectionIsDropped) {
  // [MQTT-3.1.2-25]: the reconnected client may accept less than before.
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery(make_message("big", std::string(100, 'x')), QoS::kAtLeastOnce, 5));
  const std::uint16_t big = h.sent_one<mqtt::Publish>().packet_id;
  h.deliver(make_delivery(make_message("small", "x"), QoS::kAtLeastOnce, 6));
  auto c = v5_client(std::nullopt, 64);
  c.clean_start = false;
  c.properties.session_expiry_interval = 600;
  h.reconnect(c);
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "SetKeepAlive", "DeliveryDone", "PUBLISH"}))
      << h.describe();
  EXPECT_EQ(h.single<DeliveryDone>().sequence, 5u);
  EXPECT_EQ(h.sent_one<mqtt::Publish>().topic, "small");
  ASSERT_EQ(h.state.inflight.size(), 1u);
  EXPECT_FALSE(h.state.packet_ids_in_use.contains(big));
}

// --- QoS 2 to a persistent session: the packet identifier first (D3) ---

TEST(SessionMachineQos2Record, PublishWaitsForItsPacketIdentifierToBeRecorded) {
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 5));
  EXPECT_EQ(h.kinds(), Kinds{"RecordSent"}) << h.describe();
  const RecordSent record = h.single<RecordSent>();
  EXPECT_EQ(record.sequence, 5u);
  EXPECT_NE(record.packet_id, 0);
  ASSERT_EQ(h.state.inflight.size(), 1u);  // it holds its window slot already
  h.commit(record.token);
  EXPECT_EQ(h.kinds(), Kinds{"PUBLISH"}) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Publish>().packet_id, record.packet_id);
}

TEST(SessionMachineQos2Record, NothingOvertakesAPublishWaitingForItsRecord) {
  // [MQTT-4.6.0-6]: messages go out in the order they were routed.
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("first", QoS::kExactlyOnce, 1));
  const Token token = h.single<RecordSent>().token;
  h.deliver(make_delivery("second", QoS::kAtLeastOnce, 2));
  h.deliver(make_delivery("third", QoS::kAtMostOnce));
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.commit(token);
  const auto sent = h.sent<mqtt::Publish>();
  ASSERT_EQ(sent.size(), 3u) << h.describe();
  EXPECT_EQ(sent[0].topic, "first");
  EXPECT_EQ(sent[1].topic, "second");
  EXPECT_EQ(sent[2].topic, "third");
}

TEST(SessionMachineQos2Record, UnstoredAndQos1DeliveriesAreNotRecorded) {
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("unstored", QoS::kExactlyOnce, 0));
  h.deliver(make_delivery("qos1", QoS::kAtLeastOnce, 7));
  EXPECT_TRUE(test::only<RecordSent>(h.all).empty()) << h.describe();
  EXPECT_EQ(test::sent<mqtt::Publish>(h.all).size(), 2u);
}

TEST(SessionMachineQos2Record, AFailedRecordSendsNothingAndDisconnects) {
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 1));
  h.commit_failed(h.single<RecordSent>().token);
  EXPECT_TRUE(h.sent<mqtt::Publish>().empty()) << h.describe();
  EXPECT_EQ(h.single<session::CloseConnection>().reason, ReasonCode::kUnspecifiedError);
}

TEST(SessionMachineQos2Record,
     APublishStillWaitingWhenTheConnectionDropsIsResentWithItsIdentifier) {
  SessionHarness h;
  h.connect_v5(600);
  h.deliver(make_delivery("a", QoS::kExactlyOnce, 1));
  const RecordSent record = h.single<RecordSent>();
  h.closed();
  h.commit(record.token);  // the old connection's machine sends nothing now
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  EXPECT_TRUE(h.reconnect(SessionHarness::v5_connect(600)).session_present);
  const auto resent = h.sent<mqtt::Publish>();
  ASSERT_EQ(resent.size(), 1u) << h.describe();
  EXPECT_EQ(resent[0].packet_id, record.packet_id);
  EXPECT_TRUE(resent[0].dup);
}

}  // namespace
}  // namespace cairn::test
