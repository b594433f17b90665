// The LevelDB store's physical records (storage/record_codec.h): what the
// store relies on when it writes a record and reads it back after a restart.
//   - keys parse back to what built them, and sort the way the store scans:
//     one client's records together, a queue's chunks in sequence order;
//   - values decode to what was encoded, every optional field included;
// Damaged values and the pinned bytes: record_codec_rejects_test.cc.
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
#include "unit/record_codec_samples.h"

namespace cairn::storage::record {
namespace {

using namespace samples;
using model::QoS;
using namespace std::string_literals;
using test::hex;
using test::text;

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

}  // namespace
}  // namespace cairn::storage::record
