// GroupCommitter: everything queued during a commit becomes the next group
// (one sink call, one sync), completions run in submission order on the
// committer's thread after their group committed (D1, D5), a failed commit
// latches the committer failed and nothing after it commits (D8). A
// deferrable batch waits for the next group, for its time limit, for a task
// or for close, and never holds anything else back.
#include "storage/group_committer.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

using namespace std::chrono_literals;

Batch batch_with(std::uint16_t packet_id) {
  Batch b;
  b.operations.push_back(PutIncomingQos2{"c", packet_id});
  return b;
}

// A deferrable batch: an acknowledged delivery's removal, numbered `id`.
Batch removal(std::uint16_t id) {
  Batch b;
  b.operations.push_back(RemoveDelivery{"c", id});
  b.deferrable = true;
  return b;
}

std::uint16_t packet_id_of(const Batch& b) {
  if (const auto* removal = std::get_if<RemoveDelivery>(&b.operations.front())) {
    return static_cast<std::uint16_t>(removal->sequence);
  }
  return std::get<PutIncomingQos2>(b.operations.front()).packet_id;
}

// A sink whose commits the test holds and releases, and which records every
// group and the thread it ran on.
class GatedSink : public CommitSink {
 public:
  std::error_code commit(std::span<Batch> group) override {
    std::unique_lock lock(mutex_);
    std::vector<std::uint16_t> ids;
    for (const Batch& b : group) ids.push_back(packet_id_of(b));
    groups_.push_back(ids);
    thread_ = std::this_thread::get_id();
    entered_.notify_all();
    released_.wait(lock, [&] { return open_ || gates_ > 0; });
    if (!open_) --gates_;
    if (fail_next_) {
      fail_next_ = false;
      return std::make_error_code(std::errc::io_error);
    }
    return {};
  }

  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    released_.notify_all();
  }
  void release_one() {
    std::lock_guard lock(mutex_);
    ++gates_;
    released_.notify_all();
  }
  void fail_next() {
    std::lock_guard lock(mutex_);
    fail_next_ = true;
  }
  void wait_for_groups(std::size_t n) {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(entered_.wait_for(lock, 5s, [&] { return groups_.size() >= n; }));
  }
  std::vector<std::vector<std::uint16_t>> groups() {
    std::lock_guard lock(mutex_);
    return groups_;
  }
  std::thread::id thread() {
    std::lock_guard lock(mutex_);
    return thread_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable released_;
  std::vector<std::vector<std::uint16_t>> groups_;
  std::thread::id thread_;
  bool open_ = false;
  int gates_ = 0;
  bool fail_next_ = false;
};

// Completions, in the order they ran.
struct Completions {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<std::pair<std::uint16_t, std::error_code>> results;
  std::vector<std::thread::id> threads;

  DurableStore::Completion make(std::uint16_t id) {
    return [this, id](std::error_code ec) {
      std::lock_guard lock(mutex);
      results.emplace_back(id, ec);
      threads.push_back(std::this_thread::get_id());
      done.notify_all();
    };
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(done.wait_for(lock, 5s, [&] { return results.size() >= n; }));
  }
};

TEST(GroupCommitter, WhatArrivesDuringACommitIsTheNextGroup) {
  GatedSink sink;
  Completions completions;
  GroupCommitter committer(sink);
  committer.submit(batch_with(1), completions.make(1));
  sink.wait_for_groups(1);  // the first commit is "syncing"
  for (std::uint16_t id = 2; id <= 5; ++id) committer.submit(batch_with(id), completions.make(id));
  EXPECT_EQ(committer.queued(), 4u);
  {
    std::lock_guard lock(completions.mutex);
    EXPECT_TRUE(completions.results.empty()) << "completed before its commit (D1)";
  }
  sink.open();
  completions.wait_for(5);
  EXPECT_EQ(sink.groups(), (std::vector<std::vector<std::uint16_t>>{{1}, {2, 3, 4, 5}}));
  EXPECT_EQ(committer.stats().commits.load(), 2u);
  EXPECT_EQ(committer.stats().batches.load(), 5u);
  EXPECT_EQ(committer.stats().largest_group.load(), 4u);
}

