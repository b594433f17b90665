// RawClient: a TCP connection to the broker that sends hand-made MQTT bytes
// and reads whole packets back with a timeout, for what a well-behaved client
// library cannot do: malformed input, closing without DISCONNECT, holding
// acknowledgements back, and checking exactly what the broker sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::paho_test {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

// MQTT control packet types (§2.1.2).
enum PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// MQTT 5 property identifiers used by the tests (§2.2.2.2).
enum PropertyId : std::uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kReasonString = 0x1F,
  kWillDelayInterval = 0x18,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
};

// The body of an MQTT 5 property list, built one property at a time; the
// packet builders add the Property Length in front.
class PropertyWriter {
 public:
  PropertyWriter& byte(PropertyId id, std::uint8_t value);
  PropertyWriter& u16(PropertyId id, std::uint16_t value);
  PropertyWriter& u32(PropertyId id, std::uint32_t value);
  PropertyWriter& varint(PropertyId id, std::uint32_t value);
  PropertyWriter& string(PropertyId id, std::string_view value);
  PropertyWriter& pair(PropertyId id, std::string_view key, std::string_view value);
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// One property as read back: numbers in `number`, strings and binary data in
// `text`, a user property's value in `value`.
struct RawProperty {
  std::uint8_t id = 0;
  std::uint32_t number = 0;
  std::string text;
  std::string value;
};

struct RawProperties {
  std::vector<RawProperty> all;
  const RawProperty* find(PropertyId id) const;
  std::size_t count(PropertyId id) const;
};

// Packet builders. `version` is the protocol level: 4 (3.1.1) or 5.
struct RawWill {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  PropertyWriter properties;  // MQTT 5 only
};

struct RawConnect {
  std::uint8_t version = 5;
  std::string client_id;
  bool clean_start = true;
  std::uint16_t keep_alive = 0;
  PropertyWriter properties;  // MQTT 5 only
  std::optional<RawWill> will;
};

Bytes connect_packet(const RawConnect& c);
Bytes publish_packet(std::uint8_t version, std::string_view topic, std::string_view payload,
                     std::uint8_t qos = 0, std::uint16_t packet_id = 0, bool retain = false,
                     const PropertyWriter& properties = {});
Bytes subscribe_packet(std::uint8_t version, std::uint16_t packet_id, std::string_view filter,
                       std::uint8_t options, const PropertyWriter& properties = {});
// PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success.
Bytes ack_packet(PacketType type, std::uint16_t packet_id);
Bytes disconnect_packet(std::uint8_t version, std::uint8_t reason = 0,
                        const PropertyWriter& properties = {});
Bytes pingreq_packet();

// A packet as received: the first byte split, the body after the Remaining
// Length, and its size on the wire.
struct RawPacket {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  Bytes body;
  std::size_t wire_size = 0;
};

struct RawPublish {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  RawProperties properties;
};

// Parsers for what the broker sends. A body that does not parse fails the
// calling test (ADD_FAILURE) and returns what was read.
RawPublish parse_publish(const RawPacket& p, std::uint8_t version);
struct RawConnack {
  bool session_present = false;
  std::uint8_t reason = 0;
  RawProperties properties;
};
RawConnack parse_connack(const RawPacket& p, std::uint8_t version);
// MQTT 5 DISCONNECT: an empty body is 0x00 (Normal disconnection).
std::uint8_t disconnect_reason(const RawPacket& p);

class RawClient {
 public:
  // Connects to 127.0.0.1:port; a failure fails the calling test and leaves
  // the client closed.
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // False if the bytes could not be written (the broker closed already).
  bool send(const Bytes& bytes);
  // The next whole packet, or nothing on timeout or when the broker closed
  // the connection (then peer_closed() is true).
  std::optional<RawPacket> read(milliseconds timeout);
  bool peer_closed() const { return peer_closed_; }

  // Reads until the broker closes the connection; false on timeout. The
  // packets that came before the close are returned in `before_close`.
  bool wait_closed(milliseconds timeout, std::vector<RawPacket>* before_close = nullptr);

  // Sends CONNECT and returns the CONNACK (nothing if none came).
  std::optional<RawConnack> handshake(const RawConnect& c, milliseconds timeout);
  // Sends SUBSCRIBE (in the version of the last handshake) and waits for
  // its SUBACK: true if it granted a QoS.
  bool subscribe(std::uint16_t packet_id, std::string_view filter, std::uint8_t options,
                 milliseconds timeout);
  // The next PUBLISH, acknowledged as a client library would (PUBACK, or
  // PUBREC and then PUBCOMP for the PUBREL); other packets are skipped.
  std::optional<RawPublish> next_publish(milliseconds timeout);
  // PINGREQ, then reads up to the PINGRESP; the packets before it are
  // returned. False if no PINGRESP came. The broker answers in order, so
  // this shows everything it had sent before it read the PINGREQ.
  bool ping(milliseconds timeout, std::vector<RawPacket>* before = nullptr);

  // Closes the socket without DISCONNECT: an abnormal disconnection.
  void close();
  bool is_open() const { return fd_ >= 0; }

 private:
  bool fill(milliseconds timeout);
  std::optional<RawPacket> take_packet();

  int fd_ = -1;
  std::uint8_t version_ = 5;  // from handshake()
  bool peer_closed_ = false;
  Bytes buffer_;
};

}  // namespace cairn::paho_test
