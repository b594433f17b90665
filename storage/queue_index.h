// QueueIndex: what the LevelDB store remembers of one session's queue so that
// an acknowledgement costs no read (storage/FORMAT.md): which chunk and which
// segment each unacknowledged delivery lives in, how many live entries each
// chunk still has, and the cursor (acked and released sequences) to rewrite.
//
// Memory: one 24-byte entry per delivery still stored, no message bodies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "storage/record_codec.h"

namespace cairn::storage {

class QueueIndex {
 public:
  struct Entry {
    std::uint64_t sequence = 0;
    std::uint64_t chunk = 0;    // the first sequence of its chunk: the chunk's key
    std::uint64_t segment = 0;  // 0 once acknowledged
  };

  // What an acknowledgement changed on disk.
  struct AckResult {
    bool known = false;                       // false: no such unacknowledged delivery
    std::uint64_t segment = 0;                // the segment it referenced
    std::optional<std::uint64_t> dead_chunk;  // a chunk now fully acknowledged: delete it
  };

  // Adds a chunk's entries (ascending sequences). Chunks may overlap in
  // sequence range: a delivery numbered earlier can commit in a later group.
  void add_chunk(std::uint64_t first, const std::vector<record::ChunkEntry>& entries);
  // Marks an entry of a loaded chunk acknowledged (from its cursor).
  AckResult ack(std::uint64_t sequence);
  // Records the outgoing QoS 2 state of an unacknowledged entry; false when
  // there is no such entry.
  bool sent(std::uint64_t sequence, std::uint16_t packet_id, bool released);

  // Up to `max` unacknowledged entries with a sequence of at least `from`,
  // in sequence order: what paging reads back (LeveldbStore::load).
  std::vector<Entry> live_from(std::uint64_t from, std::size_t max) const;
  // The outgoing QoS 2 state of an unacknowledged entry, if it was sent.
  const record::Cursor::Sent* sent_of(std::uint64_t sequence) const {
    auto it = sent_.find(sequence);
    return it == sent_.end() ? nullptr : &it->second;
  }

  // The cursor to store: acked sequences of live chunks, outgoing QoS 2 state.
  record::Cursor cursor() const { return record::Cursor::of(acked_, sent_); }
  bool cursor_empty() const { return acked_.empty() && sent_.empty(); }

  // Every live chunk's key and every unacknowledged entry's segment: what
  // removing the session deletes and unreferences.
  std::vector<std::uint64_t> chunks() const;
  std::vector<std::uint64_t> live_segments() const;
  std::size_t live() const noexcept { return live_; }
  bool empty() const noexcept { return chunks_.empty(); }

 private:
  struct Chunk {
    std::uint64_t last = 0;
    std::uint32_t live = 0;
  };

  Entry* find(std::uint64_t sequence);
  void compact();

  // Sorted by sequence; [head_, end) are the entries of live chunks.
  std::vector<Entry> entries_;
  std::size_t head_ = 0;
  std::map<std::uint64_t, Chunk> chunks_;  // by first sequence
  std::set<std::uint64_t> acked_;          // acknowledged, in live chunks
  std::map<std::uint64_t, record::Cursor::Sent> sent_;
  std::size_t live_ = 0;
};

}  // namespace cairn::storage
