#include "storage/record_codec.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>

namespace cairn::storage::record {
namespace {

// --- writing ---------------------------------------------------------------------

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u16(std::string& out, std::uint16_t v) {
  put_u8(out, static_cast<std::uint8_t>(v >> 8));
  put_u8(out, static_cast<std::uint8_t>(v));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) put_u8(out, static_cast<std::uint8_t>(v >> shift));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) put_u8(out, static_cast<std::uint8_t>(v >> shift));
}
void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}
// Client identifiers in keys: a 16-bit length (an MQTT string's limit), so
// one client's keys never interleave with another's whose id it prefixes.
void put_key_string(std::string& out, std::string_view s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}
std::int64_t to_millis(model::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// --- reading ---------------------------------------------------------------------

// A bounds-checked cursor over a value: any short read sets `ok` false and
// every later read returns zero, so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  bool done() const { return ok_ && data_.empty(); }
  std::size_t remaining() const { return data_.size(); }
  void fail() { ok_ = false; }

  std::uint8_t u8() {
    if (!take(1)) return 0;
    return static_cast<std::uint8_t>(last_[0]);
  }
  std::uint16_t u16() {
    if (!take(2)) return 0;
    return static_cast<std::uint16_t>((byte(0) << 8) | byte(1));
  }
  std::uint32_t u32() {
    if (!take(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte(i);
    return v;
  }
  std::uint64_t u64() {
    if (!take(8)) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte(i);
    return v;
  }
  std::string string() { return std::string(bytes(u32())); }
  std::string key_string() { return std::string(bytes(u16())); }
  std::string_view bytes(std::size_t n) {
    if (!take(n)) return {};
    return last_;
  }
  std::string_view rest() {
    std::string_view r = data_;
    data_ = {};
    return r;
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || data_.size() < n) {
      ok_ = false;
      return false;
    }
    last_ = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  std::uint32_t byte(int i) const { return static_cast<std::uint8_t>(last_[i]); }

  std::string_view data_;
  std::string_view last_;
  bool ok_ = true;
};

// A time as stored: milliseconds since the epoch. One the clock cannot hold
// (system_clock counts nanoseconds in 64 bits: about ±292 years) is damage,
// not a reason to overflow.
model::WallTime read_time(Reader& r) {
  using Clock = model::WallTime::clock;
  const auto ms = static_cast<std::int64_t>(r.u64());
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::duration::max()).count();
  if (ms > kLimit || ms < -kLimit) {
    r.fail();
    return {};
  }
  return model::WallTime(
      std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

bool version_ok(Reader& r) { return r.u8() == kValueVersion && r.ok(); }

// A message: flags, topic, payload, then the optional fields the flags name.
enum MessageFlag : std::uint8_t {
  kRetain = 1 << 2,
  kHasExpiry = 1 << 3,
  kHasFormat = 1 << 4,
  kHasContentType = 1 << 5,
  kHasResponseTopic = 1 << 6,
  kHasCorrelation = 1 << 7,
};

void put_message(std::string& out, const model::Message& m) {
  const model::MessageProperties& p = m.properties;
  std::uint8_t flags = static_cast<std::uint8_t>(m.qos);
  if (m.retain) flags |= kRetain;
  if (m.expires_at) flags |= kHasExpiry;
  if (p.payload_format_indicator) flags |= kHasFormat;
  if (p.content_type) flags |= kHasContentType;
  if (p.response_topic) flags |= kHasResponseTopic;
  if (p.correlation_data) flags |= kHasCorrelation;
  put_u8(out, flags);
  put_string(out, m.topic);
  put_string(out, m.payload);
  if (m.expires_at) put_u64(out, static_cast<std::uint64_t>(to_millis(*m.expires_at)));
  if (p.payload_format_indicator) put_u8(out, *p.payload_format_indicator);
  if (p.content_type) put_string(out, *p.content_type);
  if (p.response_topic) put_string(out, *p.response_topic);
  if (p.correlation_data) put_string(out, *p.correlation_data);
  put_u32(out, static_cast<std::uint32_t>(p.user_properties.size()));
  for (const auto& [name, value] : p.user_properties) {
    put_string(out, name);
    put_string(out, value);
  }
}

std::shared_ptr<model::Message> read_message(Reader& r) {
  auto m = std::make_shared<model::Message>();
  const std::uint8_t flags = r.u8();
  const std::uint8_t qos = flags & 0x03;
  if (qos > 2) r.fail();
  m->qos = static_cast<model::QoS>(qos);
  m->retain = (flags & kRetain) != 0;
  m->topic = r.string();
  m->payload = r.string();
  model::MessageProperties& p = m->properties;
  if (flags & kHasExpiry) m->expires_at = read_time(r);
  if (flags & kHasFormat) p.payload_format_indicator = r.u8();
  if (flags & kHasContentType) p.content_type = r.string();
  if (flags & kHasResponseTopic) p.response_topic = r.string();
  if (flags & kHasCorrelation) p.correlation_data = r.string();
  const std::uint32_t users = r.u32();
  // Each pair takes at least 8 bytes: a count beyond what remains is damage,
  // not a reason to reserve gigabytes.
  if (users > r.remaining() / 8) r.fail();
  for (std::uint32_t i = 0; i < users && r.ok(); ++i) {
    std::string name = r.string();
    std::string value = r.string();
    p.user_properties.emplace_back(std::move(name), std::move(value));
  }
  if (!r.ok()) return nullptr;
  return m;
}

bool put_subscription_options(std::string& out, const model::SubscriptionOptions& o) {
  std::uint8_t b = static_cast<std::uint8_t>(o.max_qos);
  if (o.no_local) b |= 1 << 2;
  if (o.retain_as_published) b |= 1 << 3;
  b |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(o.retain_handling) << 4);
  put_u8(out, b);
  return true;
}

}  // namespace

// --- keys ----------------------------------------------------------------------

std::string format_key() { return std::string(1, static_cast<char>(Space::kFormat)); }

std::string segment_key(std::uint64_t segment) {
  std::string k(1, static_cast<char>(Space::kSegment));
  put_u64(k, segment);
  return k;
}

std::string client_prefix(Space space, std::string_view client_id) {
  std::string k(1, static_cast<char>(space));
  put_key_string(k, client_id);
  return k;
}

std::string chunk_key(std::string_view client_id, std::uint64_t first_sequence) {
  std::string k = client_prefix(Space::kChunk, client_id);
  put_u64(k, first_sequence);
  return k;
}

std::string cursor_key(std::string_view client_id) {
  return client_prefix(Space::kCursor, client_id);
}

std::string session_key(std::string_view client_id) {
  return client_prefix(Space::kSession, client_id);
}

std::string subscription_key(std::string_view client_id, std::string_view filter) {
  std::string k = client_prefix(Space::kSubscription, client_id);
  k.append(filter);
  return k;
}

std::string retained_key(std::string_view topic) {
  std::string k(1, static_cast<char>(Space::kRetained));
  k.append(topic);
  return k;
}

std::string incoming_key(std::string_view client_id, std::uint16_t packet_id) {
  std::string k = client_prefix(Space::kIncoming, client_id);
  put_u16(k, packet_id);
  return k;
}

std::optional<ParsedKey> parse_key(std::string_view key) {
  if (key.empty()) return std::nullopt;
  ParsedKey parsed;
  parsed.space = static_cast<Space>(key[0]);
  Reader r(key.substr(1));
  switch (parsed.space) {
    case Space::kFormat:
      break;
    case Space::kSegment:
      parsed.number = r.u64();
      break;
    case Space::kChunk:
      parsed.client_id = r.key_string();
      parsed.number = r.u64();
      break;
    case Space::kCursor:
    case Space::kSession:
      parsed.client_id = r.key_string();
      break;
    case Space::kSubscription:
      parsed.client_id = r.key_string();
      parsed.name = std::string(r.rest());
      if (parsed.name.empty()) r.fail();
      break;
    case Space::kRetained:
      parsed.name = std::string(r.rest());
      if (parsed.name.empty()) r.fail();
      break;
    case Space::kIncoming:
      parsed.client_id = r.key_string();
      parsed.number = r.u16();
      break;
    default:
      return std::nullopt;
  }
  if (!r.done()) return std::nullopt;
  return parsed;
}

// --- values --------------------------------------------------------------------

std::string encode_format(std::uint32_t format) {
  std::string v;
  put_u8(v, kValueVersion);
  put_u32(v, format);
  return v;
}

std::optional<std::uint32_t> decode_format(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  const std::uint32_t format = r.u32();
  if (!r.done()) return std::nullopt;
  return format;
}

std::string encode_segment(const std::vector<model::MessagePtr>& messages) {
  std::string v;
  put_u8(v, kValueVersion);
  put_u32(v, static_cast<std::uint32_t>(messages.size()));
  for (const model::MessagePtr& m : messages) put_message(v, *m);
  return v;
}

std::optional<std::vector<model::MessagePtr>> decode_segment(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  const std::uint32_t count = r.u32();
  if (count > r.remaining() / 13) return std::nullopt;  // 13: the smallest message
  std::vector<model::MessagePtr> messages;
  messages.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::shared_ptr<model::Message> m = read_message(r);
    if (!m) return std::nullopt;
    messages.push_back(std::move(m));
  }
  if (!r.done()) return std::nullopt;
  return messages;
}

