#include "mqtt/packet_encoder.h"

#include <limits>
#include <type_traits>

#include "base/check.h"
#include "mqtt/property_codec.h"
#include "mqtt/wire_format.h"

namespace cairn::mqtt {
namespace {

using wire::varint_size;
using wire::Writer;

constexpr bool is_v5(ProtocolVersion v) { return v == ProtocolVersion::kV5; }
constexpr std::uint8_t u8(ReasonCode code) { return static_cast<std::uint8_t>(code); }
constexpr std::uint8_t u8(QoS qos) { return static_cast<std::uint8_t>(qos); }

// Computed by the sizing pass and reused by the writing pass, so properties
// are measured once per packet.
struct Sizes {
  std::size_t properties = 0;
  std::size_t will_properties = 0;
};

// A Property Length and the properties after it.
std::size_t with_length(std::size_t properties) { return varint_size(properties) + properties; }

std::string_view protocol_name(ProtocolVersion v) {
  return v == ProtocolVersion::kV31 ? "MQIsdp" : "MQTT";
}

// --- sizes of the Variable Header and Payload (the Remaining Length) -------

std::size_t body_size(const Connect& c, ProtocolVersion, Sizes& s) {
  const bool v5 = is_v5(c.version);
  std::size_t n = 2 + protocol_name(c.version).size() + 1 + 1 + 2 + 2 + c.client_id.size();
  if (v5) n += with_length(s.properties = properties_size(c.properties));
  if (c.will) {
    if (v5) n += with_length(s.will_properties = properties_size(c.will->properties));
    n += 2 + c.will->topic.size() + 2 + c.will->payload.size();
  }
  if (c.username) n += 2 + c.username->size();
  if (c.password) n += 2 + c.password->size();
  return n;
}

std::size_t body_size(const Connack& c, ProtocolVersion v, Sizes& s) {
  return 2 + (is_v5(v) ? with_length(s.properties = properties_size(c.properties)) : 0);
}

const Properties* properties_of(const Publish& p) { return &p.properties; }
const Properties* properties_of(const PublishView& p) { return p.properties; }

// Publish and PublishView share their layout, so one template sizes and
// writes both: the two can never encode differently.
template <class P>
requires std::is_same_v<P, Publish> || std::is_same_v<P, PublishView> std::size_t body_size(
    const P& p, ProtocolVersion v, Sizes& s) {
  std::size_t n = 2 + p.topic.size() + (p.qos != QoS::kAtMostOnce ? 2 : 0) + p.payload.size();
  if (is_v5(v)) {
    const Properties* properties = properties_of(p);
    s.properties = properties != nullptr ? properties_size(*properties) : 0;
    n += with_length(s.properties);
  }
  return n;
}

template <PacketType T>
std::size_t body_size(const PublishResponse<T>& p, ProtocolVersion v, Sizes& s) {
  if (!is_v5(v)) return 2;
  s.properties = properties_size(p.properties);
  if (s.properties > 0) return 3 + with_length(s.properties);
  return p.reason_code == ReasonCode::kSuccess ? 2 : 3;
}

std::size_t body_size(const Subscribe& p, ProtocolVersion v, Sizes& s) {
  std::size_t n = 2;
  if (is_v5(v)) n += with_length(s.properties = properties_size(p.properties));
  for (const TopicSubscription& sub : p.subscriptions) n += 2 + sub.filter.size() + 1;
  return n;
}

std::size_t body_size(const Suback& p, ProtocolVersion v, Sizes& s) {
  std::size_t n = 2 + p.reason_codes.size();
  if (is_v5(v)) n += with_length(s.properties = properties_size(p.properties));
  return n;
}

std::size_t body_size(const Unsubscribe& p, ProtocolVersion v, Sizes& s) {
  std::size_t n = 2;
  if (is_v5(v)) n += with_length(s.properties = properties_size(p.properties));
  for (const std::string& filter : p.filters) n += 2 + filter.size();
  return n;
}

std::size_t body_size(const Unsuback& p, ProtocolVersion v, Sizes& s) {
  if (!is_v5(v)) return 2;
  return 2 + with_length(s.properties = properties_size(p.properties)) + p.reason_codes.size();
}

std::size_t body_size(const Pingreq&, ProtocolVersion, Sizes&) { return 0; }
std::size_t body_size(const Pingresp&, ProtocolVersion, Sizes&) { return 0; }

std::size_t body_size(const Disconnect& p, ProtocolVersion v, Sizes& s) {
  if (!is_v5(v)) return 0;
  s.properties = properties_size(p.properties);
  if (s.properties > 0) return 1 + with_length(s.properties);
  return p.reason_code == ReasonCode::kNormalDisconnection ? 0 : 1;
}

std::size_t body_size(const Auth& p, ProtocolVersion v, Sizes& s) {
  CAIRN_CHECK(is_v5(v), "AUTH exists only in MQTT 5");
  s.properties = properties_size(p.properties);
  // [MQTT-3.15.2.1]: only a Success with no properties may leave both out.
  if (s.properties == 0 && p.reason_code == ReasonCode::kSuccess) return 0;
  return 1 + with_length(s.properties);
}

// --- the first byte ----------------------------------------------------------

template <class P>
std::uint8_t first_byte(const P&) {
  constexpr bool flags_0010 = P::kType == PacketType::kPubrel ||
                              P::kType == PacketType::kSubscribe ||
                              P::kType == PacketType::kUnsubscribe;
  return static_cast<std::uint8_t>((static_cast<unsigned>(P::kType) << 4) | (flags_0010 ? 2 : 0));
}

template <class P>
requires std::is_same_v<P, Publish> || std::is_same_v<P, PublishView> std::uint8_t first_byte(
    const P& p) {
  return static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (u8(p.qos) << 1) |
                                   (p.retain ? 0x01 : 0));
}

// --- writing the Variable Header and Payload --------------------------------

void write_body(Writer& w, const Connect& c, ProtocolVersion, const Sizes& s) {
  w.string(protocol_name(c.version));
  w.u8(static_cast<std::uint8_t>(c.version));
  std::uint8_t flags = c.clean_start ? 0x02 : 0;
  if (c.will) {
    flags |= static_cast<std::uint8_t>(0x04 | (u8(c.will->qos) << 3) | (c.will->retain ? 0x20 : 0));
  }
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  w.u8(flags);
  w.u16(c.keep_alive);
  if (is_v5(c.version)) write_properties(w, c.properties, s.properties);
  w.string(c.client_id);
  if (c.will) {
    if (is_v5(c.version)) write_properties(w, c.will->properties, s.will_properties);
    w.string(c.will->topic);
    w.string(c.will->payload);
  }
  if (c.username) w.string(*c.username);
  if (c.password) w.string(*c.password);
}

void write_body(Writer& w, const Connack& c, ProtocolVersion v, const Sizes& s) {
  // MQTT 3.1 has no Session Present: the byte is reserved and sent as 0.
  w.u8(c.session_present && v != ProtocolVersion::kV31 ? 1 : 0);
  if (is_v5(v)) {
    w.u8(u8(c.reason_code));
    write_properties(w, c.properties, s.properties);
  } else {
    w.u8(to_v3_connack_code(c.reason_code));
  }
}

template <class P>
requires std::is_same_v<P, Publish> || std::is_same_v<P, PublishView>
void write_body(Writer& w, const P& p, ProtocolVersion v, const Sizes& s) {
  w.string(p.topic);
  if (p.qos != QoS::kAtMostOnce) w.u16(p.packet_id);
  if (is_v5(v)) {
    const Properties* properties = properties_of(p);
    if (properties != nullptr) {
      write_properties(w, *properties, s.properties);
    } else {
      w.varint(0);
    }
  }
  w.raw(p.payload);
}

template <PacketType T>
void write_body(Writer& w, const PublishResponse<T>& p, ProtocolVersion v, const Sizes& s) {
  w.u16(p.packet_id);
  if (!is_v5(v)) return;
  if (s.properties == 0 && p.reason_code == ReasonCode::kSuccess) return;
  w.u8(u8(p.reason_code));
  if (s.properties > 0) write_properties(w, p.properties, s.properties);
}

void write_body(Writer& w, const Subscribe& p, ProtocolVersion v, const Sizes& s) {
  w.u16(p.packet_id);
  if (is_v5(v)) write_properties(w, p.properties, s.properties);
  for (const TopicSubscription& sub : p.subscriptions) {
    w.string(sub.filter);
    const SubscriptionOptions& o = sub.options;
    std::uint8_t options = u8(o.max_qos);
    if (is_v5(v)) {
      options |=
          static_cast<std::uint8_t>((o.no_local ? 0x04 : 0) | (o.retain_as_published ? 0x08 : 0) |
                                    (static_cast<unsigned>(o.retain_handling) << 4));
    }
    w.u8(options);
  }
}

void write_body(Writer& w, const Suback& p, ProtocolVersion v, const Sizes& s) {
  w.u16(p.packet_id);
  if (is_v5(v)) write_properties(w, p.properties, s.properties);
  for (ReasonCode code : p.reason_codes) {
    // 3.x knows only the granted QoS and 0x80 (failure).
    w.u8(is_v5(v) || !is_failure(code) ? u8(code) : u8(ReasonCode::kUnspecifiedError));
  }
}

void write_body(Writer& w, const Unsubscribe& p, ProtocolVersion v, const Sizes& s) {
  w.u16(p.packet_id);
  if (is_v5(v)) write_properties(w, p.properties, s.properties);
  for (const std::string& filter : p.filters) w.string(filter);
}

void write_body(Writer& w, const Unsuback& p, ProtocolVersion v, const Sizes& s) {
  w.u16(p.packet_id);
  if (!is_v5(v)) return;
  write_properties(w, p.properties, s.properties);
  for (ReasonCode code : p.reason_codes) w.u8(u8(code));
}

void write_body(Writer&, const Pingreq&, ProtocolVersion, const Sizes&) {}
void write_body(Writer&, const Pingresp&, ProtocolVersion, const Sizes&) {}

void write_body(Writer& w, const Disconnect& p, ProtocolVersion v, const Sizes& s) {
  if (!is_v5(v)) return;
  if (s.properties == 0 && p.reason_code == ReasonCode::kNormalDisconnection) return;
  w.u8(u8(p.reason_code));
  if (s.properties > 0) write_properties(w, p.properties, s.properties);
}

void write_body(Writer& w, const Auth& p, ProtocolVersion, const Sizes& s) {
  if (s.properties == 0 && p.reason_code == ReasonCode::kSuccess) return;
  w.u8(u8(p.reason_code));
  write_properties(w, p.properties, s.properties);
}

std::size_t total_size(std::size_t body) {
  CAIRN_CHECK(body <= wire::kMaxVarint, "packet larger than MQTT can express");
  return 1 + varint_size(static_cast<std::uint32_t>(body)) + body;
}

template <class P>
void encode_one(const P& p, ProtocolVersion version, std::vector<std::uint8_t>& out) {
  Sizes sizes;
  const std::size_t body = body_size(p, version, sizes);
  const std::size_t total = total_size(body);
  const std::size_t offset = out.size();
  out.resize(offset + total);
  Writer w(out.data() + offset);
  w.u8(first_byte(p));
  w.varint(static_cast<std::uint32_t>(body));
  write_body(w, p, version, sizes);
  CAIRN_CHECK(w.position() == out.data() + out.size(), "encoder size mismatch");
}

}  // namespace

std::size_t encoded_size(const PublishView& publish, ProtocolVersion version) {
  Sizes sizes;
  const std::size_t body = body_size(publish, version, sizes);
  // A delivery can outgrow what MQTT can express (a topic restored from an
  // alias, properties added to a message received at the largest size).
  if (body > wire::kMaxVarint) return std::numeric_limits<std::size_t>::max();
  return total_size(body);
}

void encode_publish(const PublishView& publish, ProtocolVersion version,
                    std::vector<std::uint8_t>& out) {
  encode_one(publish, version, out);
}

std::size_t encoded_size(const Packet& packet, ProtocolVersion version) {
  return std::visit(
      [&](const auto& p) {
        Sizes sizes;
        return total_size(body_size(p, version, sizes));
      },
      packet);
}

void encode_packet(const Packet& packet, ProtocolVersion version, std::vector<std::uint8_t>& out) {
  std::visit([&](const auto& p) { encode_one(p, version, out); }, packet);
}

}  // namespace cairn::mqtt
