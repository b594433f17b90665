// The LevelDB store's physical records (storage/record_codec.h): what the
// store relies on when it writes a record and reads it back after a restart.
//   - keys parse back to what built them, and sort the way the store scans:
//     one client's records together, a queue's chunks in sequence order;
//   - values decode to what was encoded, every optional field included;
//   - damaged values (wrong version, cut short, extra bytes, broken
//     invariants, absurd counts) are refused rather than half-trusted;
//   - the bytes themselves are pinned, so a format change shows up here first.
#include "storage/record_codec.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/hex.h"

namespace cairn::storage::record {
namespace {

using model::QoS;
using namespace std::string_literals;
using test::hex;
using test::text;

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t k2To40 = std::uint64_t{1} << 40;

// Client ids and names with the bytes most likely to confuse a key layout:
// empty, NUL, 0xFF, the separators and wildcards of topics, multi-byte UTF-8.
std::vector<std::string> odd_client_ids() {
  std::vector<std::string> ids = {
      "", "a", "ab", "\0"s, "a\0\xff"s, "a/+/#", "\xc3\xbc\xe2\x82\xac"};
  ids.push_back(std::string(65535, 'x'));  // the longest an MQTT string can be
  return ids;
}
std::vector<std::string> odd_names() {
  return {"a",    "/", "#", "+", "a/+/#", "sport/tennis/+", "/a//b/", "\xc3\xbc/\xe2\x82\xac/+",
          "x\0y"s};
}

model::WallTime at_millis(std::int64_t ms) {
  return model::WallTime(std::chrono::milliseconds(ms));
}

// A message with every optional field set; its times are whole milliseconds,
// the precision the store keeps.
model::Message full_message() {
  model::Message m;
  m.topic = "a/b";
  m.payload = std::string("h\0i\xff", 4);
  m.qos = QoS::kExactlyOnce;
  m.retain = true;
  m.expires_at = at_millis(1'700'000'000'123);
  m.properties.payload_format_indicator = 1;
  m.properties.content_type = "text/plain";
  m.properties.response_topic = "reply/+";
  m.properties.correlation_data = std::string("\0\x01\x02", 3);
  // Same name twice, out of alphabetical order: order and duplicates are kept.
  m.properties.user_properties = {{"z", "1"}, {"a", ""}, {"z", "2"}, {"", "\xc3\xbc"}};
  return m;
}

model::MessagePtr share(model::Message m) {
  return std::make_shared<const model::Message>(std::move(m));
}

PutSession full_session() {
  PutSession s;
  s.expiry_interval = 0xFFFFFFFF;
  s.disconnected_at = at_millis(1'700'000'000'456);
  s.will = share(full_message());
  s.will_delay = 30;
  s.will_expiry_interval = 3600;
  return s;
}

Cursor sample_cursor() {
  return Cursor::of(
      {1, 2, 3, 5, 7, 8, 100, k2To40, k2To40 + 1},
      {{4, {4, 1, false}}, {6, {6, 2, true}}, {k2To40 + 7, {k2To40 + 7, 65535, true}}});
}

std::vector<ChunkEntry> sample_chunk() {
  return {{1, 7, 0, QoS::kAtLeastOnce, false, {}},
          {2, 7, 1, QoS::kExactlyOnce, true, {1, 268'435'455}},
          {k2To40, kMax64, 0xFFFFFFFF, QoS::kAtLeastOnce, true, {0xFFFFFFFF}}};
}

// Every kind of value, each in one full encoding, with the decoder that reads it.
template <auto Decode>
bool decodes(std::string_view value) {
  return static_cast<bool>(Decode(value));
}
struct Encoded {
  const char* name;
  std::string value;
  bool (*decodes)(std::string_view);
};
std::vector<Encoded> every_value() {
  PutSubscription subscription;
  subscription.options = {QoS::kExactlyOnce, true, true, model::RetainHandling::kDoNotSend};
  subscription.subscription_id = 42;
  return {
      {"format", encode_format(kFormatVersion), decodes<decode_format>},
      {"segment", encode_segment({share(full_message()), share(model::Message{})}),
       decodes<decode_segment>},
      {"chunk", encode_chunk(sample_chunk()), decodes<decode_chunk>},
      {"cursor", encode_cursor(sample_cursor()), decodes<decode_cursor>},
      {"session", encode_session(full_session()), decodes<decode_session>},
      {"subscription", encode_subscription(subscription), decodes<decode_subscription>},
      {"retained", encode_retained(full_message()), decodes<decode_retained>},
      {"incoming", encode_incoming(), decodes<decode_incoming>},
  };
}

// --- keys ----------------------------------------------------------------------

// Parses `key` and expects exactly these fields back (the unused ones empty).
void expect_parses(const std::string& key, Space space, std::string_view client_id,
                   std::uint64_t number, std::string_view name) {
  SCOPED_TRACE(test::hex_dump(text(key), 0, 48));
  const auto k = parse_key(key);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->space, space);
  EXPECT_EQ(k->client_id, client_id);
  EXPECT_EQ(k->number, number);
  EXPECT_EQ(k->name, name);
  // A scan of client_prefix finds every per-client key.
  if (space != Space::kFormat && space != Space::kSegment && space != Space::kRetained) {
    EXPECT_TRUE(key.starts_with(client_prefix(space, client_id)));
  }
}

TEST(RecordCodecKeys, EveryBuilderRoundTripsThroughParseKey) {
  expect_parses(format_key(), Space::kFormat, "", 0, "");
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{256}, k2To40, kMax64}) {
    expect_parses(segment_key(n), Space::kSegment, "", n, "");
    for (const std::string& id : odd_client_ids()) {
      expect_parses(chunk_key(id, n), Space::kChunk, id, n, "");
    }
  }
  for (const std::string& name : odd_names()) {
    expect_parses(retained_key(name), Space::kRetained, "", 0, name);
    for (const std::string& id : odd_client_ids()) {
      expect_parses(subscription_key(id, name), Space::kSubscription, id, 0, name);
    }
  }
  for (const std::string& id : odd_client_ids()) {
    expect_parses(cursor_key(id), Space::kCursor, id, 0, "");
    expect_parses(session_key(id), Space::kSession, id, 0, "");
    for (std::uint16_t packet_id : {0, 1, 255, 256, 65535}) {
      expect_parses(incoming_key(id, packet_id), Space::kIncoming, id, packet_id, "");
    }
  }
}

