// The physical records of the LevelDB store (storage/FORMAT.md): keys and
// values, written and read by explicit encoders, never a memcpy of a struct.
//
// Keys: one byte naming the key space, then big-endian numbers and
// length-prefixed strings, so that LevelDB's byte order sorts a client's
// records together and a queue's chunks in sequence order. Values: a version
// byte, then fields. Every decoder bounds-checks everything and returns
// nullopt on any damage: a record is trusted only after it parsed whole.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/message.h"
#include "model/qos.h"
#include "model/subscription.h"
#include "storage/batch.h"

namespace cairn::storage::record {

// The version byte every value starts with.
inline constexpr std::uint8_t kValueVersion = 1;
// The store layout as a whole; a store of another format is refused.
inline constexpr std::uint32_t kFormatVersion = 1;

enum class Space : char {
  kFormat = 'V',        // the store format version
  kSegment = 'G',       // a commit's messages, packed
  kChunk = 'Q',         // part of a session's queue: references into segments
  kCursor = 'C',        // a session's progress through its queue
  kSession = 'S',       // a persistent session
  kSubscription = 'U',  // one subscription of a persistent session
  kRetained = 'R',      // the retained message of a topic
  kIncoming = 'I',      // an incoming QoS 2 packet identifier awaiting PUBREL
};

// --- keys ----------------------------------------------------------------------

std::string format_key();
std::string segment_key(std::uint64_t segment);
std::string chunk_key(std::string_view client_id, std::uint64_t first_sequence);
std::string cursor_key(std::string_view client_id);
std::string session_key(std::string_view client_id);
std::string subscription_key(std::string_view client_id, std::string_view filter);
std::string retained_key(std::string_view topic);
std::string incoming_key(std::string_view client_id, std::uint16_t packet_id);
// The first bytes of every key of `space` that belongs to `client_id`.
std::string client_prefix(Space space, std::string_view client_id);

// A key taken apart. `client_id` is set for the per-client spaces, `number`
// for segments, chunks (first sequence) and incoming ids, `name` for
// subscriptions (filter) and retained messages (topic).
struct ParsedKey {
  Space space = Space::kFormat;
  std::string client_id;
  std::uint64_t number = 0;
  std::string name;
};
std::optional<ParsedKey> parse_key(std::string_view key);

// --- values --------------------------------------------------------------------

std::string encode_format(std::uint32_t format);
std::optional<std::uint32_t> decode_format(std::string_view value);

// A segment: the messages of one commit that some persistent session queues.
// Index i of the vector is what a chunk entry's `index` refers to.
std::string encode_segment(const std::vector<model::MessagePtr>& messages);
std::optional<std::vector<model::MessagePtr>> decode_segment(std::string_view value);

// One queued delivery: which message (segment, index), as what.
struct ChunkEntry {
  std::uint64_t sequence = 0;
  std::uint64_t segment = 0;
  std::uint32_t index = 0;
  model::QoS qos = model::QoS::kAtLeastOnce;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  bool operator==(const ChunkEntry&) const = default;
};
// Entries in increasing sequence order (checked by the decoder).
std::string encode_chunk(const std::vector<ChunkEntry>& entries);
std::optional<std::vector<ChunkEntry>> decode_chunk(std::string_view value);

// A session's progress: the sequences acknowledged in chunks still stored
// (a chunk goes when all of it is acknowledged), and the outgoing QoS 2
// state of deliveries sent (D3): the packet identifier a PUBLISH went out
// with, so that a restart re-sends it with the same one (a new identifier
// would make it a new message to the client), and whether PUBREL is next.
// Acknowledged sequences are kept as runs (first, length), ascending and
// apart: acknowledgements mostly come in order, so a cursor stays a few runs
// long however many it covers, and a damaged one never expands in memory.
struct Cursor {
  struct Run {
    std::uint64_t first = 0;
    std::uint64_t length = 0;
    bool operator==(const Run&) const = default;
  };
  struct Sent {
    std::uint64_t sequence = 0;
    std::uint16_t packet_id = 0;  // never 0
    bool released = false;        // PUBREL is next, not PUBLISH
    bool operator==(const Sent&) const = default;
  };
  std::vector<Run> acked;
  std::vector<Sent> sent;  // ascending by sequence

  static Cursor of(const std::set<std::uint64_t>& acked, const std::map<std::uint64_t, Sent>& sent);
  const Sent* find_sent(std::uint64_t sequence) const;
  bool is_acked(std::uint64_t sequence) const;
  bool operator==(const Cursor&) const = default;
};
std::string encode_cursor(const Cursor& cursor);
std::optional<Cursor> decode_cursor(std::string_view value);

// A session record; the client id is the key's (decode leaves it empty).
std::string encode_session(const PutSession& session);
std::optional<PutSession> decode_session(std::string_view value);

// A subscription record; client id and filter are the key's.
std::string encode_subscription(const PutSubscription& subscription);
std::optional<PutSubscription> decode_subscription(std::string_view value);

// A retained message (its topic is the key's too; both are checked equal).
std::string encode_retained(const model::Message& message);
std::optional<model::MessagePtr> decode_retained(std::string_view value);

std::string encode_incoming();
bool decode_incoming(std::string_view value);

}  // namespace cairn::storage::record