TEST(GroupCommitter, CompletesInSubmissionOrderOnItsOwnThread) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink);
  for (std::uint16_t id = 1; id <= 200; ++id)
    committer.submit(batch_with(id), completions.make(id));
  completions.wait_for(200);
  std::lock_guard lock(completions.mutex);
  for (std::size_t i = 0; i < completions.results.size(); ++i) {
    EXPECT_EQ(completions.results[i].first, i + 1);
    EXPECT_FALSE(completions.results[i].second);
    EXPECT_EQ(completions.threads[i], sink.thread());
    EXPECT_NE(completions.threads[i], std::this_thread::get_id());
  }
}

TEST(GroupCommitter, GroupsAreBoundedInSize) {
  GatedSink sink;
  Completions completions;
  GroupCommitter committer(sink, GroupCommitter::Limits{3, 100});
  committer.submit(batch_with(1), completions.make(1));
  sink.wait_for_groups(1);
  for (std::uint16_t id = 2; id <= 8; ++id) committer.submit(batch_with(id), completions.make(id));
  sink.open();
  completions.wait_for(8);
  EXPECT_EQ(sink.groups(),
            (std::vector<std::vector<std::uint16_t>>{{1}, {2, 3, 4}, {5, 6, 7}, {8}}));
}

// Issue 17, item 4: a group is bounded in bytes too, so one commit (and the
// segment it writes, and what it holds in memory) stays far below LevelDB's
// record limit however large the messages queued behind a slow sync.
TEST(GroupCommitter, GroupsAreBoundedInBytes) {
  const auto large = [](std::uint16_t id) {
    Batch b = batch_with(id);
    auto m = std::make_shared<model::Message>();
    m->topic = "t";
    m->payload = std::string(1 << 20, 'x');  // 1 MiB
    b.operations.push_back(PutMessage{id, m});
    return b;
  };
  GatedSink sink;
  Completions completions;
  GroupCommitter::Limits limits;
  limits.max_bytes_per_commit = 3ULL << 20;  // room for two of them, not three
  GroupCommitter committer(sink, limits);
  committer.submit(large(1), completions.make(1));
  sink.wait_for_groups(1);
  for (std::uint16_t id = 2; id <= 6; ++id) committer.submit(large(id), completions.make(id));
  committer.submit(batch_with(7), completions.make(7));
  sink.open();
  completions.wait_for(7);
  EXPECT_EQ(sink.groups(), (std::vector<std::vector<std::uint16_t>>{{1}, {2, 3}, {4, 5}, {6, 7}}));
}

TEST(GroupCommitter, ABatchLargerThanTheByteBoundCommitsAlone) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter::Limits limits;
  limits.max_bytes_per_commit = 1024;
  GroupCommitter committer(sink, limits);
  Batch big = batch_with(1);
  auto m = std::make_shared<model::Message>();
  m->payload = std::string(4096, 'x');
  big.operations.push_back(PutMessage{1, m});
  committer.submit(std::move(big), completions.make(1));
  completions.wait_for(1);
  std::lock_guard lock(completions.mutex);
  EXPECT_FALSE(completions.results[0].second);
}

TEST(GroupCommitter, AFailedCommitLatchesAndNothingAfterItCommits) {
  // D8: the failed group completes with kIo, later ones with kFailed, and the
  // sink is never called again (no retry after a failed sync).
  GatedSink sink;
  Completions completions;
  GroupCommitter committer(sink);
  committer.submit(batch_with(1), completions.make(1));
  sink.wait_for_groups(1);
  committer.submit(batch_with(2), completions.make(2));
  sink.fail_next();
  sink.release_one();  // batch 1 fails
  completions.wait_for(2);
  committer.submit(batch_with(3), completions.make(3));
  completions.wait_for(3);
  EXPECT_TRUE(committer.failed());
  std::lock_guard lock(completions.mutex);
  EXPECT_EQ(completions.results[0].second, make_error_code(StoreErrc::kIo));
  EXPECT_EQ(completions.results[1].second, make_error_code(StoreErrc::kFailed));
  EXPECT_EQ(completions.results[2].second, make_error_code(StoreErrc::kFailed));
  EXPECT_EQ(sink.groups().size(), 1u);
}

TEST(GroupCommitter, EmptyBatchesCompleteInOrderWithoutAWrite) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink);
  committer.submit(Batch{}, completions.make(1));
  completions.wait_for(1);
  EXPECT_TRUE(sink.groups().empty());
  EXPECT_EQ(committer.stats().commits.load(), 0u);
}

