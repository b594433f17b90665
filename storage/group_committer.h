// GroupCommitter: the one thread that waits on the disk (DESIGN.md D5, §4).
//
// submit() queues a batch and returns at once. The committer thread takes
// every batch queued while the previous commit was syncing (up to
// Limits::max_batches_per_commit and max_bytes_per_commit) and hands them to its CommitSink as one
// group: one synced write for all of them. That is what makes a durable
// broker fast: latency is one sync when idle, throughput is syncs/s times the
// group size under load, with no timer.
//
// Completions run on the committer thread, in submission order, after the
// group is durable (D1). One exception: a deferrable batch (Batch::deferrable)
// that arrives when nothing else is waiting is held back for at most
// Limits::defer_for, and goes with the next group that has a batch someone
// waits for (or alone when that time is up, before any run_in_order task,
// and at close). Its completion may then run after those of batches
// submitted later. Under light load that takes the subscriber's PUBACK off
// the path of the next publish: one sync per message, not two. A failed commit latches the
// committer failed (D8): that group completes with StoreErrc::kIo, everything after it with
// StoreErrc::kFailed, and it never retries ("fsyncgate": after a failed sync
// the kernel may have dropped the dirty pages, so a retry can succeed over
// lost data).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/atomic_histogram.h"
#include "storage/durable_store.h"

namespace cairn::storage {

// Where a group goes: one atomic, synced write of all its batches.
class CommitSink {
 public:
  virtual ~CommitSink() = default;
  // REQUIRES: called from the committer thread only. Returns an error when
  // the group is not durable; none of it may then be acknowledged.
  virtual std::error_code commit(std::span<Batch> group) = 0;
};

class GroupCommitter final : public DurableStore {
 public:
  struct Limits {
    // Batches in one commit: bounds the latency a large backlog adds to the
    // batches behind it, and the size of one write.
    std::size_t max_batches_per_commit = 4096;
    // Past this many queued batches, congested() is true: the network
    // threads stop reading from their clients until it drains (TCP
    // backpressure), since submit() itself never blocks (D5).
    std::size_t congestion_threshold = 65'536;
    // How long a deferrable batch may wait for company; zero commits it at
    // once like any other.
    std::chrono::microseconds defer_for{5'000};
    // Bytes in one commit (messages by their footprint, other records by a
    // flat estimate): bounds the write, the segment it becomes and the
    // memory a group holds, far below LevelDB's 4 GiB record limit. A batch
    // larger than this alone still commits, alone.
    std::uint64_t max_bytes_per_commit = 64ULL << 20;
  };

  // What an operator graphs (issue 7 exports it). Relaxed counters.
  struct Stats {
    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> operations{0};
    std::atomic<std::uint64_t> largest_group{0};
    std::atomic<std::uint64_t> commit_nanoseconds{0};  // sum over commits
    std::atomic<std::uint64_t> deferred_batches{0};    // held back for company
    // Per batch: submitted to durable (what a publisher waits for its PUBACK).
    base::AtomicHistogram commit_lag_ns{base::latency_bounds_ns()};
    // Per commit: the sink's synced write, and the operations it carried.
    base::AtomicHistogram sync_ns{base::latency_bounds_ns()};
    base::AtomicHistogram operations_per_commit{base::AtomicHistogram::exponential(1, 2, 17)};
  };

  // REQUIRES: `sink` outlives the committer.
  GroupCommitter(CommitSink& sink, Limits limits);
  explicit GroupCommitter(CommitSink& sink) : GroupCommitter(sink, Limits{}) {}
  ~GroupCommitter() override;
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void submit(Batch batch, Completion done) override;
  // Runs `task` on the committer thread after every batch submitted before
  // it has completed and before any submitted after it is committed: a read
  // that must see the commits before it (LeveldbStore::load). The argument is
  // StoreErrc::kFailed once the committer has failed, kClosed after close().
  // REQUIRES: `task` does not block on the disk for long; it delays commits.
  void run_in_order(std::function<void(std::error_code)> task);
  bool failed() const noexcept override { return failed_.load(std::memory_order_acquire); }
  void close() override;

  // Batches waiting for a commit. Lock-free: every network thread asks
  // before each read.
  std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  bool congested() const noexcept override { return queued() >= limits_.congestion_threshold; }
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct Pending {
    Batch batch;
    Completion done;
    std::function<void(std::error_code)> task;  // set: a task, not a batch
    std::chrono::steady_clock::time_point submitted;
    std::uint64_t bytes = 0;  // batch_bytes(batch), counted at submit
  };

  void run();
  // Takes `group` (batches, no task): holds it back when every batch in it is
  // deferrable or empty, else commits it together with what was held back.
  void commit_or_defer(std::vector<Pending>& group, bool closing);
  void commit_deferred();
  void commit_group(std::vector<Pending>& group);

  CommitSink& sink_;
  const Limits limits_;
  Stats stats_;
  std::atomic<bool> failed_{false};

  // Committer thread only: deferrable batches held back, and until when.
  std::vector<Pending> deferred_;
  std::chrono::steady_clock::time_point deferred_until_{};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;           // guarded by mutex_
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the lock
  bool closing_ = false;                // guarded by mutex_

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace cairn::storage
