// LeveldbStore: the durable store, on LevelDB (DESIGN.md §5, storage/FORMAT.md).
//
// Every group the GroupCommitter hands it becomes one leveldb::WriteBatch,
// written with sync = true: the group's messages packed into one segment
// record, one queue chunk per session it adds to, one cursor per session
// whose acknowledgements it carries. A write that fails latches the store
// failed for good (D8): LevelDB itself latches only on a failed sync, and
// writing on after a failed append can corrupt its log.
//
// open() reads the whole store back as a StoredState (what recovery loads
// into the broker) and rebuilds the index the commits need, without reading
// a queued message twice and without a per-message write.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/atomic_histogram.h"
#include "storage/compaction_counting_env.h"
#include "storage/durable_names_env.h"
#include "storage/durable_store.h"
#include "storage/free_space_guard.h"
#include "storage/group_committer.h"
#include "storage/pread_env.h"
#include "storage/queue_index.h"
#include "storage/stored_state.h"

namespace leveldb {
class DB;
class Env;
}  // namespace leveldb

namespace cairn::storage {

// What open() found, for the recovery report and `cairn check`.
struct LoadReport {
  std::size_t sessions = 0;
  std::size_t subscriptions = 0;
  std::size_t retained = 0;
  std::size_t queued = 0;    // deliveries not yet acknowledged
  std::size_t released = 0;  // of which QoS 2 with PUBREL next
  std::size_t incoming_qos2 = 0;
  std::size_t segments = 0;
  std::uint64_t bytes_read = 0;
  // Records nothing refers to any more (unreferenced segments, fully
  // acknowledged chunks, records of a session that has none): harmless,
  // deleted at open unless checking.
  std::size_t orphans = 0;
  // Records that cannot be read, or deliveries whose message is missing:
  // acknowledged data would be lost, so a normal open refuses and names them.
  std::vector<std::string> damage;
  std::size_t damaged_records = 0;  // dropped by a repair
};

class LeveldbStore final : public DurableStore, private CommitSink {
 public:
  enum class Mode {
    kOpen,    // create if missing; refuse a damaged store; delete orphans
    kCheck,   // read only: report orphans and damage, change nothing
    kRepair,  // LevelDB's RepairDB, then drop what cannot be read
  };
  struct Options {
    std::string directory;
    Mode mode = Mode::kOpen;
    leveldb::Env* env = nullptr;  // tests: a PowerLossEnv; nullptr: the default
    GroupCommitter::Limits committer;
    // Free space to keep on the data volume (FreeSpaceGuard); 0: no check.
    std::uint64_t min_free_bytes = 0;
    FreeSpaceGuard::Probe free_space_probe = &FreeSpaceGuard::statvfs_probe;
    // Deliveries per queue that open() reads into StoredState::queues besides
    // those in flight; the rest stay on disk, described by
    // StoredState::paged, for load() to read as the client takes them (D7).
    // The default reads every queue whole.
    std::size_t queue_window = std::numeric_limits<std::size_t>::max();
    // Bytes of decoded segments load() keeps for the next sessions reading
    // the same backlog (the newest segment read stays, whatever its size).
    std::uint64_t segment_cache_bytes = 64ULL << 20;
  };
  struct Opened {
    std::unique_ptr<LeveldbStore> store;  // null on error
    StoredState state;
    LoadReport report;
    std::string error;  // why it could not open, naming the fix
  };

  static Opened open(const Options& options);

  ~LeveldbStore() override;
  LeveldbStore(const LeveldbStore&) = delete;
  LeveldbStore& operator=(const LeveldbStore&) = delete;

  void submit(Batch batch, Completion done) override;
  bool can_load() const noexcept override { return true; }
  void load(LoadRequest request, LoadCompletion done) override;
  bool failed() const noexcept override { return committer_.failed(); }
  bool space_low() const noexcept override { return space_.low(); }
  bool congested() const noexcept override { return committer_.congested(); }
  void close() override;

  // Reads the free space again (at most every 100 ms). The committer does it
  // before its commits; the housekeeping tick calls it too, so that refused
  // publishers learn that space returned while nothing commits.
  void refresh_space() { space_.refresh(); }
  const FreeSpaceGuard& free_space() const noexcept { return space_; }

  const GroupCommitter& committer() const noexcept { return committer_; }

  // For the metrics; callable from any thread.
  struct DiskUsage {
    std::uint64_t total_bytes = 0;               // every file in the directory
    std::array<std::uint64_t, 7> level_bytes{};  // LevelDB's table files per level
  };
  DiskUsage disk_usage() const;
  std::uint64_t compactions() const noexcept { return env_->compactions(); }
  const base::AtomicHistogram& commit_bytes() const noexcept { return commit_bytes_; }
  // Bytes of decoded segments cached for load() (Options::segment_cache_bytes).
  std::uint64_t cached_segment_bytes() const noexcept {
    return segment_cache_bytes_.load(std::memory_order_relaxed);
  }

 private:
  struct ClientKeys {
    std::set<std::string> filters;
    std::set<std::uint16_t> incoming;
    bool session = false;
  };

  LeveldbStore(std::unique_ptr<DurableNamesEnv> names, std::unique_ptr<PreadEnv> pread,
               std::unique_ptr<CompactionCountingEnv> env, std::unique_ptr<leveldb::DB> db,
               const Options& options);
  std::error_code commit(std::span<Batch> group) override;
  // Drops `count` references to a segment; true when nothing refers to it
  // any more.
  bool unref(std::uint64_t segment, std::size_t count = 1);
  // load() on the committer thread.
  std::error_code read_queue(const LoadRequest& request, std::vector<StoredDelivery>& out);
  // A segment's messages, from the cache or the disk; null when unreadable.
  std::shared_ptr<const std::vector<model::MessagePtr>> read_segment(std::uint64_t segment);
  void forget_segment(std::uint64_t segment);

  const std::string directory_;
  // The Env layers, each under the next, so each outlives those above it.
  std::unique_ptr<DurableNamesEnv> names_;
  std::unique_ptr<PreadEnv> pread_;
  std::unique_ptr<CompactionCountingEnv> env_;  // before db_: outlives it
  std::unique_ptr<leveldb::DB> db_;
  FreeSpaceGuard space_;
  // Bytes of each synced write (the WriteBatch).
  base::AtomicHistogram commit_bytes_{base::AtomicHistogram::exponential(256, 4, 9)};

  // --- the index, touched only by the committer thread (after open) ---
  std::unordered_map<std::string, QueueIndex> queues_;
  std::unordered_map<std::string, ClientKeys> keys_;
  std::unordered_map<std::uint64_t, std::uint32_t> segment_refs_;
  std::uint64_t next_segment_ = 1;
  // Segments load() decoded lately: a backlog fanned out to many sessions is
  // read and decoded once, not once per session, and its sessions share the
  // message objects. Bounded in bytes (their footprints).
  std::unordered_map<std::uint64_t, std::shared_ptr<const std::vector<model::MessagePtr>>>
      segment_cache_;
  std::deque<std::uint64_t> segment_cache_order_;  // oldest first
  const std::uint64_t segment_cache_limit_;
  std::atomic<std::uint64_t> segment_cache_bytes_{0};  // written by the committer thread only

  GroupCommitter committer_;  // last: its thread uses everything above
};

}  // namespace cairn::storage