// A prefix scan over one client must never see another's records, even when
// one id is a prefix of the other ("a" and "ab", "a" and "a\0").
TEST(RecordCodecKeys, ClientsWhoseIdsArePrefixesDoNotInterleave) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"a", "ab"}, {"", "a"}, {"a", "a\0"s}, {"ab", "a\xff"}, {"a/", "a/b"}};
  auto keys_of = [](const std::string& id) {
    std::vector<std::string> keys;
    for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, k2To40, kMax64}) {
      keys.push_back(chunk_key(id, n));
    }
    keys.push_back(cursor_key(id));
    keys.push_back(session_key(id));
    for (const std::string& filter : odd_names()) keys.push_back(subscription_key(id, filter));
    keys.push_back(subscription_key(id, "\xff\xff\xff"));
    for (std::uint16_t p : {0, 1, 65535}) keys.push_back(incoming_key(id, p));
    return keys;
  };
  for (const auto& [x, y] : pairs) {
    SCOPED_TRACE(test::hex_dump(text(x)) + " vs " + test::hex_dump(text(y)));
    const std::vector<std::string> xs = keys_of(x), ys = keys_of(y);
    for (Space s :
         {Space::kChunk, Space::kCursor, Space::kSession, Space::kSubscription, Space::kIncoming}) {
      for (const std::string& k : xs) EXPECT_FALSE(k.starts_with(client_prefix(s, y)));
      for (const std::string& k : ys) EXPECT_FALSE(k.starts_with(client_prefix(s, x)));
    }
    // In LevelDB's order, within each of the 5 spaces, the owner changes once:
    // all of one client's keys, then all of the other's.
    std::map<std::string, int> owner;
    for (const std::string& k : xs) owner[k] = 0;
    for (const std::string& k : ys) owner[k] = 1;
    ASSERT_EQ(owner.size(), xs.size() + ys.size());
    int switches = 0;
    for (auto it = std::next(owner.begin()); it != owner.end(); ++it) {
      const auto& previous = *std::prev(it);
      if (previous.first[0] == it->first[0] && previous.second != it->second) ++switches;
    }
    EXPECT_EQ(switches, 5);
  }
}

