// SessionMachine: SUBSCRIBE/SUBACK ([MQTT-3.8], [MQTT-3.9]) with per-filter
// reason codes, features the server does not offer, Retain Handling
// ([MQTT-3.3.1-9..11]) and the subscription limit; UNSUBSCRIBE/UNSUBACK
// ([MQTT-3.10], [MQTT-3.11]).
#include <gtest/gtest.h>

#include "support/session_harness.h"

namespace cairn::test {
namespace {

using model::RetainHandling;
using session::ApplySubscribe;
using session::ApplyUnsubscribe;
using session::SendRetained;
using Kinds = std::vector<std::string>;
using Codes = std::vector<ReasonCode>;

TEST(SessionMachineSubscribe, ApplySubscribeLowersMaxQoSToMaximumQoS) {
  session::SessionLimits limits;
  limits.maximum_qos = QoS::kAtLeastOnce;
  SessionHarness h(limits);
  h.connect_v5();
  auto no_local = make_filter("b", QoS::kAtMostOnce);
  no_local.options.no_local = true;
  no_local.options.retain_as_published = true;
  h.packet(make_subscribe(10, {make_filter("a/+", QoS::kExactlyOnce), no_local}));
  EXPECT_EQ(h.kinds(), Kinds{"ApplySubscribe"}) << h.describe();  // no SUBACK yet
  const auto apply = h.single<ApplySubscribe>();
  EXPECT_NE(apply.token, 0u);
  ASSERT_EQ(apply.requests.size(), 2u);
  EXPECT_EQ(apply.requests[0].filter, "a/+");
  EXPECT_EQ(apply.requests[0].options.max_qos, QoS::kAtLeastOnce);
  EXPECT_EQ(apply.requests[0].subscription_id, 0u);
  EXPECT_EQ(apply.requests[1].filter, "b");
  EXPECT_EQ(apply.requests[1].options.max_qos, QoS::kAtMostOnce);
  EXPECT_TRUE(apply.requests[1].options.no_local);
  EXPECT_TRUE(apply.requests[1].options.retain_as_published);
}

TEST(SessionMachineSubscribe, SubackCarriesTheBrokersResults) {
  // [MQTT-3.9.3-1]: one code per filter, in order.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(10, {make_filter("a", QoS::kExactlyOnce), make_filter("b"),
                               make_filter("c", QoS::kAtMostOnce)}));
  h.subscribed(
      h.single<ApplySubscribe>().token,
      {granted(QoS::kExactlyOnce), refused(ReasonCode::kNotAuthorized), granted(QoS::kAtMostOnce)});
  const auto suback = h.sent_one<mqtt::Suback>();
  EXPECT_EQ(suback.packet_id, 10);  // [MQTT-3.8.4-2]
  EXPECT_EQ(suback.reason_codes, (Codes{ReasonCode::kGrantedQoS2, ReasonCode::kNotAuthorized,
                                        ReasonCode::kGrantedQoS0}));
}

TEST(SessionMachineSubscribe, V311FailureCodesBecome0x80) {
  // 3.1.1 §3.9.3: 0x80 is the only failure return code.
  SessionHarness h;
  h.connect_v311();
  h.packet(make_subscribe(3, {make_filter("a"), make_filter("b")}));
  h.subscribed(h.single<ApplySubscribe>().token,
               {refused(ReasonCode::kNotAuthorized), granted(QoS::kAtLeastOnce)});
  EXPECT_EQ(h.sent_one<mqtt::Suback>().reason_codes,
            (Codes{ReasonCode::kUnspecifiedError, ReasonCode::kGrantedQoS1}));
}

// §3.2.2.3.11/§3.2.2.3.13: a client told in CONNACK that wildcard or shared
// subscriptions are unavailable and sending one anyway commits a Protocol
// Error; the server DISCONNECTs with 0xA2 / 0x9E, as for 0xA1 below, and
// nothing of the SUBSCRIBE is applied.
TEST(SessionMachineSubscribe, SharedSubscriptionWhenUnavailableDisconnects0x9E) {
  session::SessionLimits limits;
  limits.shared_subscription_available = false;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("a"), make_filter("$share/g/b"), make_filter("c")}));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code,
            ReasonCode::kSharedSubscriptionsNotSupported);
}

