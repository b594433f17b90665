// LeveldbStore::open: reads the store back (storage/FORMAT.md, "Opening").
#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <spdlog/fmt/fmt.h>

#include "storage/leveldb_store.h"
#include "storage/record_codec.h"

namespace cairn::storage {
namespace {

std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// Everything read, before it is checked against itself.
struct Loaded {
  std::optional<std::uint32_t> format;
  bool empty = true;
  // Per segment, its messages' footprints: the messages themselves are read
  // again for the few deliveries an open reads into memory.
  std::map<std::uint64_t, std::vector<std::uint32_t>> segments;
  std::map<std::string, record::Cursor> cursors;
  std::vector<std::string> damaged_keys;  // records that do not parse
  std::vector<std::string> dead_chunks;   // chunks with nothing live left: orphans
};

// One client's queue, built as its chunks are read, one at a time: the
// decoded entries of a chunk are dropped once the index holds it, so a
// restart's memory grows with the chunks (about 48 bytes each, a run per
// commit that queued for the session), not with the deliveries in them.
// The key order brings the client's cursor and every segment before its
// chunks ('C' < 'G' < 'Q').
struct QueueScan {
  QueueIndex index;
  std::uint64_t next_sequence = 0;
  std::uint64_t bytes = 0;  // the live deliveries' footprints
  std::size_t released = 0;
};

void scan_chunk(const std::string& client, std::uint64_t first,
                const std::vector<record::ChunkEntry>& entries, const record::Cursor& cursor,
                Loaded& loaded, QueueScan& scan,
                std::unordered_map<std::uint64_t, std::uint32_t>& refs, LoadReport& report) {
  std::vector<bool> live(entries.size(), false);
  std::size_t live_count = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const record::ChunkEntry& e = entries[i];
    if (cursor.is_acked(e.sequence)) continue;
    auto seg = loaded.segments.find(e.segment);
    if (seg == loaded.segments.end() || e.index >= seg->second.size()) {
      report.damage.push_back(fmt::format(
          "client '{}': queued delivery {} refers to a missing message (segment {}, index {})",
          client, e.sequence, e.segment, e.index));
      ++report.damaged_records;
      continue;  // a repair drops it: the rewritten cursor leaves it out
    }
    live[i] = true;
    ++live_count;
    scan.bytes += seg->second[e.index];
  }
  if (live_count == 0) {
    loaded.dead_chunks.push_back(record::chunk_key(client, first));
    return;
  }
  // A live chunk keeps its acknowledged sequences in the cursor: none may be
  // taken again by a new delivery.
  scan.next_sequence = std::max(scan.next_sequence, entries.back().sequence + 1);
  // The index holds the chunk whole; entries acknowledged (or dropped as
  // damaged) are acked in it so that its cursor says so.
  scan.index.add_chunk(first, entries);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const record::ChunkEntry& e = entries[i];
    if (!live[i]) {
      scan.index.ack(e.sequence);
      continue;
    }
    ++refs[e.segment];
    if (const record::Cursor::Sent* sent = cursor.find_sent(e.sequence)) {
      scan.index.sent(e.sequence, sent->packet_id, sent->released);
      if (sent->released) ++scan.released;
    }
  }
}

