// Malformed, oversized and forbidden input through a RawClient, against a
// broker started with a small max_packet_size. Each time the offending
// connection is closed (MQTT 5: after one DISCONNECT with the reason code
// src/mqtt/README.md names; 3.1.1 has no way to say why), and a Paho client
// connected all along (the bystander) still publishes and receives, and got
// nothing from the offender.
#include <string>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

constexpr std::uint32_t kMaxPacketSize = 1024;

class SmallLimits : public BrokerTest {
 protected:
  std::string config() const override {
    return "[limits]\nmax_packet_size = " + std::to_string(kMaxPacketSize) + "\n";
  }
  void start_bystander(int version) {
    bystander_ = connected("bystander", version);
    ASSERT_EQ(bystander_->subscribe("by/#", 1), 1);
  }
  void TearDown() override {
    bystander_.reset();
    BrokerTest::TearDown();
  }
  void expect_bystander_unharmed() {
    ASSERT_TRUE(bystander_->connected()) << "the bystander was disconnected";
    const std::vector<Message> before = bystander_->receive_until_marker("by/marker");
    EXPECT_TRUE(before.empty()) << "the bystander got '" << before.front().topic
                                << "' from the refused connection";
  }
  std::unique_ptr<PahoClient> bystander_;
};

// Before CONNECT there is no session to say anything in: the connection is
// just closed, with no byte sent.
class BeforeConnect : public SmallLimits {
 protected:
  void SetUp() override {
    SmallLimits::SetUp();
    if (!HasFatalFailure()) start_bystander(5);
  }
  void expect_closed_silently(const Bytes& bytes) {
    RawClient c(port());
    c.send(bytes);  // may fail if the broker already closed
    std::vector<RawPacket> got;
    ASSERT_TRUE(c.wait_closed(kWait, &got)) << "the connection was not closed";
    EXPECT_TRUE(got.empty()) << "the broker answered with packet type " << int{got.front().type};
  }
};

TEST_F(BeforeConnect, GarbageIsClosedSilently) {
  const std::string http = "GET / HTTP/1.1\r\nHost: cairn\r\n\r\n";
  expect_closed_silently(Bytes(http.begin(), http.end()));
  expect_bystander_unharmed();
}

// [MQTT-3.1.0-1]: the first packet must be CONNECT.
TEST_F(BeforeConnect, FirstPacketOtherThanConnectIsClosedSilently) {
  expect_closed_silently(pingreq_packet());
  expect_bystander_unharmed();
}

// [MQTT-3.1.2-2]: an unsupported protocol level gets CONNACK 0x01 (3.1.1)
// or 0x84 (5.0), or none, and the connection is closed.
TEST_F(BeforeConnect, UnsupportedProtocolLevelIsRefused) {
  RawConnect c;
  c.version = 6;
  c.client_id = "future";
  RawClient r(port());
  r.send(connect_packet(c));
  std::vector<RawPacket> got;
  ASSERT_TRUE(r.wait_closed(kWait, &got)) << "the connection was not closed";
  ASSERT_LE(got.size(), 1u);
  if (!got.empty()) {
    ASSERT_EQ(got[0].type, kConnack);
    ASSERT_EQ(got[0].body.size(), 2u);
    EXPECT_TRUE(got[0].body[1] == 0x01 || got[0].body[1] == 0x84) << int{got[0].body[1]};
  }
  expect_bystander_unharmed();
}

class Malformed : public WithVersions<SmallLimits> {
 protected:
  void SetUp() override {
    SmallLimits::SetUp();
    if (HasFatalFailure()) return;
    start_bystander(version());
    if (HasFatalFailure()) return;
    offender_ = std::make_unique<RawClient>(port());
    RawConnect c;
    c.version = level();
    c.client_id = "offender";
    auto ack = offender_->handshake(c, kWait);
    ASSERT_TRUE(ack && ack->reason == 0) << "the offender could not connect";
    connack_ = *ack;
  }
  // Sends `bytes` and expects the broker to close the connection: in 5.0
  // after exactly one DISCONNECT with `reason`, in 3.1.1 without a packet.
  void expect_refused(const Bytes& bytes, std::uint8_t reason) {
    offender_->send(bytes);
    std::vector<RawPacket> got;
    ASSERT_TRUE(offender_->wait_closed(kWait, &got)) << "the connection was not closed";
    if (level() == 5) {
      ASSERT_EQ(got.size(), 1u) << "expected one DISCONNECT";
      ASSERT_EQ(got[0].type, kDisconnect);
      EXPECT_EQ(disconnect_reason(got[0]), reason)
          << std::hex << "expected reason 0x" << int{reason};
    } else {
      EXPECT_TRUE(got.empty()) << "3.1.1 has no packet for this; got type "
                               << int{got.front().type};
    }
    expect_bystander_unharmed();
  }
  std::unique_ptr<RawClient> offender_;
  RawConnack connack_;
};

