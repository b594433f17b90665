#include "storage/group_committer.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <variant>

#include "model/message.h"

namespace cairn::storage {
namespace {

// What a batch weighs in a commit: its messages' footprints, and a flat
// estimate for each record (keys and small values).
std::uint64_t batch_bytes(const Batch& batch) {
  constexpr std::uint64_t kRecord = 64;
  std::uint64_t bytes = 0;
  for (const Operation& op : batch.operations) {
    bytes += kRecord;
    if (const auto* m = std::get_if<PutMessage>(&op); m && m->message) {
      bytes += model::footprint(*m->message);
    } else if (const auto* r = std::get_if<PutRetained>(&op); r && r->message) {
      bytes += model::footprint(*r->message);
    } else if (const auto* s = std::get_if<PutSession>(&op); s && s->will) {
      bytes += model::footprint(*s->will);
    }
  }
  return bytes;
}

}  // namespace

GroupCommitter::GroupCommitter(CommitSink& sink, Limits limits)
    : sink_(sink), limits_(limits), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() { close(); }

void GroupCommitter::submit(Batch batch, Completion done) {
  const std::uint64_t bytes = batch_bytes(batch);
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(
          Pending{std::move(batch), std::move(done), {}, std::chrono::steady_clock::now(), bytes});
      queued_.store(queue_.size(), std::memory_order_relaxed);
      // One wake-up per group at most: the thread is either syncing (it
      // takes this batch with the next group) or waiting for the first one.
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  done(StoreErrc::kClosed);  // after close(): refused, on the caller's thread
}

void GroupCommitter::run_in_order(std::function<void(std::error_code)> task) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(Pending{{}, {}, std::move(task), {}});
      queued_.store(queue_.size(), std::memory_order_relaxed);
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  task(StoreErrc::kClosed);
}

void GroupCommitter::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void GroupCommitter::run() {
  std::vector<Pending> group;
  for (;;) {
    std::function<void(std::error_code)> task;
    bool closing = false;
    {
      std::unique_lock lock(mutex_);
      const auto ready = [&] { return closing_ || !queue_.empty(); };
      if (deferred_.empty()) {
        wake_.wait(lock, ready);
      } else {
        wake_.wait_until(lock, deferred_until_, ready);
      }
      closing = closing_;
      group.clear();
      if (queue_.empty()) {
        if (deferred_.empty()) return;  // closing, and everything completed
        // Held back long enough, or closing: committed alone, below.
      } else if (queue_.front().task) {
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        // A group ends before the next task: the task sees it completed.
        const std::size_t n = std::min(queue_.size(), limits_.max_batches_per_commit);
        std::uint64_t bytes = 0;
        for (std::size_t i = 0; i < n && !queue_.front().task; ++i) {
          bytes += queue_.front().bytes;
          if (!group.empty() && bytes > limits_.max_bytes_per_commit) break;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      queued_.store(queue_.size(), std::memory_order_relaxed);
    }
    if (task) {
      commit_deferred();  // a task sees everything submitted before it committed
      task(failed() ? std::error_code(StoreErrc::kFailed) : std::error_code{});
    } else if (group.empty()) {
      commit_deferred();
    } else {
      commit_or_defer(group, closing);
    }
  }
}

void GroupCommitter::commit_or_defer(std::vector<Pending>& group, bool closing) {
  const bool deferrable = std::all_of(group.begin(), group.end(), [](const Pending& p) {
    return p.batch.deferrable || p.batch.empty();
  });
  const bool room = deferred_.size() + group.size() <= limits_.max_batches_per_commit;
  if (deferrable && room && !closing && limits_.defer_for.count() > 0 && !failed()) {
    // Empty batches need no write: they complete now, ahead of the held-back
    // ones (whose completions nobody waits for).
    std::vector<Pending> empty;
    for (Pending& p : group) {
      if (p.batch.empty()) {
        empty.push_back(std::move(p));
      } else {
        if (deferred_.empty())
          deferred_until_ = std::chrono::steady_clock::now() + limits_.defer_for;
        deferred_.push_back(std::move(p));
        stats_.deferred_batches.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (!empty.empty()) commit_group(empty);
    return;
  }
  if (!deferred_.empty() && room) {
    // One write for both: what was held back goes first, in submission order.
    group.insert(group.begin(), std::make_move_iterator(deferred_.begin()),
                 std::make_move_iterator(deferred_.end()));
    deferred_.clear();
  } else {
    commit_deferred();
  }
  commit_group(group);
}

void GroupCommitter::commit_deferred() {
  if (deferred_.empty()) return;
  std::vector<Pending> group = std::move(deferred_);
  deferred_.clear();
  commit_group(group);
}

void GroupCommitter::commit_group(std::vector<Pending>& group) {
  std::error_code result;
  std::vector<Batch> batches;  // the group's, moved out for the sink
  if (failed()) {
    result = StoreErrc::kFailed;  // D8: latched; nothing after a failure commits
  } else {
    // Batches with no operation need no write, but still complete in order.
    batches.reserve(group.size());
    std::size_t operations = 0;
    for (Pending& p : group) {
      operations += p.batch.operations.size();
      batches.push_back(std::move(p.batch));
    }
    if (operations > 0) {
      const auto started = std::chrono::steady_clock::now();
      result = sink_.commit(batches);
      const auto took =
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count());
      stats_.commit_nanoseconds.fetch_add(took, std::memory_order_relaxed);
      stats_.sync_ns.observe(took);
      stats_.operations_per_commit.observe(operations);
      stats_.commits.fetch_add(1, std::memory_order_relaxed);
      stats_.operations.fetch_add(operations, std::memory_order_relaxed);
    }
    if (result) {
      failed_.store(true, std::memory_order_release);
      result = StoreErrc::kIo;
    } else {
      stats_.batches.fetch_add(group.size(), std::memory_order_relaxed);
      if (group.size() > stats_.largest_group.load(std::memory_order_relaxed)) {
        stats_.largest_group.store(group.size(), std::memory_order_relaxed);
      }
    }
  }
  const auto durable = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < group.size(); ++i) {
    // Written batches only; held-back ones are left out: their wait is
    // chosen, not suffered.
    if (!result && !batches[i].empty() && !batches[i].deferrable) {
      stats_.commit_lag_ns.observe(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(durable - group[i].submitted)
              .count()));
    }
    if (group[i].done) group[i].done(result);
  }
}

}  // namespace cairn::storage
