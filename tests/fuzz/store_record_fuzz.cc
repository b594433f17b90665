// libFuzzer target for the LevelDB store's record parser (storage/record_codec.h).
//
// The first byte picks what the rest is read as: a key, or the value of a
// segment, chunk, cursor, session, subscription, retained message, incoming
// QoS 2 identifier or the format record. A damaged store hands the decoders
// arbitrary bytes; what must hold, beyond "no crash, leak, hang or sanitizer
// report":
//   - every accepted value re-encodes to exactly the bytes it came from. The
//     encoding is canonical by construction, so this is checked for every
//     kind: each flag bit either names a field or is refused (message QoS 3,
//     chunk QoS 0/3 and high bits, session and subscription high bits, a
//     released byte other than 0/1); each count is exact and each list must
//     come in its one allowed order (chunk sequences and sent entries strictly
//     ascending, acked runs ascending and apart); there is no padding and no
//     field the encoder could write two ways; a time is refused unless the
//     clock holds it, so its milliseconds come back unchanged. (Were some kind
//     not canonical, the weaker decode(encode(decode(x))) == decode(x) would
//     be the property to check instead.)
//   - every accepted key is rebuilt byte for byte by its space's key builder,
//     and a per-client key starts with that client's client_prefix (what the
//     store scans);
//   - what a decoder promises about its result holds: chunk QoS 1 or 2 in
//     ascending sequence order, cursor runs that is_acked agrees with at both
//     edges, sent entries find_sent finds.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "storage/record_codec.h"

namespace {

namespace record = cairn::storage::record;
using record::Space;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "store_record_fuzz: %s (%zu bytes:", what, input.size());
  for (unsigned char c : input.substr(0, 64)) std::fprintf(stderr, " %02x", c);
  std::fprintf(stderr, "%s)\n", input.size() > 64 ? " ..." : "");
  __builtin_trap();
}

void expect_same(const std::string& again, std::string_view input, const char* what) {
  if (again != input) fail(what, input);
}

void check_key(std::string_view key) {
  const auto k = record::parse_key(key);
  if (!k) return;
  std::string rebuilt;
  bool per_client = true;
  switch (k->space) {
    case Space::kFormat:
      rebuilt = record::format_key();
      per_client = false;
      break;
    case Space::kSegment:
      rebuilt = record::segment_key(k->number);
      per_client = false;
      break;
    case Space::kChunk:
      rebuilt = record::chunk_key(k->client_id, k->number);
      break;
    case Space::kCursor:
      rebuilt = record::cursor_key(k->client_id);
      break;
    case Space::kSession:
      rebuilt = record::session_key(k->client_id);
      break;
    case Space::kSubscription:
      rebuilt = record::subscription_key(k->client_id, k->name);
      break;
    case Space::kRetained:
      rebuilt = record::retained_key(k->name);
      per_client = false;
      break;
    case Space::kIncoming:
      if (k->number > 0xFFFF) fail("incoming key with a packet id above 65535", key);
      rebuilt = record::incoming_key(k->client_id, static_cast<std::uint16_t>(k->number));
      break;
    default:
      fail("parse_key accepted an unknown space", key);
  }
  expect_same(rebuilt, key, "key does not rebuild to the same bytes");
  if (per_client && !key.starts_with(record::client_prefix(k->space, k->client_id))) {
    fail("per-client key outside its client_prefix", key);
  }
}

void check_chunk(std::string_view value) {
  const auto entries = record::decode_chunk(value);
  if (!entries) return;
  std::uint64_t previous = 0;
  for (const record::ChunkEntry& e : *entries) {
    if (e.sequence <= previous) fail("chunk sequences not strictly ascending from 1", value);
    if (e.qos != cairn::model::QoS::kAtLeastOnce && e.qos != cairn::model::QoS::kExactlyOnce) {
      fail("chunk entry of QoS other than 1 or 2", value);
    }
    previous = e.sequence;
  }
  expect_same(record::encode_chunk(*entries), value, "chunk does not re-encode canonically");
}

void check_cursor(std::string_view value) {
  const auto cursor = record::decode_cursor(value);
  if (!cursor) return;
  for (const record::Cursor::Run& run : cursor->acked) {
    const std::uint64_t last = run.first + run.length - 1;
    if (!cursor->is_acked(run.first) || !cursor->is_acked(last) ||
        cursor->is_acked(run.first - 1) || cursor->is_acked(last + 1)) {
      fail("is_acked disagrees with a run's edges", value);
    }
  }
  for (const record::Cursor::Sent& s : cursor->sent) {
    if (cursor->find_sent(s.sequence) != &s) fail("find_sent misses a sent entry", value);
  }
  expect_same(record::encode_cursor(*cursor), value, "cursor does not re-encode canonically");
}

void check_value(std::uint8_t kind, std::string_view value) {
  switch (kind) {
    case 0:
      check_key(value);
      break;
    case 1:
      if (const auto messages = record::decode_segment(value)) {
        expect_same(record::encode_segment(*messages), value,
                    "segment does not re-encode canonically");
      }
      break;
    case 2:
      check_chunk(value);
      break;
    case 3:
      check_cursor(value);
      break;
    case 4:
      if (const auto session = record::decode_session(value)) {
        if (!session->client_id.empty()) fail("session value carried a client id", value);
        expect_same(record::encode_session(*session), value,
                    "session does not re-encode canonically");
      }
      break;
    case 5:
      if (const auto subscription = record::decode_subscription(value)) {
        expect_same(record::encode_subscription(*subscription), value,
                    "subscription does not re-encode canonically");
      }
      break;
    case 6:
      if (const auto message = record::decode_retained(value)) {
        if (*message == nullptr) fail("retained decoded to a null message", value);
        expect_same(record::encode_retained(**message), value,
                    "retained message does not re-encode canonically");
      }
      break;
    case 7:
      if (record::decode_incoming(value)) {
        expect_same(record::encode_incoming(), value, "incoming does not re-encode canonically");
      }
      break;
    default:
      if (const auto format = record::decode_format(value)) {
        expect_same(record::encode_format(*format), value, "format does not re-encode canonically");
      }
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_value(static_cast<std::uint8_t>(data[0] % 9), value);
  return 0;
}