TEST(RecordCodecKeys, NumbersSortNumerically) {
  const std::vector<std::uint64_t> ascending = {0,     1,      255,        256,        65535,
                                                65536, k2To40, k2To40 + 1, kMax64 - 1, kMax64};
  for (std::size_t i = 1; i < ascending.size(); ++i) {
    EXPECT_LT(chunk_key("ab", ascending[i - 1]), chunk_key("ab", ascending[i])) << ascending[i];
    EXPECT_LT(segment_key(ascending[i - 1]), segment_key(ascending[i])) << ascending[i];
  }
  const std::vector<std::uint16_t> packet_ids = {0, 1, 255, 256, 65535};
  for (std::size_t i = 1; i < packet_ids.size(); ++i) {
    EXPECT_LT(incoming_key("c", packet_ids[i - 1]), incoming_key("c", packet_ids[i]));
  }
}

TEST(RecordCodecKeys, ParseKeyRejectsDamagedKeys) {
  // Empty; unknown space; the format key with a tail; retained and subscription
  // keys without a topic or filter.
  for (const std::string& bad : {""s, "X"s, "V\0"s, "R"s, "U\0\x01"s + "a"}) {
    EXPECT_FALSE(parse_key(bad).has_value()) << test::hex_dump(text(bad));
  }
  // The keys with a fixed-length tail: every truncation and any extra byte.
  for (const std::string& key : {segment_key(k2To40), chunk_key("ab", 256), cursor_key("ab"),
                                 session_key("ab"), incoming_key("ab", 300)}) {
    for (std::size_t n = 0; n < key.size(); ++n) {
      EXPECT_FALSE(parse_key(key.substr(0, n)).has_value()) << test::hex_dump(text(key), 0, n);
    }
    EXPECT_FALSE(parse_key(key + '\0').has_value()) << test::hex_dump(text(key));
  }
}

// --- values: round trips -------------------------------------------------------

TEST(RecordCodecValues, SegmentRoundTripsEveryOptionalField) {
  // All, then none (empty topic and payload too), then each alone.
  std::vector<model::MessagePtr> messages = {share(full_message()), share(model::Message{})};
  for (int field = 0; field < 6; ++field) {
    model::Message m;
    m.topic = "one/field";
    m.payload = std::string(300, '\0');
    m.qos = static_cast<QoS>(field % 3);
    m.retain = field == 0;
    if (field == 1) m.expires_at = at_millis(0);
    if (field == 2) m.properties.payload_format_indicator = 0;
    if (field == 3) m.properties.content_type = "";
    if (field == 4) m.properties.response_topic = "\xc3\xbc/r";
    if (field == 5) m.properties.correlation_data = "";
    messages.push_back(share(m));
  }
  const auto decoded = decode_segment(encode_segment(messages));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(*(*decoded)[i], *messages[i]) << "message " << i;
  }
  EXPECT_EQ(decode_segment(encode_segment({})), std::vector<model::MessagePtr>{});
}

// Times are kept to the millisecond, cut towards the epoch: a message expires
// at most 1 ms early after a restart, never late.
TEST(RecordCodecValues, TimesAreKeptToTheMillisecond) {
  model::Message m;
  m.topic = "t";
  m.expires_at = at_millis(5) + std::chrono::microseconds(999);
  const auto decoded = decode_retained(encode_retained(m));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ((*decoded)->expires_at, at_millis(5));
}

TEST(RecordCodecValues, ChunkRoundTrips) {
  EXPECT_EQ(decode_chunk(encode_chunk(sample_chunk())), sample_chunk());
  EXPECT_EQ(decode_chunk(encode_chunk({})), std::vector<ChunkEntry>{});
}

TEST(RecordCodecValues, CursorOfMergesConsecutiveAcksIntoRuns) {
  const Cursor c = sample_cursor();
  const std::vector<Cursor::Run> runs = {{1, 3}, {5, 1}, {7, 2}, {100, 1}, {k2To40, 2}};
  EXPECT_EQ(c.acked, runs);
  const std::vector<Cursor::Sent> sent = {{4, 1, false}, {6, 2, true}, {k2To40 + 7, 65535, true}};
  EXPECT_EQ(c.sent, sent);
  ASSERT_NE(c.find_sent(6), nullptr);
  EXPECT_EQ(*c.find_sent(6), sent[1]);
  for (std::uint64_t s : std::vector<std::uint64_t>{0, 5, k2To40 + 6, kMax64}) {
    EXPECT_EQ(c.find_sent(s), nullptr) << s;
  }
  EXPECT_EQ(Cursor::of({}, {}), Cursor{});
  EXPECT_EQ(decode_cursor(encode_cursor(c)), c);
  EXPECT_EQ(decode_cursor(encode_cursor(Cursor{})), Cursor{});
}

