// QueueIndex: what the LevelDB store remembers of one session's queue so that
// an acknowledgement costs no read (storage/FORMAT.md): which chunk and which
// segment each unacknowledged delivery lives in, how many live entries each
// chunk still has, and the cursor (acked and released sequences) to rewrite.
//
// Memory (D7): deliveries are held as runs, consecutive sequences of one chunk
// that refer to one segment, 24 bytes each, and chunks, 24 bytes each, plus a
// node per acknowledged sequence of a chunk still stored and per QoS 2
// delivery sent. A commit queues consecutive sequences for a session, all in
// that commit's segment, so a chunk is usually one run: an offline session
// costs about 48 bytes per commit that queued for it, not per delivery (a
// million messages queued for 100 sessions, ~33 per commit: ~145 MB, against
// 2.4 GB at an entry per delivery).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "storage/record_codec.h"

namespace cairn::storage {

class QueueIndex {
 public:
  struct Entry {
    std::uint64_t sequence = 0;
    std::uint64_t chunk = 0;  // the first sequence of its chunk: the chunk's key
    std::uint64_t segment = 0;
  };

  // What an acknowledgement changed on disk.
  struct AckResult {
    bool known = false;                       // false: no such unacknowledged delivery
    std::uint64_t segment = 0;                // the segment it referenced
    std::optional<std::uint64_t> dead_chunk;  // a chunk now fully acknowledged: delete it
  };

  // Adds a chunk's entries (ascending sequences, none known yet). Chunks may
  // overlap in sequence range: a delivery numbered earlier can commit in a
  // later group.
  void add_chunk(std::uint64_t first, const std::vector<record::ChunkEntry>& entries);
  // Marks an unacknowledged delivery acknowledged.
  AckResult ack(std::uint64_t sequence);
  // Records the outgoing QoS 2 state of an unacknowledged entry; false when
  // there is no such entry.
  bool sent(std::uint64_t sequence, std::uint16_t packet_id, bool released);

  // Up to `max` unacknowledged entries with a sequence of at least `from`,
  // in sequence order: what paging reads back (LeveldbStore::load).
  std::vector<Entry> live_from(std::uint64_t from, std::size_t max) const;
  // Another unacknowledged entry than `except` recorded as sent with
  // `packet_id`, if any. The sent entries are a session's QoS 2 deliveries
  // in flight: at most its client's Receive Maximum, so a scan is cheap.
  std::optional<std::uint64_t> holder_of(std::uint16_t packet_id, std::uint64_t except) const {
    for (const auto& [sequence, sent] : sent_) {
      if (sent.packet_id == packet_id && sequence != except) return sequence;
    }
    return std::nullopt;
  }
  // The outgoing QoS 2 state of an unacknowledged entry, if it was sent.
  const record::Cursor::Sent* sent_of(std::uint64_t sequence) const {
    auto it = sent_.find(sequence);
    return it == sent_.end() ? nullptr : &it->second;
  }

  // The cursor to store: acked sequences of live chunks, outgoing QoS 2 state.
  record::Cursor cursor() const { return record::Cursor::of(acked_, sent_); }
  bool cursor_empty() const { return acked_.empty() && sent_.empty(); }

  // Every live chunk's key, and each segment unacknowledged entries refer to
  // with how many do: what removing the session deletes and unreferences.
  std::vector<std::uint64_t> chunks() const;
  std::vector<std::pair<std::uint64_t, std::size_t>> live_segments() const;
  std::size_t live() const noexcept { return live_; }
  bool empty() const noexcept { return live_chunks_ == 0; }

  // Runs and chunks held, dead ones awaiting compaction included: what the
  // index costs (tests).
  std::size_t runs_held() const noexcept { return runs_.size(); }
  std::size_t chunks_held() const noexcept { return chunks_.size(); }

 private:
  // Sequences first .. first + count - 1, all in the chunk keyed
  // first - chunk_offset, all referring to `segment`. segment 0: dead (its
  // chunk is gone), left in place until compaction so that the vector stays
  // sorted without moving its tail at every death.
  struct Run {
    std::uint64_t first = 0;
    std::uint64_t segment = 0;
    std::uint32_t count = 0;
    std::uint32_t chunk_offset = 0;
    std::uint64_t chunk() const { return first - chunk_offset; }
    std::uint64_t end() const { return first + count; }
  };
  // live 0: dead, left in place until compaction.
  struct Chunk {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint32_t live = 0;
  };

  // The run holding `sequence`, dead or alive, or nullptr.
  Run* find_run(std::uint64_t sequence);
  const Run* find_run(std::uint64_t sequence) const;
  Chunk* find_chunk(std::uint64_t first);
  bool is_live(const Run* run, std::uint64_t sequence) const {
    return run != nullptr && run->segment != 0 && !acked_.contains(sequence);
  }
  void bury(Chunk& chunk);
  void compact();

  std::vector<Run> runs_;      // sorted by first; never overlapping
  std::vector<Chunk> chunks_;  // sorted by first
  std::size_t dead_runs_ = 0;
  std::size_t dead_chunks_ = 0;
  std::size_t live_chunks_ = 0;
  std::set<std::uint64_t> acked_;  // acknowledged, in live chunks
  std::map<std::uint64_t, record::Cursor::Sent> sent_;
  std::size_t live_ = 0;
};

}  // namespace cairn::storage