std::string encode_chunk(const std::vector<ChunkEntry>& entries) {
  std::string v;
  put_u8(v, kValueVersion);
  put_u32(v, static_cast<std::uint32_t>(entries.size()));
  for (const ChunkEntry& e : entries) {
    put_u64(v, e.sequence);
    put_u64(v, e.segment);
    put_u32(v, e.index);
    put_u8(v, static_cast<std::uint8_t>(static_cast<std::uint8_t>(e.qos) | (e.retain ? 4 : 0)));
    put_u32(v, static_cast<std::uint32_t>(e.subscription_ids.size()));
    for (std::uint32_t id : e.subscription_ids) put_u32(v, id);
  }
  return v;
}

std::optional<std::vector<ChunkEntry>> decode_chunk(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  const std::uint32_t count = r.u32();
  if (count > r.remaining() / 25) return std::nullopt;  // 25: the smallest entry
  std::vector<ChunkEntry> entries(count);
  std::uint64_t previous = 0;
  for (ChunkEntry& e : entries) {
    e.sequence = r.u64();
    e.segment = r.u64();
    e.index = r.u32();
    const std::uint8_t flags = r.u8();
    if ((flags & 0x03) == 0 || (flags & 0x03) > 2 || (flags & ~0x07) != 0) return std::nullopt;
    e.qos = static_cast<model::QoS>(flags & 0x03);
    e.retain = (flags & 4) != 0;
    const std::uint32_t ids = r.u32();
    if (ids > r.remaining() / 4) return std::nullopt;
    e.subscription_ids.resize(ids);
    for (std::uint32_t& id : e.subscription_ids) id = r.u32();
    // Strictly increasing sequences: the queue's order is the key's order.
    // Segment ids start at 1 (QueueIndex takes 0 for "gone").
    if (!r.ok() || e.sequence == 0 || e.sequence <= previous || e.segment == 0) {
      return std::nullopt;
    }
    previous = e.sequence;
  }
  if (!r.done()) return std::nullopt;
  return entries;
}