// Reads back by key the deliveries of `index` in flight and the first
// `window` others, in sequence order; the rest stays on disk as the queue's
// tail (D7). `bytes` is every live delivery's footprint. One that cannot be
// read is reported as damage and left on disk.
void read_window(leveldb::DB& db, const std::string& client, const QueueIndex& index,
                 std::size_t window, std::uint64_t bytes, StoredState& state, LoadReport& report) {
  std::vector<QueueIndex::Entry> taken;
  const record::Cursor cursor = index.cursor();
  for (const record::Cursor::Sent& sent : cursor.sent) {
    const std::vector<QueueIndex::Entry> e = index.live_from(sent.sequence, 1);
    if (!e.empty() && e.front().sequence == sent.sequence) taken.push_back(e.front());
  }
  const std::size_t others =
      window == std::numeric_limits<std::size_t>::max() ? window : window + cursor.sent.size() + 1;
  std::size_t waiting = 0;
  StoredQueueTail tail;
  for (const QueueIndex::Entry& e : index.live_from(0, others)) {
    if (index.sent_of(e.sequence) != nullptr) continue;
    if (waiting++ < window) {
      taken.push_back(e);
    } else {
      tail.from = e.sequence;
      break;
    }
  }
  std::sort(taken.begin(), taken.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });

  leveldb::ReadOptions read;
  read.verify_checksums = true;
  std::map<std::uint64_t, std::vector<record::ChunkEntry>> chunks;
  std::map<std::uint64_t, std::vector<model::MessagePtr>> segments;
  std::vector<StoredDelivery>& out = state.queues[client];
  for (const QueueIndex::Entry& entry : taken) {
    auto chunk = chunks.find(entry.chunk);
    if (chunk == chunks.end()) {
      std::string value;
      std::optional<std::vector<record::ChunkEntry>> decoded;
      if (db.Get(read, record::chunk_key(client, entry.chunk), &value).ok()) {
        decoded = record::decode_chunk(value);
      }
      chunk =
          chunks.emplace(entry.chunk, decoded.value_or(std::vector<record::ChunkEntry>{})).first;
    }
    auto e = std::lower_bound(
        chunk->second.begin(), chunk->second.end(), entry.sequence,
        [](const record::ChunkEntry& x, std::uint64_t s) { return x.sequence < s; });
    auto segment = segments.find(entry.segment);
    if (segment == segments.end()) {
      std::string value;
      std::optional<std::vector<model::MessagePtr>> decoded;
      if (db.Get(read, record::segment_key(entry.segment), &value).ok()) {
        decoded = record::decode_segment(value);
      }
      segment =
          segments.emplace(entry.segment, decoded.value_or(std::vector<model::MessagePtr>{})).first;
    }
    if (e == chunk->second.end() || e->sequence != entry.sequence ||
        e->index >= segment->second.size()) {
      report.damage.push_back(fmt::format(
          "client '{}': queued delivery {} cannot be read again: it changed while opening", client,
          entry.sequence));
      continue;
    }
    StoredDelivery d;
    d.sequence = e->sequence;
    d.message = segment->second[e->index];
    d.qos = e->qos;
    d.retain = e->retain;
    d.subscription_ids = e->subscription_ids;
    if (const record::Cursor::Sent* sent = index.sent_of(e->sequence)) {
      d.packet_id = sent->packet_id;
      d.released = sent->released;
    }
    bytes -= std::min<std::uint64_t>(bytes, model::footprint(*d.message));
    out.push_back(std::move(d));
  }
  if (out.empty()) state.queues.erase(client);
  tail.count = index.live() - taken.size();
  tail.bytes = bytes;
  if (tail.count > 0) state.paged.emplace(client, tail);
}

}  // namespace