TEST(RecordCodecValues, IsAckedAgreesWithTheSetTheCursorWasBuiltFrom) {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 50; ++round) {
    std::set<std::uint64_t> acked;
    // Dense and sparse rounds, so both long runs and lone acks occur.
    const std::uint64_t density = 1 + round % 5;
    for (std::uint64_t s = 1; s < 400; ++s) {
      if (rng() % (density + 1) != 0) acked.insert(s);
    }
    const Cursor c = Cursor::of(acked, {});
    for (std::size_t i = 1; i < c.acked.size(); ++i) {
      EXPECT_GT(c.acked[i].first, c.acked[i - 1].first + c.acked[i - 1].length);
    }
    for (std::uint64_t s = 0; s <= 401; ++s) {
      ASSERT_EQ(c.is_acked(s), acked.count(s) == 1) << "sequence " << s << ", round " << round;
    }
    EXPECT_EQ(decode_cursor(encode_cursor(c)), c);
  }
  // Around the boundaries of a run far up.
  const Cursor c = sample_cursor();
  const std::vector<std::pair<std::uint64_t, bool>> expected = {
      {0, false},         {k2To40 - 1, false}, {k2To40, true},
      {k2To40 + 1, true}, {k2To40 + 2, false}, {kMax64, false}};
  for (const auto& [s, acked] : expected) EXPECT_EQ(c.is_acked(s), acked) << s;
}

TEST(RecordCodecValues, SessionRoundTripsWithAndWithoutEachOptionalPart) {
  for (int mask = 0; mask < 8; ++mask) {
    PutSession s;
    s.expiry_interval = mask == 0 ? 0 : 0xFFFFFFFF;
    if (mask & 1) s.disconnected_at = at_millis(1'700'000'000'456);
    if (mask & 2) {
      model::Message will;
      will.topic = "will";
      will.payload = "gone";
      s.will = share(mask == 2 ? will : full_message());
      s.will_delay = mask == 2 ? 0 : 0xFFFFFFFF;
    }
    if (mask & 4) s.will_expiry_interval = mask == 4 ? 0 : 7;
    EXPECT_EQ(decode_session(encode_session(s)), s) << "mask " << mask;
  }
  // The client id is the key's: the value does not carry it.
  PutSession named = full_session();
  named.client_id = "c";
  EXPECT_EQ(encode_session(named), encode_session(full_session()));
}

// All 36 option combinations; every byte that decodes re-encodes to itself.
TEST(RecordCodecValues, SubscriptionRoundTripsEveryOptionCombination) {
  for (int combination = 0; combination < 3 * 2 * 2 * 3; ++combination) {
    for (std::uint32_t id : {0u, 1u, 268'435'455u, 0xFFFFFFFFu}) {
      PutSubscription s;
      s.options = {static_cast<QoS>(combination % 3), combination / 3 % 2 == 1,
                   combination / 6 % 2 == 1, static_cast<model::RetainHandling>(combination / 12)};
      s.subscription_id = id;
      EXPECT_EQ(decode_subscription(encode_subscription(s)), s) << combination;
    }
  }
  for (int b = 0; b < 256; ++b) {
    const std::string value = {1, static_cast<char>(b), 0, 0, 0, 9};
    const bool valid = (b & 0x03) <= 2 && ((b >> 4) & 0x03) <= 2 && (b & 0xC0) == 0;
    const auto decoded = decode_subscription(value);
    ASSERT_EQ(decoded.has_value(), valid) << "option byte " << b;
    if (decoded) {
      EXPECT_EQ(encode_subscription(*decoded), value) << "option byte " << b;
    }
  }
}