Cursor Cursor::of(const std::set<std::uint64_t>& acked, const std::map<std::uint64_t, Sent>& sent) {
  Cursor c;
  for (std::uint64_t s : acked) {
    if (!c.acked.empty() && c.acked.back().first + c.acked.back().length == s) {
      ++c.acked.back().length;
    } else {
      c.acked.push_back({s, 1});
    }
  }
  c.sent.reserve(sent.size());
  for (const auto& [sequence, s] : sent) c.sent.push_back(s);
  return c;
}

const Cursor::Sent* Cursor::find_sent(std::uint64_t sequence) const {
  auto it = std::lower_bound(sent.begin(), sent.end(), sequence,
                             [](const Sent& s, std::uint64_t q) { return s.sequence < q; });
  return it != sent.end() && it->sequence == sequence ? &*it : nullptr;
}

bool Cursor::is_acked(std::uint64_t sequence) const {
  // The last run starting at or before `sequence`.
  auto it = std::upper_bound(acked.begin(), acked.end(), sequence,
                             [](std::uint64_t s, const Run& run) { return s < run.first; });
  if (it == acked.begin()) return false;
  --it;
  return sequence - it->first < it->length;
}

std::string encode_cursor(const Cursor& cursor) {
  std::string v;
  put_u8(v, kValueVersion);
  put_u32(v, static_cast<std::uint32_t>(cursor.acked.size()));
  for (const Cursor::Run& run : cursor.acked) {
    put_u64(v, run.first);
    put_u64(v, run.length);
  }
  put_u32(v, static_cast<std::uint32_t>(cursor.sent.size()));
  for (const Cursor::Sent& s : cursor.sent) {
    put_u64(v, s.sequence);
    put_u16(v, s.packet_id);
    put_u8(v, s.released ? 1 : 0);
  }
  return v;
}

