#include "storage/group_committer.h"

#include <algorithm>
#include <chrono>

namespace cairn::storage {

GroupCommitter::GroupCommitter(CommitSink& sink, Limits limits)
    : sink_(sink), limits_(limits), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() { close(); }

void GroupCommitter::submit(Batch batch, Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.push_back(Pending{std::move(batch), std::move(done), {}});
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
      queue_.push_back(Pending{{}, {}, std::move(task)});
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
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything completed
      group.clear();
      if (queue_.front().task) {
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        // A group ends before the next task: the task sees it completed.
        const std::size_t n = std::min(queue_.size(), limits_.max_batches_per_commit);
        for (std::size_t i = 0; i < n && !queue_.front().task; ++i) {
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      queued_.store(queue_.size(), std::memory_order_relaxed);
    }
    if (task) {
      task(failed() ? std::error_code(StoreErrc::kFailed) : std::error_code{});
    } else {
      commit_group(group);
    }
  }
}

void GroupCommitter::commit_group(std::vector<Pending>& group) {
  std::error_code result;
  if (failed()) {
    result = StoreErrc::kFailed;  // D8: latched; nothing after a failure commits
  } else {
    // Batches with no operation need no write, but still complete in order.
    std::vector<Batch> batches;
    batches.reserve(group.size());
    std::size_t operations = 0;
    for (Pending& p : group) {
      operations += p.batch.operations.size();
      batches.push_back(std::move(p.batch));
    }
    if (operations > 0) {
      const auto started = std::chrono::steady_clock::now();
      result = sink_.commit(batches);
      const auto took = std::chrono::steady_clock::now() - started;
      stats_.commit_nanoseconds.fetch_add(
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
          std::memory_order_relaxed);
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
  for (Pending& p : group) {
    if (p.done) p.done(result);
  }
}

}  // namespace cairn::storage