TEST(RecordCodecValues, RetainedIncomingAndFormatRoundTrip) {
  const auto retained = decode_retained(encode_retained(full_message()));
  ASSERT_TRUE(retained.has_value());
  EXPECT_EQ(**retained, full_message());
  EXPECT_TRUE(decode_incoming(encode_incoming()));
  for (std::uint32_t f : {0u, 1u, kFormatVersion, 0xFFFFFFFFu}) {
    EXPECT_EQ(decode_format(encode_format(f)), f);
  }
}

// --- values: rejections --------------------------------------------------------

// Each kind of value: another version byte, every cut short, extra bytes.
TEST(RecordCodecRejects, WrongVersionTruncationAndTrailingBytes) {
  for (const Encoded& e : every_value()) {
    ASSERT_TRUE(e.decodes(e.value)) << e.name;
    for (char version : {'\0', '\x02', '\xff'}) {
      EXPECT_FALSE(e.decodes(version + e.value.substr(1))) << e.name << " version " << int{version};
    }
    for (std::size_t n = 0; n < e.value.size(); ++n) {
      EXPECT_FALSE(e.decodes(std::string_view(e.value).substr(0, n)))
          << e.name << " cut to " << n << " of " << e.value.size() << " bytes";
    }
    EXPECT_FALSE(e.decodes(e.value + '\0')) << e.name;
    EXPECT_FALSE(e.decodes(e.value + "\x01\x02\x03")) << e.name;
  }
}

TEST(RecordCodecRejects, ChunkInvariants) {
  auto entry = [](std::uint64_t sequence, QoS qos) {
    return ChunkEntry{sequence, 1, 0, qos, false, {}};
  };
  const QoS q1 = QoS::kAtLeastOnce;
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(0, q1)})));                // sequence 0
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(2, q1), entry(2, q1)})));  // repeated
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(3, q1), entry(2, q1)})));  // decreasing
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(1, q1), entry(5, q1), entry(4, q1)})));
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(1, QoS::kAtMostOnce)})));  // QoS 0: never queued
  EXPECT_FALSE(decode_chunk(encode_chunk({entry(1, static_cast<QoS>(3))})));
  ChunkEntry no_segment = entry(1, q1);
  no_segment.segment = 0;  // segment ids start at 1
  EXPECT_FALSE(decode_chunk(encode_chunk({no_segment})));
  // Flag bits beyond QoS and retain: byte 25 is the first entry's flags
  // (version 1 + count 4 + sequence 8 + segment 8 + index 4).
  for (char flags : {'\x09', '\x11', '\x81'}) {
    std::string v = encode_chunk({entry(1, q1)});
    ASSERT_EQ(v[25], '\x01');
    v[25] = flags;
    EXPECT_FALSE(decode_chunk(v)) << int{flags};
  }
  EXPECT_TRUE(decode_chunk(encode_chunk({entry(1, q1), entry(kMax64, q1)})));
}

TEST(RecordCodecRejects, CursorInvariants) {
  auto runs = [](std::vector<Cursor::Run> acked) {
    Cursor c;
    c.acked = std::move(acked);
    return decode_cursor(encode_cursor(c)).has_value();
  };
  EXPECT_TRUE(runs({{1, 2}, {4, 1}}));
  EXPECT_FALSE(runs({{1, 3}, {2, 1}}));  // overlapping
  EXPECT_FALSE(runs({{1, 2}, {3, 1}}));  // touching: Cursor::of would have merged them
  EXPECT_FALSE(runs({{5, 1}, {1, 1}}));  // out of order
  EXPECT_FALSE(runs({{5, 1}, {5, 1}}));  // repeated
  EXPECT_FALSE(runs({{1, 0}}));          // empty run
  EXPECT_FALSE(runs({{0, 1}}));          // sequence 0 is never used
  EXPECT_FALSE(runs({{kMax64, 1}}));     // would wrap past the largest sequence
  EXPECT_FALSE(runs({{2, kMax64 - 1}}));
  auto sent = [](std::vector<Cursor::Sent> s) {
    Cursor c;
    c.sent = std::move(s);
    return decode_cursor(encode_cursor(c)).has_value();
  };
  EXPECT_TRUE(sent({{1, 1, false}, {2, 65535, true}, {kMax64, 3, false}}));
  EXPECT_FALSE(sent({{3, 1, false}, {2, 2, false}}));  // out of order
  EXPECT_FALSE(sent({{2, 1, false}, {2, 2, false}}));  // repeated
  EXPECT_FALSE(sent({{0, 1, false}}));                 // sequence 0
  EXPECT_FALSE(sent({{1, 0, false}}));                 // packet identifier 0
  // The released flag is a byte holding 0 or 1, at 19: version 1 + runs 4 +
  // sent count 4 + sequence 8 + packet identifier 2.
  Cursor one;
  one.sent = {{1, 1, true}};
  std::string v = encode_cursor(one);
  ASSERT_EQ(v[19], '\x01');
  v[19] = '\x02';
  EXPECT_FALSE(decode_cursor(v));
}