TEST(SessionMachineSubscribe, WildcardWhenUnavailableDisconnects0xA2) {
  session::SessionLimits limits;
  limits.wildcard_subscription_available = false;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("a/b"), make_filter("a/+")}));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code,
            ReasonCode::kWildcardSubscriptionsNotSupported);
}

TEST(SessionMachineSubscribe, V311RefusedFeaturesAre0x80) {
  session::SessionLimits limits;
  limits.wildcard_subscription_available = false;
  SessionHarness h(limits);
  h.connect_v311();
  h.packet(make_subscribe(4, {make_filter("a/#")}));
  EXPECT_EQ(h.sent_one<mqtt::Suback>().reason_codes, Codes{ReasonCode::kUnspecifiedError});
}

TEST(SessionMachineSubscribe, EveryFilterRefusedGivesSubackAtOnce) {
  session::SessionLimits limits;
  limits.max_topic_length = 3;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("abcd")}));
  EXPECT_EQ(h.kinds(), Kinds{"SUBACK"}) << h.describe();  // nothing to ask the broker
  EXPECT_EQ(h.sent_one<mqtt::Suback>().reason_codes, Codes{ReasonCode::kTopicFilterInvalid});
}

TEST(SessionMachineSubscribe, FilterOverTheTopicLimitsIsRefused0x8F) {
  session::SessionLimits limits;
  limits.max_topic_length = 3;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("abcd")}));
  EXPECT_EQ(h.sent_one<mqtt::Suback>().reason_codes, Codes{ReasonCode::kTopicFilterInvalid});
}

TEST(SessionMachineSubscribe, SubscriptionIdentifierWhenUnavailableDisconnects0xA1) {
  // §3.2.2.3.12: DISCONNECT 0xA1 (Subscription Identifiers not supported).
  session::SessionLimits limits;
  limits.subscription_identifiers_available = false;
  SessionHarness h(limits);
  h.connect_v5();
  auto s = make_subscribe(4, {make_filter("a")});
  s.properties.subscription_identifiers = {5};
  h.packet(std::move(s));
  EXPECT_EQ(h.kinds(), (Kinds{"DISCONNECT", "CloseConnection"})) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Disconnect>().reason_code,
            ReasonCode::kSubscriptionIdentifiersNotSupported);
}

TEST(SessionMachineSubscribe, SubscriptionIdentifierGoesWithEveryRequest) {
  // [MQTT-3.8.2.1.2]: one identifier for every filter of the SUBSCRIBE.
  SessionHarness h;
  h.connect_v5();
  auto s = make_subscribe(4, {make_filter("a"), make_filter("b")});
  s.properties.subscription_identifiers = {5};
  h.packet(std::move(s));
  const auto apply = h.single<ApplySubscribe>();
  ASSERT_EQ(apply.requests.size(), 2u);
  EXPECT_EQ(apply.requests[0].subscription_id, 5u);
  EXPECT_EQ(apply.requests[1].subscription_id, 5u);
}