// §2.1.2: packet type 0 is reserved: Malformed Packet (0x81).
TEST_P(Malformed, ReservedPacketType) { expect_refused({0x00, 0x00}, 0x81); }

// [MQTT-1.5.5-1]: a Remaining Length of more than four bytes: 0x81.
TEST_P(Malformed, RemainingLengthOverFourBytes) {
  expect_refused({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 0x81);
}

// [MQTT-3.8.1-1]: SUBSCRIBE fixed-header flags other than 0b0010: 0x81.
TEST_P(Malformed, SubscribeWithWrongFixedHeaderFlags) {
  Bytes s = subscribe_packet(level(), 1, "by/t", 0);
  s[0] = 0x80;
  expect_refused(s, 0x81);
}

// [MQTT-3.3.1-4]: PUBLISH with QoS 3: 0x81.
TEST_P(Malformed, PublishWithQos3) {
  Bytes p = publish_packet(level(), "by/t", "qos 3", 1, 1);
  p[0] |= 0x06;
  expect_refused(p, 0x81);
}

// [MQTT-1.5.4-1]: a topic that is not well-formed UTF-8 (an overlong
// encoding of '/'): 0x81.
TEST_P(Malformed, PublishTopicNotUtf8) {
  expect_refused(publish_packet(level(), "by\xC0\xAFt", "bad utf-8"), 0x81);
}

// [MQTT-3.3.2-2]: a topic name with a wildcard: 0x90 (Topic Name invalid).
TEST_P(Malformed, PublishTopicWithWildcard) {
  expect_refused(publish_packet(level(), "by/+", "wildcard"), 0x90);
}

// A PUBLISH over max_packet_size (told to 5.0 clients as Maximum Packet
// Size in CONNACK, §3.2.2.3.6): 0x95 (Packet too large).
TEST_P(Malformed, PublishLargerThanMaximumPacketSize) {
  if (level() == 5) {
    const RawProperty* maximum = connack_.properties.find(kMaximumPacketSize);
    ASSERT_NE(maximum, nullptr) << "CONNACK has no Maximum Packet Size";
    EXPECT_EQ(maximum->number, kMaxPacketSize);
  }
  const Bytes p = publish_packet(level(), "by/t", std::string(kMaxPacketSize, 'x'), 1, 1);
  ASSERT_GT(p.size(), kMaxPacketSize);
  expect_refused(p, 0x95);
}

// A packet exactly at the limit is accepted: the limit counts the whole
// packet, fixed header included (ops/cairn.toml).
TEST_P(Malformed, PublishOfExactlyMaximumPacketSizeIsAccepted) {
  const std::size_t overhead = publish_packet(level(), "by/t", "", 1, 1).size();
  const std::size_t payload = kMaxPacketSize - overhead - 1;  // the Remaining Length grows a byte
  const Bytes p = publish_packet(level(), "by/t", std::string(payload, 'x'), 1, 1);
  ASSERT_EQ(p.size(), kMaxPacketSize);
  ASSERT_TRUE(offender_->send(p));
  auto puback = offender_->read(kWait);
  ASSERT_TRUE(puback) << "no PUBACK for a packet within the limit";
  EXPECT_EQ(puback->type, kPuback);
  auto m = bystander_->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload.size(), payload);
}

// [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error (0x82).
TEST_P(Malformed, SecondConnect) {
  RawConnect c;
  c.version = level();
  c.client_id = "offender";
  expect_refused(connect_packet(c), 0x82);
}

CAIRN_BOTH_VERSIONS(Malformed);

}  // namespace
}  // namespace cairn::paho_test