TEST(RecordCodecRejects, MessageAndSessionFlags) {
  // QoS 3 in a message's flags (byte 0 after the version, or after the count).
  model::Message m;
  m.topic = "t";
  std::string retained = encode_retained(m);
  retained[1] = '\x03';
  EXPECT_FALSE(decode_retained(retained));
  std::string segment = encode_segment({share(m)});
  segment[5] = '\x03';
  EXPECT_FALSE(decode_segment(segment));
  // Session flags beyond disconnect time, will and will expiry.
  for (char flags : {'\x08', '\x10', '\x80'}) {
    std::string session = encode_session(PutSession{});
    ASSERT_EQ(session[1], '\0');
    session[1] = flags;
    EXPECT_FALSE(decode_session(session)) << int{flags};
  }
  // A will that is not a message.
  std::string session = encode_session(full_session());
  session[14] = '\x03';  // version 1 + flags 1 + expiry 4 + disconnected 8: the will's flags
  EXPECT_FALSE(decode_session(session));
}

// A count far beyond what the value holds is damage: refused at once, not
// taken as a reason to reserve gigabytes.
TEST(RecordCodecRejects, AbsurdCounts) {
  const std::string huge = "\xff\xff\xff\xff";
  const std::string pad(64, '\0');
  EXPECT_FALSE(decode_segment("\x01" + huge + pad));
  EXPECT_FALSE(decode_chunk("\x01" + huge + pad));
  EXPECT_FALSE(decode_cursor("\x01" + huge + pad));
  EXPECT_FALSE(decode_cursor(std::string("\x01\0\0\0\0", 5) + huge + pad));  // sent
  // A chunk entry's subscription ids.
  std::string chunk = encode_chunk({{1, 1, 0, QoS::kAtLeastOnce, false, {}}});
  chunk.replace(26, 4, huge);
  EXPECT_FALSE(decode_chunk(chunk + pad));
  // A message's user properties: the last 4 bytes of a bare message.
  model::Message m;
  m.topic = "t";
  std::string retained = encode_retained(m);
  retained.replace(retained.size() - 4, 4, huge);
  EXPECT_FALSE(decode_retained(retained + pad));
  // A string length beyond the value.
  retained = encode_retained(m);
  retained.replace(2, 4, huge);
  EXPECT_FALSE(decode_retained(retained + pad));
}

