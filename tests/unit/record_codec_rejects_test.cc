// The LevelDB store's physical records (storage/record_codec.h), continued
// from record_codec_test.cc:
//   - damaged values (wrong version, cut short, extra bytes, broken
//     invariants, absurd counts) are refused rather than half-trusted;
//   - the bytes themselves are pinned, so a format change shows up here first.
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

#include "storage/record_codec.h"
#include "support/hex.h"
#include "unit/record_codec_samples.h"

namespace cairn::storage::record {
namespace {

using namespace samples;
using model::QoS;
using namespace std::string_literals;
using test::hex;
using test::text;

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
