#include "recovery/recovery.h"

#include <filesystem>
#include <ostream>

#include <spdlog/fmt/fmt.h>

namespace cairn::recovery {
namespace {

std::size_t count_inflight(const storage::StoredState& state) {
  std::size_t n = 0;
  for (const auto& [client, queue] : state.queues) {
    for (const storage::StoredDelivery& d : queue) n += d.packet_id != 0 ? 1 : 0;
  }
  return n;
}

void print_counts(const storage::LoadReport& r, std::ostream& out) {
  out << fmt::format(
      "sessions: {}\nsubscriptions: {}\nretained messages: {}\nqueued deliveries: {} ({} with "
      "PUBREL next)\nincoming QoS 2 awaiting PUBREL: {}\nmessage segments: {}\nbytes read: {}\n",
      r.sessions, r.subscriptions, r.retained, r.queued, r.released, r.incoming_qos2, r.segments,
      r.bytes_read);
}

bool exists(const std::string& dir, std::ostream& out) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) return true;
  out << "no store in " << dir << " (data_dir)\n";
  return false;
}

}  // namespace

std::string RecoveryReport::summary() const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  return fmt::format(
      "recovered {} sessions, {} subscriptions, {} retained messages, {} queued deliveries "
      "({} in flight, {} left on disk), {} incoming QoS 2 awaiting PUBREL; {} orphan records "
      "removed; {} bytes read in {} ms",
      load.sessions, load.subscriptions, load.retained, load.queued, inflight, on_disk,
      load.incoming_qos2, load.orphans, load.bytes_read, ms);
}

Recovered recover(const storage::LeveldbStore::Options& options) {
  const auto started = std::chrono::steady_clock::now();
  storage::LeveldbStore::Opened opened = storage::LeveldbStore::open(options);
  Recovered out;
  out.store = std::move(opened.store);
  out.error = std::move(opened.error);
  out.report.load = std::move(opened.report);
  out.report.inflight = count_inflight(opened.state);
  for (const auto& [client, tail] : opened.state.paged) out.report.on_disk += tail.count;
  out.state = std::move(opened.state);
  out.report.duration = std::chrono::steady_clock::now() - started;
  return out;
}

int check_store(const std::string& data_dir, std::ostream& out) {
  if (!exists(data_dir, out)) return 1;
  storage::LeveldbStore::Options options;
  options.directory = data_dir;
  options.mode = storage::LeveldbStore::Mode::kCheck;
  options.queue_window = 0;  // counted and checked, not read into memory
  const storage::LeveldbStore::Opened opened = storage::LeveldbStore::open(options);
  if (!opened.error.empty()) {
    out << opened.error << '\n';
    return 1;
  }
  out << "store " << data_dir << '\n';
  print_counts(opened.report, out);
  if (opened.report.orphans > 0) {
    out << "orphan records (harmless; removed at the next start): " << opened.report.orphans
        << '\n';
  }
  if (opened.report.damage.empty()) {
    out << "consistent\n";
    return 0;
  }
  out << "damaged: " << opened.report.damage.size() << " problem(s)\n";
  for (const std::string& d : opened.report.damage) out << "  " << d << '\n';
  out << "`cairn repair --data-dir " << data_dir << "` drops what cannot be read\n";
  return 1;
}

int repair_store(const std::string& data_dir, std::ostream& out) {
  if (!exists(data_dir, out)) return 1;
  storage::LeveldbStore::Options options;
  options.directory = data_dir;
  options.mode = storage::LeveldbStore::Mode::kRepair;
  options.queue_window = 0;  // counted and checked, not read into memory
  storage::LeveldbStore::Opened opened = storage::LeveldbStore::open(options);
  if (!opened.error.empty()) {
    out << opened.error << '\n';
    return 1;
  }
  opened.store.reset();  // closes it: what the repair wrote is synced
  const storage::LoadReport& r = opened.report;
  for (const std::string& d : r.damage) out << "dropped: " << d << '\n';
  out << fmt::format("repaired {}: {} damaged record(s) dropped, {} orphan record(s) removed\n",
                     data_dir, r.damaged_records, r.orphans);
  out << "kept:\n";
  print_counts(r, out);
  return 0;
}

}  // namespace cairn::recovery
