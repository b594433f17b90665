#include "storage/leveldb_store.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <utility>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <spdlog/spdlog.h>

#include "storage/record_codec.h"

namespace cairn::storage {

LeveldbStore::LeveldbStore(std::unique_ptr<DurableNamesEnv> names, std::unique_ptr<PreadEnv> pread,
                           std::unique_ptr<CompactionCountingEnv> env,
                           std::unique_ptr<leveldb::DB> db, const Options& options)
    : directory_(options.directory),
      names_(std::move(names)),
      pread_(std::move(pread)),
      env_(std::move(env)),
      db_(std::move(db)),
      space_(options.directory, options.min_free_bytes, options.free_space_probe),
      segment_cache_limit_(options.segment_cache_bytes),
      committer_(*this, options.committer) {
  space_.refresh();
}

LeveldbStore::~LeveldbStore() { close(); }

void LeveldbStore::submit(Batch batch, Completion done) {
  committer_.submit(std::move(batch), std::move(done));
}

void LeveldbStore::close() { committer_.close(); }

bool LeveldbStore::unref(std::uint64_t segment, std::size_t count) {
  auto it = segment_refs_.find(segment);
  if (it == segment_refs_.end()) return false;
  if (it->second > count) {
    it->second -= static_cast<std::uint32_t>(count);
    return false;
  }
  segment_refs_.erase(it);
  return true;
}

// One group, one synced WriteBatch. The batches' operations are applied in
// order; what a group adds to queues (one chunk per session) and the
// segment its messages go to are written at the end, so an operation later
// in the group (a session removed after a delivery was queued for it) still
// sees and undoes them. Progress on a delivery of this same group (which the
// broker never sends: D2) is applied once the delivery is indexed.
std::error_code LeveldbStore::commit(std::span<Batch> group) {
  space_.refresh();
  leveldb::WriteBatch wb;
  const std::uint64_t segment = next_segment_++;
  std::vector<model::MessagePtr> segment_messages;
  std::unordered_map<MessageId, model::MessagePtr> messages;   // this group's PutMessage
  std::unordered_map<MessageId, std::uint32_t> segment_index;  // id -> index in the segment
  // client -> new entries (hashed: a fan-out adds one per session per message)
  std::unordered_map<std::string, std::vector<record::ChunkEntry>> added;
  std::set<std::string> cursors;  // clients whose cursor changed
  std::vector<std::uint64_t> dead_segments;
  // Progress on a delivery this same group adds: applied once it is indexed.
  // The broker never sends one (a delivery is visible only after its
  // commit), but a store must not lose it if it does.
  std::vector<Operation*> deferred;

  auto added_here = [&](const std::string& client, std::uint64_t sequence) {
    auto a = added.find(client);
    return a != added.end() &&
           std::any_of(a->second.begin(), a->second.end(),
                       [sequence](const record::ChunkEntry& e) { return e.sequence == sequence; });
  };
  // A delivery acknowledged: its chunk and segment go when nothing else
  // refers to them. False when the index does not know it.
  auto acknowledge = [&](const std::string& client, std::uint64_t sequence) {
    auto q = queues_.find(client);
    if (q == queues_.end()) return false;
    const QueueIndex::AckResult r = q->second.ack(sequence);
    if (!r.known) return false;
    if (unref(r.segment)) dead_segments.push_back(r.segment);
    if (r.dead_chunk) wb.Delete(record::chunk_key(client, *r.dead_chunk));
    cursors.insert(client);
    if (q->second.empty()) queues_.erase(q);
    return true;
  };
  // An acknowledgement, a sent packet identifier or a PUBREL stage of an
  // indexed delivery. False when the index does not know the delivery.
  auto apply_progress = [&](Operation& op) {
    return std::visit(
        [&](auto& o) {
          using O = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<O, RecordSent> || std::is_same_v<O, MarkDeliveryReleased>) {
            constexpr bool released = std::is_same_v<O, MarkDeliveryReleased>;
            auto q = queues_.find(o.client_id);
            if (q == queues_.end() || !q->second.sent(o.sequence, o.packet_id, released)) {
              return false;
            }
            cursors.insert(o.client_id);
            // Packet identifiers are unique per session on disk (FORMAT.md):
            // a session gives one out again only once the delivery that held
            // it is complete, though that removal may still be on its way
            // (acknowledgements are batched and deferred). It is done here,
            // in this write, so a restart never finds two holders.
            if (auto previous = q->second.holder_of(o.packet_id, o.sequence)) {
              acknowledge(o.client_id, *previous);
            }
            return true;
          } else if constexpr (std::is_same_v<O, RemoveDelivery>) {
            return acknowledge(o.client_id, o.sequence);
          } else {
            return false;
          }
        },
        op);
  };

