// SessionMachine and issue 8: authentication at CONNECT (CONNACK 0x86, 0x87,
// 0x9F and the 3.1.1 return codes), and the ACL on the will, PUBLISH,
// SUBSCRIBE and every delivery.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "auth/acl_file.h"
#include "mqtt/packet_encoder.h"
#include "support/session_harness.h"

namespace cairn::test {
namespace {

using session::AccessDenied;
using session::Authenticate;
using session::AuthResult;
using session::DeliveryDone;
using session::DropReason;
using Kinds = std::vector<std::string>;
using Codes = std::vector<ReasonCode>;

// An AccessPolicy answered by a parsed mosquitto ACL file, as
// auth::AccessControl answers it in the broker.
class AclPolicy final : public model::AccessPolicy {
 public:
  explicit AclPolicy(std::string_view text)
      : acl_(std::get<auth::AclFile>(auth::AclFile::parse(text))) {}
  bool allows(std::string_view client_id, std::optional<std::string_view> username,
              std::string_view topic, model::TopicAccess access) const override {
    const auth::AclAccess a = access == model::TopicAccess::kRead    ? auth::AclAccess::kRead
                              : access == model::TopicAccess::kWrite ? auth::AclAccess::kWrite
                                                                     : auth::AclAccess::kSubscribe;
    return acl_.allows(client_id, username, topic, a);
  }