TEST(GroupCommitter, CloseCompletesEverythingSubmittedThenRefuses) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink);
  for (std::uint16_t id = 1; id <= 50; ++id) committer.submit(batch_with(id), completions.make(id));
  committer.close();
  {
    std::lock_guard lock(completions.mutex);
    ASSERT_EQ(completions.results.size(), 50u);
  }
  committer.submit(batch_with(51), completions.make(51));
  std::lock_guard lock(completions.mutex);
  ASSERT_EQ(completions.results.size(), 51u);
  EXPECT_EQ(completions.results.back().second, make_error_code(StoreErrc::kClosed));
}

TEST(GroupCommitter, CongestedPastItsThreshold) {
  GatedSink sink;
  Completions completions;
  GroupCommitter committer(sink, GroupCommitter::Limits{4096, 3});
  committer.submit(batch_with(1), completions.make(1));
  sink.wait_for_groups(1);
  EXPECT_FALSE(committer.congested());
  for (std::uint16_t id = 2; id <= 4; ++id) committer.submit(batch_with(id), completions.make(id));
  EXPECT_TRUE(committer.congested());
  sink.open();
  completions.wait_for(4);
  EXPECT_FALSE(committer.congested());
}

GroupCommitter::Limits deferring_for(std::chrono::microseconds d) {
  GroupCommitter::Limits limits;
  limits.defer_for = d;
  return limits;
}

TEST(GroupCommitter, ADeferrableBatchRidesWithTheNextGroup) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(std::chrono::seconds(60)));
  committer.submit(removal(1), completions.make(1));
  // Held back: no write of its own (nothing can prove a never, so a while).
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(sink.groups().empty());
  EXPECT_EQ(committer.stats().deferred_batches.load(), 1u);
  committer.submit(batch_with(2), completions.make(2));
  completions.wait_for(2);
  EXPECT_EQ(sink.groups(), (std::vector<std::vector<std::uint16_t>>{{1, 2}}));
  std::lock_guard lock(completions.mutex);
  EXPECT_EQ(completions.results[0], std::make_pair(std::uint16_t{1}, std::error_code{}));
  EXPECT_EQ(completions.results[1], std::make_pair(std::uint16_t{2}, std::error_code{}));
}

TEST(GroupCommitter, ADeferrableBatchIsCommittedAloneWhenItsTimeIsUp) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(2ms));
  committer.submit(removal(1), completions.make(1));
  committer.submit(removal(2), completions.make(2));
  completions.wait_for(2);
  std::size_t written = 0;
  for (const auto& group : sink.groups()) written += group.size();
  EXPECT_EQ(written, 2u);
}

TEST(GroupCommitter, ATaskSeesWhatWasHeldBackCommitted) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(std::chrono::seconds(60)));
  committer.submit(removal(1), completions.make(1));
  std::vector<std::vector<std::uint16_t>> seen;
  std::promise<void> ran;
  committer.run_in_order([&](std::error_code) {
    seen = sink.groups();
    ran.set_value();
  });
  ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(seen, (std::vector<std::vector<std::uint16_t>>{{1}}));
}

TEST(GroupCommitter, CloseCommitsWhatWasHeldBack) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(std::chrono::seconds(60)));
  committer.submit(removal(1), completions.make(1));
  committer.close();
  EXPECT_EQ(sink.groups(), (std::vector<std::vector<std::uint16_t>>{{1}}));
  std::lock_guard lock(completions.mutex);
  ASSERT_EQ(completions.results.size(), 1u);
  EXPECT_FALSE(completions.results[0].second);
}

TEST(GroupCommitter, NothingWaitsBehindAHeldBackBatch) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(std::chrono::seconds(60)));
  committer.submit(removal(1), completions.make(1));
  committer.submit(Batch{}, completions.make(2));  // needs no write: completes now
  completions.wait_for(1);
  {
    std::lock_guard lock(completions.mutex);
    EXPECT_EQ(completions.results[0].first, 2u);
  }
  EXPECT_TRUE(sink.groups().empty());
  committer.close();
}

TEST(GroupCommitter, WithoutADelayADeferrableBatchCommitsAtOnce) {
  GatedSink sink;
  sink.open();
  Completions completions;
  GroupCommitter committer(sink, deferring_for(std::chrono::microseconds(0)));
  committer.submit(removal(1), completions.make(1));
  completions.wait_for(1);
  EXPECT_EQ(sink.groups(), (std::vector<std::vector<std::uint16_t>>{{1}}));
  EXPECT_EQ(committer.stats().deferred_batches.load(), 0u);
}

}  // namespace
}  // namespace cairn::storage