TEST(SessionMachineSubscribe, RetainedMessagesFollowTheSubackPerRetainHandling) {
  // [MQTT-3.3.1-9] (0: always), [MQTT-3.3.1-10] (1: only if new),
  // [MQTT-3.3.1-11] (2: never).
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(
      4, {make_filter("h0", QoS::kAtLeastOnce, RetainHandling::kSendOnSubscribe),
          make_filter("h1", QoS::kAtLeastOnce, RetainHandling::kSendOnNewSubscribe),
          make_filter("h2", QoS::kAtLeastOnce, RetainHandling::kDoNotSend),
          make_filter("h0-existed", QoS::kAtLeastOnce, RetainHandling::kSendOnSubscribe),
          make_filter("h1-existed", QoS::kAtLeastOnce, RetainHandling::kSendOnNewSubscribe)}));
  h.subscribed(h.single<ApplySubscribe>().token,
               {granted(QoS::kAtLeastOnce), granted(QoS::kAtMostOnce), granted(QoS::kAtLeastOnce),
                granted(QoS::kAtLeastOnce, true), granted(QoS::kAtLeastOnce, true)});
  EXPECT_EQ(h.kinds(), (Kinds{"SUBACK", "SendRetained", "SendRetained", "SendRetained"}))
      << h.describe();
  const auto retained = h.only<SendRetained>();
  EXPECT_EQ(retained[0].subscription.filter, "h0");
  EXPECT_EQ(retained[1].subscription.filter, "h1");
  EXPECT_EQ(retained[2].subscription.filter, "h0-existed");
  // At the QoS granted, not the one asked for.
  EXPECT_EQ(retained[0].subscription.options.max_qos, QoS::kAtLeastOnce);
  EXPECT_EQ(retained[1].subscription.options.max_qos, QoS::kAtMostOnce);
}

TEST(SessionMachineSubscribe, V311AlwaysGetsRetainedMessages) {
  SessionHarness h;
  h.connect_v311();
  h.packet(make_subscribe(4, {make_filter("a")}));
  h.subscribed(h.single<ApplySubscribe>().token, {granted(QoS::kAtLeastOnce, true)});
  EXPECT_EQ(h.kinds(), (Kinds{"SUBACK", "SendRetained"})) << h.describe();
}

TEST(SessionMachineSubscribe, SharedSubscriptionsGetNoRetainedMessages) {
  // §4.8.2: retained messages are not sent for a shared subscription.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("$share/g/a")}));
  h.subscribed(h.single<ApplySubscribe>().token, {granted(QoS::kAtLeastOnce)});
  EXPECT_EQ(h.kinds(), Kinds{"SUBACK"}) << h.describe();
}

TEST(SessionMachineSubscribe, RefusedFiltersGetNoRetainedMessages) {
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("a")}));
  h.subscribed(h.single<ApplySubscribe>().token, {refused(ReasonCode::kNotAuthorized)});
  EXPECT_EQ(h.kinds(), Kinds{"SUBACK"}) << h.describe();
}

TEST(SessionMachineSubscribe, SubackWaitsForTheBroker) {
  // D1: for a persistent session the broker answers after the commit.
  SessionHarness h;
  h.connect_v5(60);
  h.packet(make_subscribe(4, {make_filter("a")}));
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.packet(mqtt::Pingreq{});
  EXPECT_EQ(h.kinds(), Kinds{"PINGRESP"}) << h.describe();
}

TEST(SessionMachineSubscribe, SubacksLeaveInRequestOrder) {
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(1, {make_filter("a", QoS::kAtLeastOnce, RetainHandling::kDoNotSend)}));
  const Token first = h.single<ApplySubscribe>().token;
  h.packet(make_subscribe(2, {make_filter("b", QoS::kAtLeastOnce, RetainHandling::kDoNotSend)}));
  const Token second = h.single<ApplySubscribe>().token;
  h.subscribed(second, {granted(QoS::kAtLeastOnce)});
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.subscribed(first, {granted(QoS::kAtLeastOnce)});
  const auto subacks = h.sent<mqtt::Suback>();
  ASSERT_EQ(subacks.size(), 2u);
  EXPECT_EQ(subacks[0].packet_id, 1);
  EXPECT_EQ(subacks[1].packet_id, 2);
}

