#include "storage/queue_index.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include "base/check.h"

namespace cairn::storage {
namespace {

// Dead runs and chunks are dropped once there are this many and they
// outnumber the live ones: every death costs O(1) amortized.
constexpr std::size_t kCompactAfter = 1024;

}  // namespace

void QueueIndex::add_chunk(std::uint64_t first, const std::vector<record::ChunkEntry>& entries) {
  if (entries.empty()) return;
  CAIRN_CHECK(entries.front().sequence == first, "QueueIndex: a chunk's key is its first sequence");
  // Runs: consecutive sequences referring to one segment.
  std::vector<Run> added;
  for (const record::ChunkEntry& e : entries) {
    if (!added.empty() && added.back().end() == e.sequence && added.back().segment == e.segment &&
        added.back().count < std::numeric_limits<std::uint32_t>::max()) {
      ++added.back().count;
      continue;
    }
    CAIRN_CHECK(e.segment != 0, "QueueIndex: segment 0 marks a dead run");
    CAIRN_CHECK(e.sequence - first <= std::numeric_limits<std::uint32_t>::max(),
                "QueueIndex: a chunk spans over 2^32 sequences");
    added.push_back(Run{e.sequence, e.segment, 1, static_cast<std::uint32_t>(e.sequence - first)});
  }
  // Almost always appends: sequences grow with time.
  for (const Run& run : added) {
    if (runs_.empty() || runs_.back().first < run.first) {
      runs_.push_back(run);
    } else {
      auto at = std::lower_bound(runs_.begin(), runs_.end(), run.first,
                                 [](const Run& r, std::uint64_t s) { return r.first < s; });
      runs_.insert(at, run);
    }
  }
  const Chunk chunk{first, entries.back().sequence, static_cast<std::uint32_t>(entries.size())};
  if (chunks_.empty() || chunks_.back().first < first) {
    chunks_.push_back(chunk);
  } else {
    auto at = std::lower_bound(chunks_.begin(), chunks_.end(), first,
                               [](const Chunk& c, std::uint64_t s) { return c.first < s; });
    chunks_.insert(at, chunk);
  }
  ++live_chunks_;
  live_ += entries.size();
}

const QueueIndex::Run* QueueIndex::find_run(std::uint64_t sequence) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), sequence,
                             [](std::uint64_t s, const Run& r) { return s < r.first; });
  if (it == runs_.begin()) return nullptr;
  --it;
  return sequence < it->end() ? &*it : nullptr;
}

QueueIndex::Run* QueueIndex::find_run(std::uint64_t sequence) {
  return const_cast<Run*>(std::as_const(*this).find_run(sequence));
}

QueueIndex::Chunk* QueueIndex::find_chunk(std::uint64_t first) {
  auto it = std::lower_bound(chunks_.begin(), chunks_.end(), first,
                             [](const Chunk& c, std::uint64_t s) { return c.first < s; });
  return it != chunks_.end() && it->first == first && it->live > 0 ? &*it : nullptr;
}

QueueIndex::AckResult QueueIndex::ack(std::uint64_t sequence) {
  AckResult result;
  Run* run = find_run(sequence);
  if (!is_live(run, sequence)) return result;
  result.known = true;
  result.segment = run->segment;
  --live_;
  sent_.erase(sequence);
  Chunk* chunk = find_chunk(run->chunk());
  CAIRN_CHECK(chunk != nullptr, "QueueIndex: a live run's chunk is live");
  if (--chunk->live > 0) {
    acked_.insert(sequence);
    return result;
  }
  // The whole chunk is acknowledged: it goes, and its acks leave the cursor.
  result.dead_chunk = chunk->first;
  bury(*chunk);
  compact();
  return result;
}

// Kills a chunk whose every entry is acknowledged, and its runs.
void QueueIndex::bury(Chunk& chunk) {
  const std::uint64_t key = chunk.first;
  chunk.live = 0;
  ++dead_chunks_;
  --live_chunks_;
  auto it = std::lower_bound(runs_.begin(), runs_.end(), chunk.first,
                             [](const Run& r, std::uint64_t s) { return r.first < s; });
  for (; it != runs_.end() && it->first <= chunk.last; ++it) {
    if (it->segment == 0 || it->chunk() != key) continue;
    for (auto a = acked_.lower_bound(it->first); a != acked_.end() && *a < it->end();) {
      a = acked_.erase(a);
    }
    it->segment = 0;
    ++dead_runs_;
  }
}

void QueueIndex::compact() {
  if (dead_runs_ >= kCompactAfter && dead_runs_ * 2 > runs_.size()) {
    std::erase_if(runs_, [](const Run& r) { return r.segment == 0; });
    dead_runs_ = 0;
    if (runs_.capacity() > 2 * runs_.size() + 64) runs_.shrink_to_fit();
  }
  if (dead_chunks_ >= kCompactAfter && dead_chunks_ * 2 > chunks_.size()) {
    std::erase_if(chunks_, [](const Chunk& c) { return c.live == 0; });
    dead_chunks_ = 0;
    if (chunks_.capacity() > 2 * chunks_.size() + 64) chunks_.shrink_to_fit();
  }
  if (live_chunks_ == 0) {
    runs_ = {};
    chunks_ = {};
    dead_runs_ = dead_chunks_ = 0;
  }
}

std::vector<QueueIndex::Entry> QueueIndex::live_from(std::uint64_t from, std::size_t max) const {
  std::vector<Entry> out;
  auto it = std::upper_bound(runs_.begin(), runs_.end(), from,
                             [](std::uint64_t s, const Run& r) { return s < r.first; });
  if (it != runs_.begin() && from < std::prev(it)->end()) --it;
  for (; it != runs_.end() && out.size() < max; ++it) {
    if (it->segment == 0) continue;
    for (std::uint64_t s = std::max(from, it->first); s < it->end() && out.size() < max; ++s) {
      if (!acked_.contains(s)) out.push_back(Entry{s, it->chunk(), it->segment});
    }
  }
  return out;
}

bool QueueIndex::sent(std::uint64_t sequence, std::uint16_t packet_id, bool released) {
  if (packet_id == 0 || !is_live(find_run(sequence), sequence)) return false;
  sent_[sequence] = record::Cursor::Sent{sequence, packet_id, released};
  return true;
}

std::vector<std::uint64_t> QueueIndex::chunks() const {
  std::vector<std::uint64_t> keys;
  keys.reserve(live_chunks_);
  for (const Chunk& c : chunks_) {
    if (c.live > 0) keys.push_back(c.first);
  }
  return keys;
}

std::vector<std::pair<std::uint64_t, std::size_t>> QueueIndex::live_segments() const {
  std::vector<std::pair<std::uint64_t, std::size_t>> segments;
  for (const Run& r : runs_) {
    if (r.segment == 0) continue;
    const auto acked = static_cast<std::size_t>(
        std::distance(acked_.lower_bound(r.first), acked_.lower_bound(r.end())));
    const std::size_t live = r.count - acked;
    if (live == 0) continue;
    if (!segments.empty() && segments.back().first == r.segment) {
      segments.back().second += live;
    } else {
      segments.emplace_back(r.segment, live);
    }
  }
  return segments;
}

}  // namespace cairn::storage