std::optional<Cursor> decode_cursor(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  Cursor cursor;
  const std::uint32_t runs = r.u32();
  if (runs > r.remaining() / 16) return std::nullopt;
  cursor.acked.reserve(runs);
  std::uint64_t next = 1;  // runs ascend and never touch: the canonical form only
  for (std::uint32_t i = 0; i < runs; ++i) {
    const std::uint64_t first = r.u64();
    const std::uint64_t length = r.u64();
    if (!r.ok() || first < next || length == 0 ||
        first >= std::numeric_limits<std::uint64_t>::max() - length) {
      return std::nullopt;
    }
    cursor.acked.push_back({first, length});
    next = first + length + 1;
  }
  const std::uint32_t sent = r.u32();
  if (sent > r.remaining() / 11) return std::nullopt;
  cursor.sent.reserve(sent);
  for (std::uint32_t i = 0; i < sent; ++i) {
    Cursor::Sent s;
    s.sequence = r.u64();
    s.packet_id = r.u16();
    const std::uint8_t released = r.u8();
    s.released = released == 1;
    if (!r.ok() || s.sequence == 0 || s.packet_id == 0 || released > 1 ||
        (!cursor.sent.empty() && s.sequence <= cursor.sent.back().sequence)) {
      return std::nullopt;
    }
    cursor.sent.push_back(s);
  }
  if (!r.done()) return std::nullopt;
  return cursor;
}

std::string encode_session(const PutSession& s) {
  std::string v;
  put_u8(v, kValueVersion);
  std::uint8_t flags = 0;
  if (s.disconnected_at) flags |= 1;
  if (s.will) flags |= 2;
  if (s.will_expiry_interval) flags |= 4;
  put_u8(v, flags);
  put_u32(v, s.expiry_interval);
  if (s.disconnected_at) put_u64(v, static_cast<std::uint64_t>(to_millis(*s.disconnected_at)));
  if (s.will) {
    put_message(v, *s.will);
    put_u32(v, s.will_delay);
  }
  if (s.will_expiry_interval) put_u32(v, *s.will_expiry_interval);
  return v;
}

std::optional<PutSession> decode_session(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  PutSession s;
  const std::uint8_t flags = r.u8();
  if ((flags & ~0x07) != 0) return std::nullopt;
  s.expiry_interval = r.u32();
  if (flags & 1) s.disconnected_at = read_time(r);
  if (flags & 2) {
    s.will = read_message(r);
    if (!s.will) return std::nullopt;
    s.will_delay = r.u32();
  }
  if (flags & 4) s.will_expiry_interval = r.u32();
  if (!r.done()) return std::nullopt;
  return s;
}

std::string encode_subscription(const PutSubscription& s) {
  std::string v;
  put_u8(v, kValueVersion);
  put_subscription_options(v, s.options);
  put_u32(v, s.subscription_id);
  return v;
}

std::optional<PutSubscription> decode_subscription(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  PutSubscription s;
  const std::uint8_t b = r.u8();
  if ((b & 0x03) > 2 || ((b >> 4) & 0x03) > 2 || (b & 0xC0) != 0) return std::nullopt;
  s.options.max_qos = static_cast<model::QoS>(b & 0x03);
  s.options.no_local = (b & (1 << 2)) != 0;
  s.options.retain_as_published = (b & (1 << 3)) != 0;
  s.options.retain_handling = static_cast<model::RetainHandling>((b >> 4) & 0x03);
  s.subscription_id = r.u32();
  if (!r.done()) return std::nullopt;
  return s;
}

std::string encode_retained(const model::Message& message) {
  std::string v;
  put_u8(v, kValueVersion);
  put_message(v, message);
  return v;
}

std::optional<model::MessagePtr> decode_retained(std::string_view value) {
  Reader r(value);
  if (!version_ok(r)) return std::nullopt;
  std::shared_ptr<model::Message> m = read_message(r);
  if (!m || !r.done()) return std::nullopt;
  return m;
}

std::string encode_incoming() { return std::string(1, static_cast<char>(kValueVersion)); }

bool decode_incoming(std::string_view value) {
  Reader r(value);
  return version_ok(r) && r.done();
}

}  // namespace cairn::storage::record
