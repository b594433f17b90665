#include "mqtt/packet_decoder.h"

#include <string>
#include <utility>

#include "model/topic.h"
#include "mqtt/property_codec.h"
#include "mqtt/wire_format.h"

namespace cairn::mqtt {
namespace {

using Result = std::variant<Packet, DecodeError>;
using wire::Reader;

constexpr bool is_v5(ProtocolVersion v) { return v == ProtocolVersion::kV5; }

// Every packet ends with its last field: trailing bytes are malformed.
template <class P>
Result finish(Reader& r, P&& packet) {
  if (r.ok() && !r.at_end()) r.fail(ReasonCode::kMalformedPacket, "bytes after the last field");
  if (!r.ok()) return r.error();
  return Packet(std::forward<P>(packet));
}

std::uint16_t packet_id(Reader& r) {
  const std::uint16_t id = r.u16();
  if (r.ok() && id == 0)
    r.fail(ReasonCode::kProtocolError, "packet identifier 0");  // [MQTT-2.2.1-3]
  return id;
}

void reason_code(Reader& r, PacketType type, ReasonCode& out) {
  out = static_cast<ReasonCode>(r.u8());
  if (r.ok() && !is_reason_code_allowed(type, out)) {
    r.fail(ReasonCode::kProtocolError, "reason code not defined for this packet");
  }
}

std::string topic_filter(Reader& r) {
  const std::string_view filter = r.utf8();
  if (r.ok() && !model::is_valid_topic_filter(filter)) {
    r.fail(ReasonCode::kTopicFilterInvalid, "invalid topic filter");
  }
  return std::string(filter);
}

Result decode_connect(Reader& r) {
  Connect c;
  const std::string_view name = r.binary();
  const std::uint8_t level = r.u8();
  if (!r.ok()) return r.error();
  // [MQTT-3.1.2-1]: not MQTT at all; close without CONNACK.
  if (name != "MQTT" && name != "MQIsdp") {
    return DecodeError{ReasonCode::kProtocolError, "unknown protocol name"};
  }
  // [MQTT-3.1.2-2]: answered with CONNACK 0x84 (3.x return code 1).
  if (name == "MQIsdp" ? level != 3 : level != 4 && level != 5) {
    return DecodeError{ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol level"};
  }
  c.version = static_cast<ProtocolVersion>(level);
  const std::uint8_t flags = r.u8();
  c.keep_alive = r.u16();
  if (!r.ok()) return r.error();
  const bool has_username = flags & 0x80;
  const bool has_password = flags & 0x40;
  const bool will_retain = flags & 0x20;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  const bool has_will = flags & 0x04;
  c.clean_start = flags & 0x02;
  if (flags & 0x01) return DecodeError{ReasonCode::kMalformedPacket, "CONNECT reserved flag set"};
  if (!has_will && (will_qos != 0 || will_retain)) {
    return DecodeError{ReasonCode::kMalformedPacket, "will QoS or retain without a will"};
  }
  if (will_qos == 3) return DecodeError{ReasonCode::kMalformedPacket, "will QoS 3"};
  if (!is_v5(c.version) && has_password && !has_username) {
    return DecodeError{ReasonCode::kMalformedPacket, "password without user name"};
  }
  if (is_v5(c.version)) read_properties(r, in(PacketType::kConnect), c.properties);
  if (r.ok() && c.properties.authentication_data && !c.properties.authentication_method) {
    // §3.1.2.11.10: Authentication Data without an Authentication Method.
    r.fail(ReasonCode::kProtocolError, "authentication data without a method");
  }
  c.client_id = r.utf8();
  if (has_will) {
    Will& will = c.will.emplace();
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    if (is_v5(c.version)) read_properties(r, kInWill, will.properties);
    if (r.ok() && will.properties.response_topic &&
        !model::is_valid_topic_name(*will.properties.response_topic)) {
      r.fail(ReasonCode::kProtocolError, "will response topic empty or with a wildcard");
    }
    will.topic = r.utf8();
    if (r.ok() && !model::is_valid_topic_name(will.topic)) {
      r.fail(ReasonCode::kTopicNameInvalid, "invalid will topic");
    }
    will.payload = r.binary();
  }
  if (has_username) c.username = std::string(r.utf8());
  if (has_password) c.password = std::string(r.binary());
  return finish(r, std::move(c));
}

Result decode_connack(Reader& r, ProtocolVersion v) {
  Connack c;
  const std::uint8_t flags = r.u8();
  const std::uint8_t code = r.u8();
  if (!r.ok()) return r.error();
  // MQTT 3.1 has no acknowledge flags: the byte is reserved and not used.
  if (v != ProtocolVersion::kV31) {
    if (flags & 0xFE)
      return DecodeError{ReasonCode::kMalformedPacket, "CONNACK reserved flags set"};
    c.session_present = flags & 0x01;
  }
  if (is_v5(v)) {
    c.reason_code = static_cast<ReasonCode>(code);
    if (!is_reason_code_allowed(PacketType::kConnack, c.reason_code)) {
      return DecodeError{ReasonCode::kProtocolError, "reason code not defined for CONNACK"};
    }
    read_properties(r, in(PacketType::kConnack), c.properties);
  } else {
    const std::optional<ReasonCode> mapped = from_v3_connack_code(code);
    if (!mapped) return DecodeError{ReasonCode::kProtocolError, "CONNACK return code above 5"};
    c.reason_code = *mapped;
  }
  if (c.session_present && is_failure(c.reason_code)) {  // [MQTT-3.2.2-6]
    return DecodeError{ReasonCode::kProtocolError, "session present on a refused connection"};
  }
  return finish(r, std::move(c));
}

Result decode_publish(std::uint8_t flags, Reader& r, ProtocolVersion v) {
  Publish p;
  p.dup = flags & 0x08;
  const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  p.retain = flags & 0x01;
  if (qos == 3) return DecodeError{ReasonCode::kMalformedPacket, "PUBLISH QoS 3"};
  if (qos == 0 && p.dup) return DecodeError{ReasonCode::kMalformedPacket, "DUP set on QoS 0"};
  p.qos = static_cast<QoS>(qos);
  p.topic = r.utf8();
  if (qos > 0) p.packet_id = packet_id(r);
  if (is_v5(v)) read_properties(r, in(PacketType::kPublish), p.properties);
  if (!r.ok()) return r.error();
  if (p.properties.response_topic && !model::is_valid_topic_name(*p.properties.response_topic)) {
    // [MQTT-3.3.2-14]: a Response Topic is a topic name: no wildcards (nor empty).
    return DecodeError{ReasonCode::kProtocolError, "response topic empty or with a wildcard"};
  }
  if (p.topic.empty()) {
    // §3.3.2.1: an empty topic name stands for the one a Topic Alias names.
    if (!is_v5(v)) return DecodeError{ReasonCode::kTopicNameInvalid, "empty topic name"};
    if (!p.properties.topic_alias) {
      return DecodeError{ReasonCode::kProtocolError, "empty topic name without topic alias"};
    }
  } else if (!model::is_valid_topic_name(p.topic)) {
    return DecodeError{ReasonCode::kTopicNameInvalid, "wildcard in topic name"};
  }
  p.payload = r.rest();
  return finish(r, std::move(p));
}

// PUBACK, PUBREC, PUBREL, PUBCOMP. In MQTT 5 the Reason Code may be left out
// when it is 0 and the Property Length when there are no properties
// ([MQTT-3.4.2.1], [MQTT-3.4.2.2.1]).
template <class P>
Result decode_publish_response(Reader& r, ProtocolVersion v) {
  P p;
  p.packet_id = packet_id(r);
  if (is_v5(v) && r.ok()) {
    if (!r.at_end()) reason_code(r, P::kType, p.reason_code);
    if (!r.at_end()) read_properties(r, in(P::kType), p.properties);
  }
  return finish(r, std::move(p));
}

Result decode_subscribe(Reader& r, ProtocolVersion v) {
  Subscribe s;
  s.packet_id = packet_id(r);
  if (is_v5(v)) read_properties(r, in(PacketType::kSubscribe), s.properties);
  while (r.ok() && !r.at_end()) {
    TopicSubscription& sub = s.subscriptions.emplace_back();
    sub.filter = topic_filter(r);
    const std::uint8_t options = r.u8();
    if (!r.ok()) break;
    // [MQTT-3.8.3-5]: reserved bits are 6-7 in MQTT 5 and 2-7 before.
    if (options & (is_v5(v) ? 0xC0 : 0xFC)) {
      return DecodeError{ReasonCode::kMalformedPacket, "subscription options reserved bits set"};
    }
    if ((options & 0x03) == 3) {
      // §3.8.3.1: a Protocol Error in MQTT 5; 3.x closes on a malformed packet.
      return DecodeError{is_v5(v) ? ReasonCode::kProtocolError : ReasonCode::kMalformedPacket,
                         "QoS 3"};
    }
    sub.options.max_qos = static_cast<QoS>(options & 0x03);
    sub.options.no_local = options & 0x04;
    sub.options.retain_as_published = options & 0x08;
    const auto retain_handling = static_cast<std::uint8_t>((options >> 4) & 0x03);
    if (retain_handling == 3) return DecodeError{ReasonCode::kProtocolError, "retain handling 3"};
    sub.options.retain_handling = static_cast<RetainHandling>(retain_handling);
    if (sub.options.no_local && sub.filter.starts_with(model::kSharedPrefix)) {
      return DecodeError{ReasonCode::kProtocolError, "no local on a shared subscription"};
    }
  }
  if (r.ok() && s.subscriptions.empty()) {
    return DecodeError{ReasonCode::kProtocolError, "SUBSCRIBE without a topic filter"};
  }
  return finish(r, std::move(s));
}

// SUBACK and UNSUBACK: a code per topic filter of the request.
template <class P>
Result decode_sub_response(Reader& r, ProtocolVersion v) {
  P p;
  p.packet_id = packet_id(r);
  if (!is_v5(v) && P::kType == PacketType::kUnsuback) return finish(r, std::move(p));
  if (is_v5(v)) read_properties(r, in(P::kType), p.properties);
  while (r.ok() && !r.at_end()) {
    const auto code = static_cast<ReasonCode>(r.u8());
    const bool known =
        is_v5(v) ? is_reason_code_allowed(P::kType, code)
                 : code == ReasonCode::kGrantedQoS0 || code == ReasonCode::kGrantedQoS1 ||
                       code == ReasonCode::kGrantedQoS2 || code == ReasonCode::kUnspecifiedError;
    if (!known) return DecodeError{ReasonCode::kProtocolError, "reason code not defined here"};
    p.reason_codes.push_back(code);
  }
  if (r.ok() && p.reason_codes.empty()) {
    return DecodeError{ReasonCode::kProtocolError, "acknowledgement without a reason code"};
  }
  return finish(r, std::move(p));
}

Result decode_unsubscribe(Reader& r, ProtocolVersion v) {
  Unsubscribe u;
  u.packet_id = packet_id(r);
  if (is_v5(v)) read_properties(r, in(PacketType::kUnsubscribe), u.properties);
  while (r.ok() && !r.at_end()) u.filters.push_back(topic_filter(r));
  if (r.ok() && u.filters.empty()) {
    return DecodeError{ReasonCode::kProtocolError, "UNSUBSCRIBE without a topic filter"};
  }
  return finish(r, std::move(u));
}

// DISCONNECT and AUTH: in MQTT 5 the Reason Code may be left out when it is 0,
// and the Property Length when there are no properties.
template <class P>
Result decode_reason_and_properties(Reader& r, ProtocolVersion v) {
  P p;
  if (is_v5(v)) {
    if (!r.at_end()) reason_code(r, P::kType, p.reason_code);
    if (!r.at_end()) read_properties(r, in(P::kType), p.properties);
  }
  return finish(r, std::move(p));
}

}  // namespace

std::optional<DecodeError> check_fixed_header(std::uint8_t first_byte, ProtocolVersion version) {
  const unsigned type = first_byte >> 4;
  const unsigned flags = first_byte & 0x0F;
  if (type == 0) return DecodeError{ReasonCode::kMalformedPacket, "reserved packet type 0"};
  if (type == static_cast<unsigned>(PacketType::kAuth) && !is_v5(version)) {
    return DecodeError{ReasonCode::kMalformedPacket, "AUTH before MQTT 5"};
  }
  if (type == static_cast<unsigned>(PacketType::kPublish)) return std::nullopt;
  const bool needs_0010 = type == static_cast<unsigned>(PacketType::kPubrel) ||
                          type == static_cast<unsigned>(PacketType::kSubscribe) ||
                          type == static_cast<unsigned>(PacketType::kUnsubscribe);
  if (flags != (needs_0010 ? 0x2u : 0x0u)) {
    return DecodeError{ReasonCode::kMalformedPacket, "invalid fixed header flags"};
  }
  return std::nullopt;
}

std::variant<Packet, DecodeError> decode_packet(std::uint8_t first_byte,
                                                std::span<const std::uint8_t> body,
                                                ProtocolVersion version) {
  if (auto error = check_fixed_header(first_byte, version)) return *error;
  Reader r(body);
  switch (static_cast<PacketType>(first_byte >> 4)) {
    case PacketType::kConnect:
      return decode_connect(r);
    case PacketType::kConnack:
      return decode_connack(r, version);
    case PacketType::kPublish:
      return decode_publish(first_byte & 0x0F, r, version);
    case PacketType::kPuback:
      return decode_publish_response<Puback>(r, version);
    case PacketType::kPubrec:
      return decode_publish_response<Pubrec>(r, version);
    case PacketType::kPubrel:
      return decode_publish_response<Pubrel>(r, version);
    case PacketType::kPubcomp:
      return decode_publish_response<Pubcomp>(r, version);
    case PacketType::kSubscribe:
      return decode_subscribe(r, version);
    case PacketType::kSuback:
      return decode_sub_response<Suback>(r, version);
    case PacketType::kUnsubscribe:
      return decode_unsubscribe(r, version);
    case PacketType::kUnsuback:
      return decode_sub_response<Unsuback>(r, version);
    case PacketType::kPingreq:
      return finish(r, Pingreq{});
    case PacketType::kPingresp:
      return finish(r, Pingresp{});
    case PacketType::kDisconnect:
      return decode_reason_and_properties<Disconnect>(r, version);
    case PacketType::kAuth:
      return decode_reason_and_properties<Auth>(r, version);
  }
  return DecodeError{ReasonCode::kMalformedPacket, "unknown packet type"};
}

}  // namespace cairn::mqtt
