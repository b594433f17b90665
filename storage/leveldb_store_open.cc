// LeveldbStore::open: reads the store back (storage/FORMAT.md, "Opening").
#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

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
  // Per segment, its messages' footprints, and the messages themselves only
  // when every queue is read whole: a windowed open reads those it needs
  // again afterwards, so a large backlog is never in memory all at once.
  struct Segment {
    std::vector<std::uint32_t> footprints;
    std::vector<model::MessagePtr> messages;
  };
  std::map<std::uint64_t, Segment> segments;
  std::map<std::string, std::map<std::uint64_t, std::vector<record::ChunkEntry>>> chunks;
  std::map<std::string, record::Cursor> cursors;
  std::vector<std::string> damaged_keys;  // records that do not parse
};

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
  auto names = std::make_unique<DurableNamesEnv>(options.env != nullptr ? options.env
                                                                        : leveldb::Env::Default());
  auto env = std::make_unique<CompactionCountingEnv>(names.get());
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
  const bool keep_messages = options.queue_window == std::numeric_limits<std::size_t>::max();
  Loaded loaded;
  StoredState& state = out.state;
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
              Loaded::Segment& segment = loaded.segments[k->number];
              segment.footprints.reserve(s->size());
              for (const model::MessagePtr& m : *s) {
                segment.footprints.push_back(static_cast<std::uint32_t>(model::footprint(*m)));
              }
              if (keep_messages) segment.messages = std::move(*s);
            } else {
              ok = false;
            }
            break;
          case record::Space::kChunk:
            if (auto c = record::decode_chunk(value);
                c && !c->empty() && c->front().sequence == k->number) {
              loaded.chunks[k->client_id].emplace(k->number, std::move(*c));
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

  // --- queues: chunks minus cursors, each delivery resolved to its message ---
  std::unordered_map<std::uint64_t, std::uint32_t> refs;
  std::unordered_map<std::string, QueueIndex> queues;
  // A queued delivery and where its message is (segment, index).
  struct Located {
    StoredDelivery delivery;
    std::uint64_t segment = 0;
    std::uint32_t index = 0;
  };
  std::map<std::string, std::vector<Located>> windows;  // what is read into memory
  for (auto& [client, chunks] : loaded.chunks) {
    const bool has_session = state.sessions.contains(client);
    const record::Cursor no_cursor;
    auto c = loaded.cursors.find(client);
    const record::Cursor& cursor = c == loaded.cursors.end() ? no_cursor : c->second;
    if (!has_session) {
      for (const auto& [first, entries] : chunks) orphan(record::chunk_key(client, first));
      continue;
    }
    QueueIndex index;
    std::vector<Located> queue;
    for (auto& [first, entries] : chunks) {
      std::vector<bool> live(entries.size(), false);
      std::size_t live_count = 0;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const record::ChunkEntry& e = entries[i];
        if (cursor.is_acked(e.sequence)) continue;
        auto seg = loaded.segments.find(e.segment);
        if (seg == loaded.segments.end() || e.index >= seg->second.footprints.size()) {
          report.damage.push_back(fmt::format(
              "client '{}': queued delivery {} refers to a missing message (segment {}, index {})",
              client, e.sequence, e.segment, e.index));
          ++report.damaged_records;
          continue;  // a repair drops it: the rewritten cursor leaves it out
        }
        live[i] = true;
        ++live_count;
      }
      if (live_count == 0) {
        orphan(record::chunk_key(client, first));
        continue;
      }
      // A live chunk keeps its acknowledged sequences in the cursor: none
      // may be taken again by a new delivery.
      std::uint64_t& next = state.next_sequence[client];
      next = std::max(next, entries.back().sequence + 1);
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!live[i]) continue;
        const record::ChunkEntry& e = entries[i];
        ++refs[e.segment];
        Located l;
        l.segment = e.segment;
        l.index = e.index;
        StoredDelivery& d = l.delivery;
        d.sequence = e.sequence;
        d.qos = e.qos;
        d.retain = e.retain;
        d.subscription_ids = e.subscription_ids;
        if (const record::Cursor::Sent* sent = cursor.find_sent(e.sequence)) {
          d.packet_id = sent->packet_id;
          d.released = sent->released;
        }
        queue.push_back(std::move(l));
      }
      // The index holds the chunk whole; entries acknowledged (or dropped as
      // damaged) are acked in it so that its cursor says so.
      index.add_chunk(first, entries);
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!live[i]) index.ack(entries[i].sequence);
      }
    }
    if (queue.empty()) continue;
    for (const Located& l : queue) {
      if (l.delivery.packet_id != 0) {
        index.sent(l.delivery.sequence, l.delivery.packet_id, l.delivery.released);
      }
    }
    std::sort(queue.begin(), queue.end(), [](const Located& a, const Located& b) {
      return a.delivery.sequence < b.delivery.sequence;
    });
    report.queued += queue.size();
    report.released += static_cast<std::size_t>(std::count_if(
        queue.begin(), queue.end(), [](const Located& l) { return l.delivery.released; }));
    if (!(index.cursor() == cursor)) {
      fixes.Put(record::cursor_key(client), record::encode_cursor(index.cursor()));
    }
    // In flight and the window's first deliveries are read; the rest stays
    // on disk as the queue's tail (D7).
    std::vector<Located> window;
    std::size_t waiting = 0;
    StoredQueueTail tail;
    for (Located& l : queue) {
      if (l.delivery.packet_id == 0 && waiting++ >= options.queue_window) {
        if (tail.count++ == 0) tail.from = l.delivery.sequence;
        tail.bytes += loaded.segments[l.segment].footprints[l.index];
      } else {
        window.push_back(std::move(l));
      }
    }
    if (tail.count > 0) state.paged.emplace(client, tail);
    if (!window.empty()) windows.emplace(client, std::move(window));
    queues.emplace(client, std::move(index));
  }
  // The window's messages: from the segments kept, or read again.
  for (auto& [client, window] : windows) {
    std::vector<StoredDelivery>& out = state.queues[client];
    out.reserve(window.size());
    for (Located& l : window) {
      Loaded::Segment& segment = loaded.segments[l.segment];
      if (segment.messages.empty()) {
        std::string value;
        leveldb::ReadOptions read;
        read.verify_checksums = true;
        std::optional<std::vector<model::MessagePtr>> decoded;
        if (db->Get(read, record::segment_key(l.segment), &value).ok()) {
          decoded = record::decode_segment(value);
        }
        if (!decoded || decoded->size() != segment.footprints.size()) {
          report.damage.push_back(
              fmt::format("segment {} cannot be read again: it changed while opening", l.segment));
          continue;
        }
        segment.messages = std::move(*decoded);
      }
      l.delivery.message = segment.messages[l.index];
      out.push_back(std::move(l.delivery));
    }
  }
  windows.clear();
  for (const auto& [client, cursor] : loaded.cursors) {
    if (!queues.contains(client)) orphan(record::cursor_key(client));
  }
  std::uint64_t last_segment = 0;
  for (const auto& [id, segment] : loaded.segments) {
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
      new LeveldbStore(std::move(names), std::move(env), std::move(db), options));
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