TEST(SessionMachineSubscribe, TheSubscriptionLimitGoesToTheBrokerWhichKnowsTheHeldFilters) {
  session::SessionLimits limits;
  limits.max_subscriptions = 2;
  SessionHarness h(limits);
  h.connect_v5();
  h.packet(make_subscribe(4, {make_filter("a"), make_filter("b"), make_filter("c")}));
  const auto apply = h.single<ApplySubscribe>();
  EXPECT_EQ(apply.max_subscriptions, 2u);
  ASSERT_EQ(apply.requests.size(), 3u);
  h.subscribed(apply.token, {granted(QoS::kAtLeastOnce), granted(QoS::kAtLeastOnce),
                             refused(ReasonCode::kQuotaExceeded)});
  EXPECT_EQ(
      h.sent_one<mqtt::Suback>().reason_codes,
      (Codes{ReasonCode::kGrantedQoS1, ReasonCode::kGrantedQoS1, ReasonCode::kQuotaExceeded}));
}

TEST(SessionMachineSubscribe, QuotaExceededIsUnspecifiedErrorInMqtt311) {
  session::SessionLimits limits;
  limits.max_subscriptions = 1;
  SessionHarness h(limits);
  h.connect_v311();
  h.packet(make_subscribe(4, {make_filter("a"), make_filter("b")}));
  h.subscribed(h.single<ApplySubscribe>().token,
               {granted(QoS::kAtLeastOnce), refused(ReasonCode::kQuotaExceeded)});
  EXPECT_EQ(h.sent_one<mqtt::Suback>().reason_codes,
            (Codes{ReasonCode::kGrantedQoS1, ReasonCode::kUnspecifiedError}));
}

TEST(SessionMachineSubscribe, UnsubackV5CarriesACodePerFilter) {
  // [MQTT-3.11.3-1]: 0x00 Success or 0x11 No subscription existed.
  SessionHarness h;
  h.connect_v5();
  h.packet(make_unsubscribe(6, {"a", "b"}));
  EXPECT_EQ(h.kinds(), Kinds{"ApplyUnsubscribe"}) << h.describe();
  const auto apply = h.single<ApplyUnsubscribe>();
  EXPECT_EQ(apply.filters, (std::vector<std::string>{"a", "b"}));
  h.unsubscribed(apply.token, {true, false});
  const auto unsuback = h.sent_one<mqtt::Unsuback>();
  EXPECT_EQ(unsuback.packet_id, 6);  // [MQTT-3.10.4-4]
  EXPECT_EQ(unsuback.reason_codes,
            (Codes{ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted}));
}

TEST(SessionMachineSubscribe, UnsubackV311HasNoCodes) {
  // 3.1.1 §3.11: UNSUBACK has no payload, whatever existed.
  SessionHarness h;
  h.connect_v311();
  h.packet(make_unsubscribe(6, {"a", "b"}));
  h.unsubscribed(h.single<ApplyUnsubscribe>().token, {true, false});
  const auto unsuback = h.sent_one<mqtt::Unsuback>();
  EXPECT_EQ(unsuback.packet_id, 6);
  EXPECT_TRUE(unsuback.reason_codes.empty());
}

TEST(SessionMachineSubscribe, UnsubackWaitsBehindAPendingPuback) {
  // Every acknowledgement leaves through one FIFO (session_machine.h, §4.6).
  SessionHarness h;
  h.connect_v5();
  const Token t = h.publish("a", QoS::kAtLeastOnce, 1);
  h.packet(make_unsubscribe(2, {"a"}));
  h.unsubscribed(h.single<ApplyUnsubscribe>().token, {true});
  EXPECT_TRUE(h.packets().empty()) << h.describe();
  h.commit(t);
  EXPECT_EQ(h.kinds(), (Kinds{"PUBACK", "UNSUBACK"})) << h.describe();
}

TEST(SessionMachineSubscribe, AnswersAfterTheConnectionClosedAreNotSent) {
  SessionHarness h;
  h.connect_v5();
  h.packet(make_subscribe(1, {make_filter("a")}));
  const Token t = h.single<ApplySubscribe>().token;
  h.keep_alive_timeout();
  h.subscribed(t, {granted(QoS::kAtLeastOnce)});
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

}  // namespace
}  // namespace cairn::test