  for (Batch& batch : group) {
    for (Operation& op : batch.operations) {
      if (of_ended_session(op)) continue;  // submitted after its session's end (batch.h)
      std::visit(
          [&](auto& o) {
            using O = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<O, PutMessage>) {
              messages.emplace(o.id, std::move(o.message));
            } else if constexpr (std::is_same_v<O, PutDelivery>) {
              auto found = messages.find(o.message_id);
              if (found == messages.end()) return;  // REQUIRES of Batch: same group
              auto [slot, inserted] = segment_index.try_emplace(
                  o.message_id, static_cast<std::uint32_t>(segment_messages.size()));
              if (inserted) segment_messages.push_back(found->second);
              record::ChunkEntry e;
              e.sequence = o.sequence;
              e.segment = segment;
              e.index = slot->second;
              e.qos = o.qos;
              e.retain = o.retain;
              e.subscription_ids = std::move(o.subscription_ids);
              added[o.client_id].push_back(std::move(e));
              ++segment_refs_[segment];
            } else if constexpr (std::is_same_v<O, RecordSent> ||
                                 std::is_same_v<O, MarkDeliveryReleased> ||
                                 std::is_same_v<O, RemoveDelivery>) {
              if (!apply_progress(op) && added_here(o.client_id, o.sequence)) {
                deferred.push_back(&op);
              }
            } else if constexpr (std::is_same_v<O, PutSession>) {
              wb.Put(record::session_key(o.client_id), record::encode_session(o));
              keys_[o.client_id].session = true;
            } else if constexpr (std::is_same_v<O, RemoveSession>) {
              const std::string& client = o.client_id;
              if (auto q = queues_.find(client); q != queues_.end()) {
                for (const auto& [s, count] : q->second.live_segments()) {
                  if (unref(s, count)) dead_segments.push_back(s);
                }
                for (std::uint64_t first : q->second.chunks()) {
                  wb.Delete(record::chunk_key(client, first));
                }
                queues_.erase(q);
              }
              if (auto a = added.find(client); a != added.end()) {
                unref(segment, a->second.size());
                added.erase(a);
              }
              std::erase_if(deferred, [&client](Operation* d) {
                return std::visit(
                    [&client](const auto& x) {
                      if constexpr (requires { x.client_id; }) {
                        return x.client_id == client;
                      } else {
                        return false;
                      }
                    },
                    *d);
              });
              wb.Delete(record::cursor_key(client));
              cursors.erase(client);
              if (auto k = keys_.find(client); k != keys_.end()) {
                for (const std::string& filter : k->second.filters) {
                  wb.Delete(record::subscription_key(client, filter));
                }
                for (std::uint16_t id : k->second.incoming) {
                  wb.Delete(record::incoming_key(client, id));
                }
                keys_.erase(k);
              }
              wb.Delete(record::session_key(client));
            } else if constexpr (std::is_same_v<O, PutSubscription>) {
              wb.Put(record::subscription_key(o.client_id, o.filter),
                     record::encode_subscription(o));
              keys_[o.client_id].filters.insert(o.filter);
            } else if constexpr (std::is_same_v<O, RemoveSubscription>) {
              wb.Delete(record::subscription_key(o.client_id, o.filter));
              if (auto k = keys_.find(o.client_id); k != keys_.end())
                k->second.filters.erase(o.filter);
            } else if constexpr (std::is_same_v<O, PutRetained>) {
              wb.Put(record::retained_key(o.message->topic), record::encode_retained(*o.message));
            } else if constexpr (std::is_same_v<O, RemoveRetained>) {
              wb.Delete(record::retained_key(o.topic));
            } else if constexpr (std::is_same_v<O, PutIncomingQos2>) {
              wb.Put(record::incoming_key(o.client_id, o.packet_id), record::encode_incoming());
              keys_[o.client_id].incoming.insert(o.packet_id);
            } else if constexpr (std::is_same_v<O, RemoveIncomingQos2>) {
              wb.Delete(record::incoming_key(o.client_id, o.packet_id));
              if (auto k = keys_.find(o.client_id); k != keys_.end()) {
                k->second.incoming.erase(o.packet_id);
              }
            }
          },
          op);
    }
  }

  // The group's additions: one chunk per session, keyed by its first
  // sequence, entries in sequence order.
  for (auto& [client, entries] : added) {
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    const std::uint64_t first = entries.front().sequence;
    wb.Put(record::chunk_key(client, first), record::encode_chunk(entries));
    queues_[client].add_chunk(first, entries);
  }
  for (Operation* op : deferred) apply_progress(*op);
  if (segment_refs_.contains(segment)) {
    wb.Put(record::segment_key(segment), record::encode_segment(segment_messages));
  }
  for (const std::string& client : cursors) {
    auto q = queues_.find(client);
    if (q == queues_.end() || q->second.cursor_empty()) {
      wb.Delete(record::cursor_key(client));
    } else {
      wb.Put(record::cursor_key(client), record::encode_cursor(q->second.cursor()));
    }
  }
  for (std::uint64_t s : dead_segments) {
    wb.Delete(record::segment_key(s));
    forget_segment(s);
  }

  leveldb::WriteOptions sync;
  sync.sync = true;
  commit_bytes_.observe(wb.ApproximateSize());
  const leveldb::Status status = db_->Write(sync, &wb);
  // Any failure, not only a failed sync, latches: the GroupCommitter calls
  // this sink no more (D8), and the index above is never used again.
  if (!status.ok()) {
    spdlog::critical(
        "store: the write of {} batches failed ({}); the store accepts nothing more and no "
        "publish is acknowledged until cairn restarts",
        group.size(), status.ToString());
    return StoreErrc::kIo;
  }
  return {};
}

LeveldbStore::DiskUsage LeveldbStore::disk_usage() const {
  DiskUsage usage;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    std::error_code size_ec;
    const auto size = entry.is_regular_file(size_ec) ? entry.file_size(size_ec) : 0;
    if (!size_ec) usage.total_bytes += size;
  }
  // "--- level N ---" headers, then one " number:size[smallest .. largest]"
  // line per table (LevelDB's VersionSet debug string; thread-safe).
  std::string tables;
  if (!db_->GetProperty("leveldb.sstables", &tables)) return usage;
  std::size_t level = 0;
  std::size_t pos = 0;
  while (pos < tables.size()) {
    std::size_t end = tables.find('\n', pos);
    if (end == std::string::npos) end = tables.size();
    const std::string_view line(tables.data() + pos, end - pos);
    pos = end + 1;
    if (line.rfind("--- level ", 0) == 0) {
      level = static_cast<std::size_t>(std::strtoul(line.data() + 10, nullptr, 10));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || level >= usage.level_bytes.size()) continue;
    usage.level_bytes[level] += std::strtoull(line.data() + colon + 1, nullptr, 10);
  }
  return usage;
}

}  // namespace cairn::storage
