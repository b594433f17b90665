// LeveldbStore::load: part of a session's queue read back from disk, for a
// broker that keeps only a window of each queue in memory (D7).
#include <algorithm>
#include <utility>

#include <leveldb/db.h>
#include <spdlog/spdlog.h>

#include "storage/leveldb_store.h"
#include "storage/record_codec.h"

namespace cairn::storage {
namespace {

// What a decoded segment weighs in the cache: its messages' footprints.
std::uint64_t footprint(const std::vector<model::MessagePtr>& messages) {
  std::uint64_t bytes = 0;
  for (const model::MessagePtr& m : messages) bytes += model::footprint(*m);
  return bytes;
}

}  // namespace

void LeveldbStore::load(LoadRequest request, LoadCompletion done) {
  // On the committer thread, between groups: the index is that thread's, and
  // the read sees every commit that completed before the request.
  committer_.run_in_order(
      [this, request = std::move(request), done = std::move(done)](std::error_code ec) {
        std::vector<StoredDelivery> out;
        if (!ec) ec = read_queue(request, out);
        if (ec) out.clear();
        done(std::move(out), ec);
      });
}

std::error_code LeveldbStore::read_queue(const LoadRequest& request,
                                         std::vector<StoredDelivery>& out) {
  auto q = queues_.find(request.client_id);
  if (q == queues_.end() || request.max_count == 0) return {};
  const std::vector<QueueIndex::Entry> entries =
      q->second.live_from(request.from, request.max_count);
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  // The chunks of one load are few and consecutive: each is read once.
  std::map<std::uint64_t, std::vector<record::ChunkEntry>> chunks;
  std::uint64_t bytes = 0;
  out.reserve(entries.size());
  for (const QueueIndex::Entry& entry : entries) {
    auto unreadable = [&](std::string_view what) {
      spdlog::error(
          "store: client '{}': queued delivery {} cannot be read back ({}); it stays queued, "
          "undelivered; `cairn check` names the damage",
          request.client_id, entry.sequence, what);
      return std::error_code(StoreErrc::kUnreadable);
    };
    auto chunk = chunks.find(entry.chunk);
    if (chunk == chunks.end()) {
      std::string value;
      const leveldb::Status s =
          db_->Get(read, record::chunk_key(request.client_id, entry.chunk), &value);
      if (!s.ok()) return unreadable(s.ToString());
      std::optional<std::vector<record::ChunkEntry>> decoded = record::decode_chunk(value);
      if (!decoded) return unreadable("its chunk record does not parse");
      chunk = chunks.emplace(entry.chunk, std::move(*decoded)).first;
    }
    const std::vector<record::ChunkEntry>& in = chunk->second;
    auto e = std::lower_bound(
        in.begin(), in.end(), entry.sequence,
        [](const record::ChunkEntry& x, std::uint64_t s) { return x.sequence < s; });
    if (e == in.end() || e->sequence != entry.sequence) {
      return unreadable("its chunk does not hold it");
    }
    const auto segment = read_segment(e->segment);
    if (!segment || e->index >= segment->size()) return unreadable("its message is missing");
    const model::MessagePtr& message = (*segment)[e->index];
    bytes += model::footprint(*message);
    if (!out.empty() && bytes > request.max_bytes) break;
    StoredDelivery d;
    d.sequence = e->sequence;
    d.message = message;
    d.qos = e->qos;
    d.retain = e->retain;
    d.subscription_ids = e->subscription_ids;
    if (const record::Cursor::Sent* sent = q->second.sent_of(e->sequence)) {
      d.packet_id = sent->packet_id;
      d.released = sent->released;
    }
    out.push_back(std::move(d));
  }
  return {};
}

std::shared_ptr<const std::vector<model::MessagePtr>> LeveldbStore::read_segment(
    std::uint64_t segment) {
  if (auto it = segment_cache_.find(segment); it != segment_cache_.end()) return it->second;
  leveldb::ReadOptions read;
  read.verify_checksums = true;
  std::string value;
  if (!db_->Get(read, record::segment_key(segment), &value).ok()) return nullptr;
  std::optional<std::vector<model::MessagePtr>> decoded = record::decode_segment(value);
  if (!decoded) return nullptr;
  auto messages = std::make_shared<const std::vector<model::MessagePtr>>(std::move(*decoded));
  segment_cache_.emplace(segment, messages);
  segment_cache_order_.push_back(segment);
  segment_cache_bytes_.fetch_add(footprint(*messages), std::memory_order_relaxed);
  while (segment_cache_bytes_.load(std::memory_order_relaxed) > segment_cache_limit_ &&
         segment_cache_.size() > 1) {
    const std::uint64_t oldest = segment_cache_order_.front();
    segment_cache_order_.pop_front();
    forget_segment(oldest);
  }
  // Segments forgotten by a commit leave their id behind in the order.
  if (segment_cache_order_.size() > 2 * segment_cache_.size() + 64) {
    std::erase_if(segment_cache_order_,
                  [this](std::uint64_t s) { return !segment_cache_.contains(s); });
  }
  return messages;
}

// A segment deleted by a commit, or the oldest, leaves the cache (its id may
// stay in the order, skipped there).
void LeveldbStore::forget_segment(std::uint64_t segment) {
  auto it = segment_cache_.find(segment);
  if (it == segment_cache_.end()) return;
  segment_cache_bytes_.fetch_sub(footprint(*it->second), std::memory_order_relaxed);
  segment_cache_.erase(it);
}

}  // namespace cairn::storage
