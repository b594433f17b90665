#include "mqtt/property_codec.h"

namespace cairn::mqtt {
namespace {

using wire::Reader;
using wire::Writer;

constexpr const char* kDuplicate = "property appears more than once";

// Properties whose only values are 0 and 1: anything else is a Protocol Error.
bool is_boolean(PropertyId id) {
  switch (id) {
    case PropertyId::kPayloadFormatIndicator:
    case PropertyId::kRequestProblemInformation:
    case PropertyId::kRequestResponseInformation:
    case PropertyId::kMaximumQoS:
    case PropertyId::kRetainAvailable:
    case PropertyId::kWildcardSubscriptionAvailable:
    case PropertyId::kSubscriptionIdentifierAvailable:
    case PropertyId::kSharedSubscriptionAvailable:
      return true;
    default:
      return false;
  }
}

// Properties for which 0 is a Protocol Error (§3.1.2.11.3, §3.1.2.11.4,
// §3.3.2.3.8); a Topic Alias of 0 is one answered with 0x94 Topic Alias
// invalid ([MQTT-3.3.2-8], §3.3.4).
bool must_be_nonzero(PropertyId id) {
  return id == PropertyId::kReceiveMaximum || id == PropertyId::kMaximumPacketSize ||
         id == PropertyId::kTopicAlias || id == PropertyId::kSubscriptionIdentifier;
}

void check_range(Reader& r, PropertyId id, std::uint32_t value) {
  if (is_boolean(id) && value > 1) r.fail(ReasonCode::kProtocolError, "property value not 0 or 1");
  if (id == PropertyId::kTopicAlias && value == 0) {
    return r.fail(ReasonCode::kTopicAliasInvalid, "topic alias 0");
  }
  if (must_be_nonzero(id) && value == 0) r.fail(ReasonCode::kProtocolError, "property value 0");
}

void read_value(Reader& r, const PropertyInfo&, PropertyScope, std::optional<std::uint8_t>& v) {
  if (v) return r.fail(ReasonCode::kProtocolError, kDuplicate);
  v = r.u8();
}
void read_value(Reader& r, const PropertyInfo&, PropertyScope, std::optional<std::uint16_t>& v) {
  if (v) return r.fail(ReasonCode::kProtocolError, kDuplicate);
  v = r.u16();
}
void read_value(Reader& r, const PropertyInfo&, PropertyScope, std::optional<std::uint32_t>& v) {
  if (v) return r.fail(ReasonCode::kProtocolError, kDuplicate);
  v = r.u32();
}
void read_value(Reader& r, const PropertyInfo& info, PropertyScope, std::optional<std::string>& v) {
  if (v) return r.fail(ReasonCode::kProtocolError, kDuplicate);
  v = info.type == PropertyType::kUtf8String ? r.utf8() : r.binary();
}
// Subscription Identifier: several may be in a PUBLISH sent to a client (one
// per matching subscription), but only one in a SUBSCRIBE [MQTT-3.8.2.1.2].
void read_value(Reader& r, const PropertyInfo&, PropertyScope scope,
                std::vector<std::uint32_t>& v) {
  if (!v.empty() && scope == in(PacketType::kSubscribe)) {
    return r.fail(ReasonCode::kProtocolError, kDuplicate);
  }
  v.push_back(r.varint());
}
void read_value(Reader& r, const PropertyInfo&, PropertyScope, std::vector<UserProperty>& v) {
  const std::string_view key = r.utf8();
  const std::string_view value = r.utf8();
  v.push_back(UserProperty{std::string(key), std::string(value)});
}

template <class T>
std::optional<std::uint32_t> numeric(const std::optional<T>& v) {
  return v ? std::optional<std::uint32_t>(*v) : std::nullopt;
}
std::optional<std::uint32_t> numeric(const std::optional<std::string>&) { return std::nullopt; }
std::optional<std::uint32_t> numeric(const std::vector<std::uint32_t>& v) {
  return v.empty() ? std::nullopt : std::optional<std::uint32_t>(v.back());
}
std::optional<std::uint32_t> numeric(const std::vector<UserProperty>&) { return std::nullopt; }

// One property: identifier byte plus value.
std::size_t value_size(const std::optional<std::uint8_t>& v) { return v ? 2 : 0; }
std::size_t value_size(const std::optional<std::uint16_t>& v) { return v ? 3 : 0; }
std::size_t value_size(const std::optional<std::uint32_t>& v) { return v ? 5 : 0; }
std::size_t value_size(const std::optional<std::string>& v) { return v ? 3 + v->size() : 0; }
std::size_t value_size(const std::vector<std::uint32_t>& v) {
  std::size_t n = 0;
  for (std::uint32_t id : v) n += 1 + wire::varint_size(id);
  return n;
}
std::size_t value_size(const std::vector<UserProperty>& v) {
  std::size_t n = 0;
  for (const UserProperty& p : v) n += 5 + p.key.size() + p.value.size();
  return n;
}

void write_value(Writer& w, PropertyId id, const std::optional<std::uint8_t>& v) {
  if (v) w.u8(static_cast<std::uint8_t>(id)), w.u8(*v);
}
void write_value(Writer& w, PropertyId id, const std::optional<std::uint16_t>& v) {
  if (v) w.u8(static_cast<std::uint8_t>(id)), w.u16(*v);
}
void write_value(Writer& w, PropertyId id, const std::optional<std::uint32_t>& v) {
  if (v) w.u8(static_cast<std::uint8_t>(id)), w.u32(*v);
}
void write_value(Writer& w, PropertyId id, const std::optional<std::string>& v) {
  if (v) w.u8(static_cast<std::uint8_t>(id)), w.string(*v);
}
void write_value(Writer& w, PropertyId id, const std::vector<std::uint32_t>& v) {
  for (std::uint32_t x : v) w.u8(static_cast<std::uint8_t>(id)), w.varint(x);
}
void write_value(Writer& w, PropertyId id, const std::vector<UserProperty>& v) {
  for (const UserProperty& p : v) {
    w.u8(static_cast<std::uint8_t>(id));
    w.string(p.key);
    w.string(p.value);
  }
}

}  // namespace

void read_properties(Reader& r, PropertyScope scope, Properties& out) {
  const std::uint32_t length = r.varint();
  if (!r.ok()) return;
  if (length > r.remaining()) {
    return r.fail(ReasonCode::kMalformedPacket, "property length runs past the end of the packet");
  }
  const std::size_t stop = r.remaining() - length;
  while (r.ok() && r.remaining() > stop) {
    // The identifier is a Variable Byte Integer [MQTT-2.2.2.2]; every defined
    // one fits in a single byte.
    const std::uint32_t id = r.varint();
    const PropertyInfo* info = id <= 0xFF ? find_property(static_cast<std::uint8_t>(id)) : nullptr;
    if (!r.ok()) return;
    if (info == nullptr) return r.fail(ReasonCode::kMalformedPacket, "unknown property");
    if ((info->scope & scope) == 0) {
      return r.fail(ReasonCode::kMalformedPacket, "property not allowed in this packet");
    }
    std::optional<std::uint32_t> value;
    switch (info->id) {
#define CAIRN_X(id_, enumerator, member, type_, name_, allowed_) \
  case PropertyId::enumerator:                                   \
    read_value(r, *info, scope, out.member);                     \
    value = numeric(out.member);                                 \
    break;
      CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
    }
    if (r.ok() && value) check_range(r, info->id, *value);
  }
  // A property that straddles the Property Length is malformed too.
  if (r.ok() && r.remaining() != stop) {
    r.fail(ReasonCode::kMalformedPacket, "property runs past the property length");
  }
}

std::size_t properties_size(const Properties& p) noexcept {
  std::size_t n = 0;
#define CAIRN_X(id, enumerator, member, type, name, scope) n += value_size(p.member);
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
  return n;
}

void write_properties(Writer& w, const Properties& p, std::size_t size) noexcept {
  w.varint(static_cast<std::uint32_t>(size));
#define CAIRN_X(id, enumerator, member, type, name, scope) \
  write_value(w, PropertyId::enumerator, p.member);
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
}

}  // namespace cairn::mqtt