// A stored time the clock cannot hold (system_clock counts int64 nanoseconds:
// ±9'223'372'036'854 ms) is damage, refused rather than multiplied into a
// signed overflow (undefined behaviour, in the codec's first version).
TEST(RecordCodecRejects, TimesBeyondTheClockRange) {
  constexpr std::int64_t kLimit = 9'223'372'036'854;
  auto with_expiry = [](std::int64_t ms) {  // a retained message expiring at `ms`
    model::Message m;
    m.expires_at = at_millis(1);
    std::string v = encode_retained(m);  // version, flags, topic, payload: expiry at 10
    const auto bits = static_cast<std::uint64_t>(ms);
    for (int i = 0; i < 8; ++i) v[10 + i] = static_cast<char>(bits >> (56 - 8 * i));
    return v;
  };
  for (std::int64_t ms : {kLimit, -kLimit, std::int64_t{0}, std::int64_t{-1}}) {
    const auto decoded = decode_retained(with_expiry(ms));
    ASSERT_TRUE(decoded.has_value()) << ms;
    EXPECT_BYTES_EQ(text(with_expiry(ms)), text(encode_retained(**decoded)));
  }
  for (std::int64_t ms : {kLimit + 1, -kLimit - 1, std::numeric_limits<std::int64_t>::max(),
                          std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_FALSE(decode_retained(with_expiry(ms))) << ms;
  }
  std::string session = encode_session(full_session());  // disconnect time at 6
  session.replace(6, 8, "\x80\0\0\0\0\0\0\0"s);
  EXPECT_FALSE(decode_session(session));
}

// --- golden bytes --------------------------------------------------------------

TEST(RecordCodecGolden, Segment) {
  model::Message first;
  first.topic = "a/b";
  first.payload = std::string("h\0", 2);
  first.qos = QoS::kAtLeastOnce;
  first.retain = true;
  first.expires_at = at_millis(1'700'000'000'123);
  first.properties.payload_format_indicator = 1;
  first.properties.content_type = "t";
  first.properties.response_topic = "r";
  first.properties.correlation_data = std::string("\0\xff", 2);
  first.properties.user_properties = {{"k", "v"}};
  model::Message second;
  second.topic = "c";
  const std::string encoded = encode_segment({share(first), share(second)});
  const test::Bytes expected = test::cat(  //
      hex("01"),                           // value version 1
      hex("00000002"),                     // 2 messages
      // first message
      hex("FD"),                       // flags: QoS 1 | retain 04 | expiry 08 | format 10 |
                                       //   content type 20 | response topic 40 | correlation 80
      hex("00000003 612F62"),          // topic "a/b"
      hex("00000002 6800"),            // payload "h\0"
      hex("0000018BCFE5687B"),         // expires at 1'700'000'000'123 ms since the epoch
      hex("01"),                       // payload format indicator 1
      hex("00000001 74"),              // content type "t"
      hex("00000001 72"),              // response topic "r"
      hex("00000002 00FF"),            // correlation data 00 FF
      hex("00000001"),                 // 1 user property
      hex("00000001 6B 00000001 76"),  // "k" = "v"
      // second message: QoS 0, nothing optional, empty payload
      hex("00"),           // flags
      hex("00000001 63"),  // topic "c"
      hex("00000000"),     // payload ""
      hex("00000000"));    // no user properties
  EXPECT_BYTES_EQ(expected, text(encoded));
  const auto decoded = decode_segment(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_BYTES_EQ(expected, text(encode_segment(*decoded)));
}

TEST(RecordCodecGolden, Chunk) {
  const std::string encoded = encode_chunk({{1, 7, 0, QoS::kAtLeastOnce, false, {}},
                                            {256, 7, 1, QoS::kExactlyOnce, true, {5, 0x10000}}});
  const test::Bytes expected = test::cat(  //
      hex("01"),                           // value version 1
      hex("00000002"),                     // 2 entries
      hex("0000000000000001"),             // sequence 1
      hex("0000000000000007"),             // segment 7
      hex("00000000"),                     // index 0 in the segment
      hex("01"),                           // QoS 1, no retain
      hex("00000000"),                     // no subscription identifiers
      hex("0000000000000100"),             // sequence 256
      hex("0000000000000007"),             // segment 7
      hex("00000001"),                     // index 1
      hex("06"),                           // QoS 2 | retain 04
      hex("00000002 00000005 00010000"));  // subscription identifiers 5, 65536
  EXPECT_BYTES_EQ(expected, text(encoded));
}

TEST(RecordCodecGolden, Keys) {
  EXPECT_BYTES_EQ(hex("56"), text(format_key()));                          // "V"
  EXPECT_BYTES_EQ(hex("47 0000010000000000"), text(segment_key(k2To40)));  // "G", 2^40
  EXPECT_BYTES_EQ(hex("51 0002 6162 0000000000000100"), text(chunk_key("ab", 256)));
  EXPECT_BYTES_EQ(hex("43 0000"), text(cursor_key("")));                        // "C", empty id
  EXPECT_BYTES_EQ(hex("53 0001 00"), text(session_key(std::string(1, '\0'))));  // "S", id 00
  EXPECT_BYTES_EQ(hex("55 0001 61 612F23"), text(subscription_key("a", "a/#")));
  EXPECT_BYTES_EQ(hex("52 612F62"), text(retained_key("a/b")));  // "R", no length
  EXPECT_BYTES_EQ(hex("49 0001 61 FFFE"), text(incoming_key("a", 0xFFFE)));
}

}  // namespace
}  // namespace cairn::storage::record
