// What the store tells the metrics: the committer's histograms (commit lag,
// sync time, operations per commit), the bytes of each synced write, LevelDB's
// compactions and the store's size on disk, in total and per level.
#include <chrono>
#include <future>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "storage/leveldb_store.h"
#include "support/temp_dir.h"

namespace cairn::storage {
namespace {

std::error_code commit(DurableStore& store, Batch batch) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  store.submit(std::move(batch), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

LeveldbStore::Opened open(const std::string& dir) {
  LeveldbStore::Options options;
  options.directory = dir;
  return LeveldbStore::open(options);
}

// A batch storing one message of `bytes` queued for `client`.
Batch message_batch(MessageId id, const std::string& client, std::size_t bytes) {
  auto m = std::make_shared<model::Message>();
  m->topic = "t";
  // Random bytes: LevelDB compresses its tables, and a repeated byte would
  // leave nearly nothing on disk.
  static std::mt19937 random(7);
  m->payload.resize(bytes);
  for (char& c : m->payload) c = static_cast<char>(random());
  m->qos = model::QoS::kAtLeastOnce;
  Batch b;
  b.operations.push_back(PutMessage{id, m});
  b.operations.push_back(PutDelivery{client, id, id, model::QoS::kAtLeastOnce, false, {}});
  return b;
}

TEST(StoreProbes, EachCommitIsCountedInTheCommitterHistograms) {
  test::TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  LeveldbStore& store = *opened.store;
  for (MessageId id = 1; id <= 3; ++id) ASSERT_FALSE(commit(store, message_batch(id, "s", 100)));
  Batch ack;
  ack.operations.push_back(RemoveDelivery{"s", 1});
  ack.deferrable = true;
  ASSERT_FALSE(commit(store, std::move(ack)));  // waits for company, then alone

  const GroupCommitter::Stats& s = store.committer().stats();
  EXPECT_EQ(s.commits.load(), 4u);
  EXPECT_EQ(s.sync_ns.snapshot().count, 4u);
  EXPECT_GT(s.sync_ns.snapshot().sum, 0u);
  const auto operations = s.operations_per_commit.snapshot();
  EXPECT_EQ(operations.count, 4u);
  EXPECT_EQ(operations.sum, 3u * 2 + 1);
  // A publisher waits for the three; nobody waits for the held-back removal.
  EXPECT_EQ(s.commit_lag_ns.snapshot().count, 3u);
  const auto bytes = store.commit_bytes().snapshot();
  EXPECT_EQ(bytes.count, 4u);
  EXPECT_GT(bytes.sum, 3u * 100);  // the payloads, at least
}

TEST(StoreProbes, DiskUsageAndCompactionsFollowWhatLevelDbWrites) {
  test::TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  LeveldbStore& store = *opened.store;
  const LeveldbStore::DiskUsage empty = store.disk_usage();
  EXPECT_GT(empty.total_bytes, 0u);  // CURRENT, the manifest, the log
  EXPECT_EQ(std::accumulate(empty.level_bytes.begin(), empty.level_bytes.end(), 0ull), 0u);
  EXPECT_EQ(store.compactions(), 0u);

  // Past LevelDB's 4 MiB write buffer: the memtable is flushed to a table.
  for (MessageId id = 1; id <= 100; ++id) {
    ASSERT_FALSE(commit(store, message_batch(id, "s", 64 * 1024)));
  }
  std::uint64_t tables = 0;
  for (int i = 0; i < 500 && tables == 0; ++i) {
    const LeveldbStore::DiskUsage usage = store.disk_usage();
    tables = std::accumulate(usage.level_bytes.begin(), usage.level_bytes.end(), 0ull);
    if (tables == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(tables, 1u << 20);
  EXPECT_GE(store.compactions(), 1u);
  EXPECT_GT(store.disk_usage().total_bytes, 6u << 20);  // 6.4 MB of payloads, log and tables
}

}  // namespace
}  // namespace cairn::storage