LeveldbStore::Opened LeveldbStore::open(const Options& options) {
  Opened out;
  LoadReport& report = out.report;
  const std::string& dir = options.directory;
  const std::string repair_hint =
      fmt::format("`cairn repair --data-dir {}` drops what cannot be read and reports it", dir);

  leveldb::Options lo;
  lo.paranoid_checks = true;  // a damaged log or table fails the open, not a later read
  lo.create_if_missing = options.mode == Mode::kOpen;
  // Names made durable below the counting layer: a power cut must not take
  // a log LevelDB acknowledged writes into, nor CURRENT (durable_names_env.h).
  // And tables read with pread: a restart reads the whole store once, which
  // mapped files would leave in cairn's resident memory (pread_env.h).
  auto names = std::make_unique<DurableNamesEnv>(options.env != nullptr ? options.env
                                                                        : leveldb::Env::Default());
  auto pread = std::make_unique<PreadEnv>(names.get());
  auto env = std::make_unique<CompactionCountingEnv>(pread.get());
  lo.env = env.get();
  if (options.mode == Mode::kOpen && options.env == nullptr) {
    const leveldb::Status created = create_directories_durably(dir);
    if (!created.ok()) {
      out.error = fmt::format("cannot create the data directory {}: {} (data_dir)", dir,
                              created.ToString());
      return out;
    }
  }
  if (options.mode == Mode::kRepair) {
    const leveldb::Status repaired = leveldb::RepairDB(dir, lo);
    if (!repaired.ok()) {
      out.error = fmt::format("repair of the store in {} failed: {}", dir, repaired.ToString());
      return out;
    }
  }
  leveldb::DB* raw = nullptr;
  const leveldb::Status opened = leveldb::DB::Open(lo, dir, &raw);
  if (!opened.ok()) {
    out.error = fmt::format("cannot open the store in {}: {}", dir, opened.ToString());
    if (opened.IsCorruption()) out.error += "; " + repair_hint;
    return out;
  }
  std::unique_ptr<leveldb::DB> db(raw);

  // --- read every record ---
  Loaded loaded;
  StoredState& state = out.state;
  const record::Cursor no_cursor;
  std::map<std::string, QueueScan> scans;
  std::unordered_map<std::uint64_t, std::uint32_t> refs;
  {
    leveldb::ReadOptions read;
    read.verify_checksums = true;
    read.fill_cache = false;
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(read));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      loaded.empty = false;
      const std::string_view key(it->key().data(), it->key().size());
      const std::string_view value(it->value().data(), it->value().size());
      report.bytes_read += key.size() + value.size();
      const std::optional<record::ParsedKey> k = record::parse_key(key);
      bool ok = k.has_value();
      if (ok) {
        switch (k->space) {
          case record::Space::kFormat:
            loaded.format = record::decode_format(value);
            ok = loaded.format.has_value();
            break;
          case record::Space::kSegment:
            if (auto s = record::decode_segment(value)) {
              std::vector<std::uint32_t>& footprints = loaded.segments[k->number];
              footprints.reserve(s->size());
              for (const model::MessagePtr& m : *s) {
                footprints.push_back(static_cast<std::uint32_t>(model::footprint(*m)));
              }
            } else {
              ok = false;
            }
            break;
          case record::Space::kChunk:
            if (auto c = record::decode_chunk(value);
                c && !c->empty() && c->front().sequence == k->number) {
              auto cursor = loaded.cursors.find(k->client_id);
              scan_chunk(k->client_id, k->number, *c,
                         cursor == loaded.cursors.end() ? no_cursor : cursor->second, loaded,
                         scans[k->client_id], refs, report);
            } else {
              ok = false;
            }
            break;
          case record::Space::kCursor:
            if (auto c = record::decode_cursor(value)) {
              loaded.cursors.emplace(k->client_id, std::move(*c));
            } else {
              ok = false;
            }
            break;
          case record::Space::kSession:
            if (auto s = record::decode_session(value)) {
              s->client_id = k->client_id;
              state.sessions.emplace(k->client_id, std::move(*s));
            } else {
              ok = false;
            }
            break;
          case record::Space::kSubscription:
            if (auto s = record::decode_subscription(value)) {
              s->client_id = k->client_id;
              s->filter = k->name;
              state.subscriptions[k->client_id].emplace(k->name, std::move(*s));
            } else {
              ok = false;
            }
            break;
          case record::Space::kRetained:
            if (auto m = record::decode_retained(value); m && (*m)->topic == k->name) {
              state.retained.emplace(k->name, std::move(*m));
            } else {
              ok = false;
            }
            break;
          case record::Space::kIncoming:
            ok = record::decode_incoming(value) && k->number != 0;
            if (ok) state.incoming_qos2[k->client_id].insert(static_cast<std::uint16_t>(k->number));
            break;
        }
      }
      if (!ok) {
        loaded.damaged_keys.emplace_back(key);
        report.damage.push_back(fmt::format("record '{}' cannot be read", printable(key)));
      }
    }
    if (!it->status().ok()) {
      report.damage.push_back(fmt::format("reading the store failed: {}", it->status().ToString()));
    }
  }

  leveldb::WriteBatch fixes;  // orphans, repairs and the format record, in one synced write
  if (loaded.empty) {
    fixes.Put(record::format_key(), record::encode_format(record::kFormatVersion));
  } else if (!loaded.format) {
    report.damage.push_back("the format record is missing");
    fixes.Put(record::format_key(), record::encode_format(record::kFormatVersion));
  } else if (*loaded.format != record::kFormatVersion) {
    out.error = fmt::format("the store in {} has format {}; this cairn reads format {}", dir,
                            *loaded.format, record::kFormatVersion);
    return out;
  }

  // Records of clients without a session: left behind by nothing cairn
  // writes (a session's removal deletes them in the same batch), so harmless.
  auto orphan = [&](const std::string& key) {
    ++report.orphans;
    fixes.Delete(key);
  };
  for (auto it = state.subscriptions.begin(); it != state.subscriptions.end();) {
    if (state.sessions.contains(it->first)) {
      ++it;
      continue;
    }
    for (const auto& [filter, s] : it->second) orphan(record::subscription_key(it->first, filter));
    it = state.subscriptions.erase(it);
  }
  for (auto it = state.incoming_qos2.begin(); it != state.incoming_qos2.end();) {
    if (state.sessions.contains(it->first)) {
      ++it;
      continue;
    }
    for (std::uint16_t id : it->second) orphan(record::incoming_key(it->first, id));
    it = state.incoming_qos2.erase(it);
  }

  // --- queues: what the chunks left, checked against the sessions ---
  for (const std::string& key : loaded.dead_chunks) orphan(key);
  std::unordered_map<std::string, QueueIndex> queues;
  for (auto& [client, scan] : scans) {
    if (!state.sessions.contains(client)) {
      for (std::uint64_t first : scan.index.chunks()) orphan(record::chunk_key(client, first));
      for (const auto& [segment, count] : scan.index.live_segments()) {
        auto r = refs.find(segment);
        if (r != refs.end() && (r->second -= static_cast<std::uint32_t>(count)) == 0) {
          refs.erase(r);
        }
      }
      continue;
    }
    if (scan.index.empty()) continue;
    state.next_sequence[client] = scan.next_sequence;
    report.queued += scan.index.live();
    report.released += scan.released;
    const auto cursor = loaded.cursors.find(client);
    if (cursor == loaded.cursors.end() || !(scan.index.cursor() == cursor->second)) {
      fixes.Put(record::cursor_key(client), record::encode_cursor(scan.index.cursor()));
    }
    read_window(*db, client, scan.index, options.queue_window, scan.bytes, state, report);
    queues.emplace(client, std::move(scan.index));
  }
  scans.clear();
  for (const auto& [client, cursor] : loaded.cursors) {
    if (!queues.contains(client)) orphan(record::cursor_key(client));
  }
  std::uint64_t last_segment = 0;
  for (const auto& [id, footprints] : loaded.segments) {
    last_segment = std::max(last_segment, id);
    if (!refs.contains(id)) orphan(record::segment_key(id));
  }
  loaded.segments.clear();

  report.sessions = state.sessions.size();
  for (const auto& [client, subs] : state.subscriptions) report.subscriptions += subs.size();
  report.retained = state.retained.size();
  for (const auto& [client, ids] : state.incoming_qos2) report.incoming_qos2 += ids.size();
  report.segments = refs.size();

  if (options.mode == Mode::kCheck) return out;  // nothing written, no store
  if (!report.damage.empty()) {
    if (options.mode != Mode::kRepair) {
      out.error = fmt::format("the store in {} is damaged: {}{}; {}", dir, report.damage.front(),
                              report.damage.size() > 1
                                  ? fmt::format(" (and {} more)", report.damage.size() - 1)
                                  : std::string(),
                              repair_hint);
      return out;
    }
    for (const std::string& key : loaded.damaged_keys) fixes.Delete(key);
    report.damaged_records += loaded.damaged_keys.size();
  }
  if (fixes.ApproximateSize() > leveldb::WriteBatch().ApproximateSize()) {
    leveldb::WriteOptions sync;
    sync.sync = true;
    if (const leveldb::Status s = db->Write(sync, &fixes); !s.ok()) {
      out.error = fmt::format("cannot write to the store in {}: {}", dir, s.ToString());
      return out;
    }
  }

  std::unique_ptr<LeveldbStore> store(
      new LeveldbStore(std::move(names), std::move(pread), std::move(env), std::move(db), options));
  store->queues_ = std::move(queues);
  store->segment_refs_ = std::move(refs);
  store->next_segment_ = last_segment + 1;
  for (const auto& [client, session] : state.sessions) store->keys_[client].session = true;
  for (const auto& [client, subs] : state.subscriptions) {
    for (const auto& [filter, s] : subs) store->keys_[client].filters.insert(filter);
  }
  for (const auto& [client, ids] : state.incoming_qos2) {
    store->keys_[client].incoming.insert(ids.begin(), ids.end());
  }
  out.store = std::move(store);
  return out;
}

}  // namespace cairn::storage