 private:
  auth::AclFile acl_;
};

constexpr std::string_view kAcl =
    "user alice\n"
    "topic readwrite alice/#\n"
    "topic read sensors/#\n"
    "topic deny sensors/secret\n"
    "pattern readwrite clients/%c/#\n";

struct AuthHarness {
  explicit AuthHarness(std::string_view acl = kAcl) : policy(acl) {
    session::SessionLimits limits;
    limits.access = &policy;
    h = std::make_unique<SessionHarness>(limits);
  }
  // Connected as `user` (the ACL's user name), actions forgotten.
  void connect(ProtocolVersion version, std::optional<std::string> user = "alice",
               std::string client_id = "c1") {
    mqtt::Connect c = make_connect(version, std::move(client_id));
    c.username = user;
    h->establish(std::move(c));
    h->forget();
  }
  AclPolicy policy;
  std::unique_ptr<SessionHarness> h;
};

AuthResult answer(ReasonCode reason, std::optional<std::string> username = std::nullopt) {
  AuthResult r;
  r.reason = reason;
  r.username = std::move(username);
  r.why = "test";
  return r;
}

// --- authentication ----------------------------------------------------------------

TEST(SessionMachineAuth, ConnectAsksForAuthenticationWithTheCredentials) {
  SessionHarness h;
  h.auto_authenticate = false;
  mqtt::Connect c = make_connect(ProtocolVersion::kV5, "c1");
  c.username = "alice";
  c.password = "secret";
  h.packet(std::move(c));
  EXPECT_EQ(h.kinds(), Kinds{"Authenticate"}) << h.describe();
  const Authenticate a = h.single<Authenticate>();
  EXPECT_EQ(a.username, "alice");
  EXPECT_EQ(a.password, "secret");
  EXPECT_FALSE(h.machine->connected());

  h.authenticated(answer(ReasonCode::kSuccess, "alice"));
  EXPECT_EQ(h.kinds(), Kinds{"AttachSession"}) << h.describe();
  EXPECT_EQ(h.machine->username(), "alice");
}

TEST(SessionMachineAuth, AnInvalidConnectIsRefusedBeforeAnyPasswordIsChecked) {
  SessionHarness h;
  h.auto_authenticate = false;
  mqtt::Connect c = make_connect(ProtocolVersion::kV31, "");  // 3.1 needs an identifier
  c.username = "alice";
  h.packet(std::move(c));
  EXPECT_TRUE(h.only<Authenticate>().empty()) << h.describe();
  EXPECT_EQ(h.sent_one<mqtt::Connack>().reason_code, ReasonCode::kClientIdentifierNotValid);
}

struct RefusalCase {
  ReasonCode reason;
  std::uint8_t v311_return_code;
};

class SessionMachineAuthRefusal : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(SessionMachineAuthRefusal, RefusedLoginGetsConnackWithTheReasonAndCloses) {
  for (const ProtocolVersion version : {ProtocolVersion::kV5, ProtocolVersion::kV311}) {
    SessionHarness h;
    h.auto_authenticate = false;
    h.packet(make_connect(version, "c1"));
    h.authenticated(answer(GetParam().reason));
    EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
    const mqtt::Connack ack = h.sent_one<mqtt::Connack>();
    EXPECT_EQ(ack.reason_code, GetParam().reason);
    EXPECT_FALSE(ack.session_present);
    std::vector<std::uint8_t> bytes;
    mqtt::encode_packet(ack, version, bytes);
    if (version == ProtocolVersion::kV311) {
      // 3.1.1 §3.2.2.3: the return code is the fourth byte of CONNACK.
      ASSERT_EQ(bytes.size(), 4u);
      EXPECT_EQ(bytes[3], GetParam().v311_return_code);
    } else {
      EXPECT_EQ(bytes[3], static_cast<std::uint8_t>(GetParam().reason));
    }
    EXPECT_FALSE(h.machine->connected());
    EXPECT_TRUE(h.only<session::AttachSession>().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Codes, SessionMachineAuthRefusal,
                         ::testing::Values(RefusalCase{ReasonCode::kBadUserNameOrPassword, 4},
                                           RefusalCase{ReasonCode::kNotAuthorized, 5},
                                           RefusalCase{ReasonCode::kConnectionRateExceeded, 3}));

TEST(SessionMachineAuth, PacketsSentBeforeTheLoginIsDecidedWaitForIt) {
  SessionHarness h;
  h.auto_authenticate = false;
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));
  h.packet(make_publish("a", QoS::kAtMostOnce));
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.authenticated(answer(ReasonCode::kBadUserNameOrPassword));
  // Refused: the early PUBLISH never reaches the broker.
  EXPECT_EQ(h.kinds(), (Kinds{"CONNACK", "CloseConnection"})) << h.describe();
}

TEST(SessionMachineAuth, AnswerAfterTheConnectionClosedDoesNothing) {
  SessionHarness h;
  h.auto_authenticate = false;
  h.packet(make_connect(ProtocolVersion::kV5, "c1"));
  h.closed();
  EXPECT_TRUE(h.last.empty()) << h.describe();
  h.authenticated(answer(ReasonCode::kSuccess, "alice"));
  EXPECT_TRUE(h.last.empty()) << h.describe();
}

// --- the will -------------------------------------------------------------------------

TEST(SessionMachineAuth, WillOnATopicTheUserMayNotWriteRefusesTheConnect) {
  for (const ProtocolVersion version : {ProtocolVersion::kV5, ProtocolVersion::kV311}) {
    AuthHarness a;
    mqtt::Connect c = make_connect(version, "c1");
    c.username = "alice";
    c.will = make_will("sensors/temp", "gone");  // readable, not writable
    a.h->packet(std::move(c));
    EXPECT_EQ(a.h->kinds(), (Kinds{"AccessDenied", "CONNACK", "CloseConnection"}))
        << a.h->describe();
    EXPECT_EQ(a.h->sent_one<mqtt::Connack>().reason_code, ReasonCode::kNotAuthorized);
    EXPECT_EQ(a.h->single<AccessDenied>().topic, "sensors/temp");
  }
}

TEST(SessionMachineAuth, WillOnAWritableTopicIsAccepted) {
  AuthHarness a;
  mqtt::Connect c = make_connect(ProtocolVersion::kV5, "c1");
  c.username = "alice";
  c.will = make_will("clients/c1/status", "gone");  // the %c pattern
  a.h->packet(std::move(c));
  EXPECT_EQ(a.h->kinds(), Kinds{"AttachSession"}) << a.h->describe();
}

// --- PUBLISH ---------------------------------------------------------------------------

TEST(SessionMachineAuth, DeniedPublishV5GetsPubackOrPubrec0x87AndIsNotRouted) {
  AuthHarness a;
  a.connect(ProtocolVersion::kV5);
  a.h->packet(make_publish("sensors/temp", QoS::kAtLeastOnce, 1));
  EXPECT_EQ(a.h->kinds(), (Kinds{"AccessDenied", "PUBACK"})) << a.h->describe();
  EXPECT_EQ(a.h->sent_one<mqtt::Puback>().reason_code, ReasonCode::kNotAuthorized);

  a.h->packet(make_publish("sensors/temp", QoS::kExactlyOnce, 2));
  EXPECT_EQ(a.h->kinds(), (Kinds{"AccessDenied", "PUBREC"})) << a.h->describe();
  EXPECT_EQ(a.h->sent_one<mqtt::Pubrec>().reason_code, ReasonCode::kNotAuthorized);
  EXPECT_TRUE(a.h->state.incoming_qos2.empty());  // a failed PUBREC ends the flow

  a.h->packet(make_publish("sensors/temp", QoS::kAtMostOnce));
  EXPECT_EQ(a.h->kinds(), Kinds{"AccessDenied"}) << a.h->describe();

  // Allowed topics still go through.
  a.h->packet(make_publish("alice/x", QoS::kAtLeastOnce, 3));
  EXPECT_EQ(a.h->kinds(), Kinds{"RoutePublish"}) << a.h->describe();
}

TEST(SessionMachineAuth, DeniedPublishV311IsAcknowledgedAndDropped) {
  // [MQTT-3.3.5-2]: 3.1.1 cannot say no; a positive acknowledgement it is.
  AuthHarness a;
  a.connect(ProtocolVersion::kV311);
  a.h->packet(make_publish("sensors/temp", QoS::kAtLeastOnce, 1));
  EXPECT_EQ(a.h->kinds(), (Kinds{"AccessDenied", "PUBACK"})) << a.h->describe();
  EXPECT_EQ(a.h->sent_one<mqtt::Puback>().reason_code, ReasonCode::kSuccess);

  a.h->packet(make_publish("sensors/temp", QoS::kExactlyOnce, 2));
  EXPECT_EQ(a.h->kinds(), (Kinds{"AccessDenied", "PUBREC"})) << a.h->describe();
  a.h->packet(make_response<mqtt::Pubrel>(2));
  EXPECT_EQ(a.h->kinds(), Kinds{"PUBCOMP"}) << a.h->describe();
  EXPECT_EQ(a.h->sent_one<mqtt::Pubcomp>().reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(test::only<session::RoutePublish>(a.h->all).empty());
}

TEST(SessionMachineAuth, DeniedPublishesDoNotUseUpTheReceiveMaximum) {
  session::SessionLimits limits;
  AclPolicy policy(kAcl);
  limits.access = &policy;
  limits.receive_maximum = 2;
  SessionHarness h(limits);
  mqtt::Connect c = make_connect(ProtocolVersion::kV5, "c1");
  c.username = "alice";
  h.establish(std::move(c));
  for (std::uint16_t id = 1; id <= 10; ++id) {
    h.packet(make_publish("sensors/x", QoS::kAtLeastOnce, id));
    EXPECT_EQ(h.sent_one<mqtt::Puback>().reason_code, ReasonCode::kNotAuthorized);
  }
  EXPECT_FALSE(h.machine->closed());
}

// --- SUBSCRIBE -------------------------------------------------------------------------

TEST(SessionMachineAuth, DeniedFilterGetsSuback0x87InV5And0x80InV311) {
  for (const ProtocolVersion version : {ProtocolVersion::kV5, ProtocolVersion::kV311}) {
    AuthHarness a;
    a.connect(version);
    a.h->packet(make_subscribe(
        5, {make_filter("alice/#"), make_filter("#"), make_filter("sensors/secret")}));
    const auto denied = a.h->only<AccessDenied>();
    ASSERT_EQ(denied.size(), 2u) << a.h->describe();
    EXPECT_EQ(denied[0].topic, "#");
    EXPECT_EQ(denied[1].access, model::TopicAccess::kSubscribe);
    const auto apply = a.h->single<session::ApplySubscribe>();
    ASSERT_EQ(apply.requests.size(), 1u);
    EXPECT_EQ(apply.requests[0].filter, "alice/#");
    a.h->subscribed(apply.token, {granted(QoS::kAtLeastOnce)});
    const ReasonCode refusal = version == ProtocolVersion::kV5 ? ReasonCode::kNotAuthorized
                                                               : ReasonCode::kUnspecifiedError;
    EXPECT_EQ(a.h->sent_one<mqtt::Suback>().reason_codes,
              (Codes{ReasonCode::kGrantedQoS1, refusal, refusal}));
  }
}

TEST(SessionMachineAuth, EveryFilterDeniedStillGetsItsSuback) {
  AuthHarness a;
  a.connect(ProtocolVersion::kV5);
  a.h->packet(make_subscribe(6, {make_filter("other/#")}));
  EXPECT_EQ(a.h->sent_one<mqtt::Suback>().reason_codes, Codes{ReasonCode::kNotAuthorized});
  EXPECT_TRUE(a.h->only<session::ApplySubscribe>().empty());
}

// --- delivery ----------------------------------------------------------------------------

TEST(SessionMachineAuth, DeliveryOfATopicTheClientMayNotReadIsDroppedNotSent) {
  AuthHarness a;
  a.connect(ProtocolVersion::kV5);
  // Granted sensors/#, but sensors/secret is denied: checked per message.
  a.h->deliver(make_delivery("sensors/secret", QoS::kAtLeastOnce, 41));
  EXPECT_EQ(a.h->kinds(), Kinds{"DeliveryDone"}) << a.h->describe();
  const DeliveryDone done = a.h->single<DeliveryDone>();
  EXPECT_EQ(done.sequence, 41u);
  EXPECT_EQ(done.dropped, DropReason::kNotAuthorized);

  a.h->deliver(make_delivery("sensors/temp", QoS::kAtLeastOnce, 42));
  EXPECT_EQ(a.h->kinds(), Kinds{"PUBLISH"}) << a.h->describe();
}

TEST(SessionMachineAuth, RetainedMessagesAreCheckedToo) {
  AuthHarness a;
  a.connect(ProtocolVersion::kV311);
  session::Delivery d = make_delivery("sensors/secret", QoS::kAtMostOnce);
  d.retain = true;
  a.h->deliver(std::move(d));
  EXPECT_EQ(a.h->kinds(), Kinds{"DeliveryDone"}) << a.h->describe();
}

TEST(SessionMachineAuth, AnonymousClientGetsOnlyTheAnonymousAndPatternRules) {
  AuthHarness a;
  a.connect(ProtocolVersion::kV5, std::nullopt, "dev1");
  EXPECT_FALSE(a.h->machine->username().has_value());
  a.h->packet(make_publish("alice/x", QoS::kAtLeastOnce, 1));
  EXPECT_EQ(a.h->sent_one<mqtt::Puback>().reason_code, ReasonCode::kNotAuthorized);
  a.h->packet(make_publish("clients/dev1/out", QoS::kAtLeastOnce, 2));
  EXPECT_EQ(a.h->kinds(), Kinds{"RoutePublish"}) << a.h->describe();
}

TEST(SessionMachineAuth, TheAuthenticatedNameNotTheConnectOneIsUsed) {
  // A certificate identity replaces what CONNECT said.
  AuthHarness a;
  a.h->auto_authenticate = false;
  mqtt::Connect c = make_connect(ProtocolVersion::kV5, "c1");
  c.username = "mallory";
  a.h->packet(std::move(c));
  a.h->authenticated(answer(ReasonCode::kSuccess, "alice"));
  a.h->attach(false);
  a.h->packet(make_publish("alice/x", QoS::kAtLeastOnce, 1));
  EXPECT_EQ(a.h->kinds(), Kinds{"RoutePublish"}) << a.h->describe();
}

}  // namespace
}  // namespace cairn::test
