#include "storage/queue_index.h"

#include <algorithm>

namespace cairn::storage {

void QueueIndex::add_chunk(std::uint64_t first, const std::vector<record::ChunkEntry>& entries) {
  if (entries.empty()) return;
  Chunk& chunk = chunks_[first];
  for (const record::ChunkEntry& e : entries) {
    Entry entry{e.sequence, first, e.segment};
    // Almost always an append: sequences grow with time.
    if (entries_.size() == head_ || entries_.back().sequence < e.sequence) {
      entries_.push_back(entry);
    } else {
      auto at = std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(head_),
                                 entries_.end(), e.sequence,
                                 [](const Entry& x, std::uint64_t s) { return x.sequence < s; });
      entries_.insert(at, entry);
    }
    chunk.last = std::max(chunk.last, e.sequence);
    ++chunk.live;
    ++live_;
  }
}

QueueIndex::Entry* QueueIndex::find(std::uint64_t sequence) {
  auto begin = entries_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(begin, entries_.end(), sequence,
                             [](const Entry& x, std::uint64_t s) { return x.sequence < s; });
  if (it == entries_.end() || it->sequence != sequence) return nullptr;
  return &*it;
}

QueueIndex::AckResult QueueIndex::ack(std::uint64_t sequence) {
  AckResult result;
  Entry* entry = find(sequence);
  if (entry == nullptr || entry->segment == 0) return result;
  result.known = true;
  result.segment = entry->segment;
  entry->segment = 0;
  --live_;
  sent_.erase(sequence);
  auto chunk = chunks_.find(entry->chunk);
  if (--chunk->second.live > 0) {
    acked_.insert(sequence);
    return result;
  }
  // The whole chunk is acknowledged: it goes, and its acks leave the cursor.
  const std::uint64_t first = chunk->first;
  const std::uint64_t last = chunk->second.last;
  chunks_.erase(chunk);
  result.dead_chunk = first;
  for (auto it = acked_.lower_bound(first); it != acked_.end() && *it <= last;) {
    const Entry* e = find(*it);
    if (e != nullptr && e->chunk == first) {
      it = acked_.erase(it);
    } else {
      ++it;
    }
  }
  compact();
  return result;
}

std::vector<QueueIndex::Entry> QueueIndex::live_from(std::uint64_t from, std::size_t max) const {
  std::vector<Entry> out;
  auto it = std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(head_), entries_.end(),
                             from, [](const Entry& x, std::uint64_t s) { return x.sequence < s; });
  for (; it != entries_.end() && out.size() < max; ++it) {
    if (it->segment != 0) out.push_back(*it);
  }
  return out;
}

bool QueueIndex::sent(std::uint64_t sequence, std::uint16_t packet_id, bool released) {
  const Entry* entry = find(sequence);
  if (entry == nullptr || entry->segment == 0 || packet_id == 0) return false;
  sent_[sequence] = record::Cursor::Sent{sequence, packet_id, released};
  return true;
}

// Drops acknowledged entries whose chunk is gone from the front; the vector
// is rebuilt once its dead prefix outweighs the rest.
void QueueIndex::compact() {
  while (head_ < entries_.size() && entries_[head_].segment == 0 &&
         !chunks_.contains(entries_[head_].chunk)) {
    ++head_;
  }
  if (head_ == entries_.size()) {
    entries_.clear();
    entries_.shrink_to_fit();
    head_ = 0;
  } else if (head_ > 1024 && head_ > entries_.size() / 2) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

std::vector<std::uint64_t> QueueIndex::chunks() const {
  std::vector<std::uint64_t> keys;
  keys.reserve(chunks_.size());
  for (const auto& [first, chunk] : chunks_) keys.push_back(first);
  return keys;
}

std::vector<std::uint64_t> QueueIndex::live_segments() const {
  std::vector<std::uint64_t> segments;
  segments.reserve(live_);
  for (std::size_t i = head_; i < entries_.size(); ++i) {
    if (entries_[i].segment != 0) segments.push_back(entries_[i].segment);
  }
  return segments;
}

}  // namespace cairn::storage
