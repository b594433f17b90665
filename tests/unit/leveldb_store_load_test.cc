// LeveldbStore paging (D7): an open with a queue window reads the deliveries
// in flight and the window's, and describes the rest (the tail); load()
// reads any part of a queue back in sequence order, within a count and a
// byte budget, and sees every batch submitted before it.
#include <cstdint>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "storage/leveldb_store.h"
#include "support/temp_dir.h"

namespace cairn::storage {
namespace {

using model::QoS;
using test::TempDir;

model::MessagePtr message(std::string payload) {
  auto m = std::make_shared<model::Message>();
  m->topic = "t";
  m->payload = std::move(payload);
  m->qos = QoS::kAtLeastOnce;
  return m;
}

PutSession session_record(std::string client_id) {
  PutSession s;
  s.client_id = std::move(client_id);
  s.expiry_interval = 3600;
  return s;
}

std::error_code commit(DurableStore& store, Batch batch) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  store.submit(std::move(batch), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

std::vector<StoredDelivery> load(DurableStore& store, LoadRequest request) {
  std::promise<std::vector<StoredDelivery>> done;
  auto result = done.get_future();
  store.load(std::move(request), [&done](std::vector<StoredDelivery> out, std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    done.set_value(std::move(out));
  });
  return result.get();
}

std::vector<std::uint64_t> sequences(const std::vector<StoredDelivery>& deliveries) {
  std::vector<std::uint64_t> out;
  for (const StoredDelivery& d : deliveries) out.push_back(d.sequence);
  return out;
}

LeveldbStore::Opened open(const std::string& dir,
                          std::size_t window = std::numeric_limits<std::size_t>::max()) {
  LeveldbStore::Options options;
  options.directory = dir;
  options.queue_window = window;
  return LeveldbStore::open(options);
}

// Deliveries first..last for `client`, one message each ("m<sequence>"),
// each batch of `per_batch` its own commit.
void queue(DurableStore& store, const std::string& client, std::uint64_t first, std::uint64_t last,
           std::uint64_t per_batch = 1) {
  static MessageId next_id = 1;
  for (std::uint64_t s = first; s <= last;) {
    Batch b;
    for (std::uint64_t i = 0; i < per_batch && s <= last; ++i, ++s) {
      const MessageId id = next_id++;
      b.operations.push_back(PutMessage{id, message("m" + std::to_string(s))});
      PutDelivery d;
      d.client_id = client;
      d.sequence = s;
      d.message_id = id;
      d.qos = QoS::kAtLeastOnce;
      b.operations.push_back(std::move(d));
    }
    ASSERT_FALSE(commit(store, std::move(b)));
  }
}

TEST(LeveldbStoreLoad, WindowedOpenReadsInFlightAndTheWindowAndDescribesTheRest) {
  TempDir dir;
  {
    LeveldbStore::Opened opened = open(dir.path());
    ASSERT_TRUE(opened.store) << opened.error;
    ASSERT_FALSE(commit(*opened.store, Batch{{session_record("s")}}));
    queue(*opened.store, "s", 1, 10, 5);  // chunks 1..5 and 6..10
    ASSERT_FALSE(commit(*opened.store, Batch{{RecordSent{"s", 8, 9}}}));
    ASSERT_FALSE(commit(*opened.store, Batch{{RemoveDelivery{"s", 2}}}));
    ASSERT_FALSE(commit(*opened.store, Batch{{RemoveDelivery{"s", 10}}}));
  }
  LeveldbStore::Opened reopened = open(dir.path(), /*window=*/3);
  ASSERT_TRUE(reopened.store) << reopened.error;
  const StoredState& state = reopened.state;
  // The window (1, 3, 4) and the delivery in flight (8), in sequence order.
  EXPECT_EQ(sequences(state.queues.at("s")), (std::vector<std::uint64_t>{1, 3, 4, 8}));
  EXPECT_EQ(state.queues.at("s")[3].packet_id, 9);
  EXPECT_EQ(state.queues.at("s")[0].message->payload, "m1");
  // The tail: 5, 6, 7 and 9, each "t" plus "m<n>" and the broker's overhead.
  EXPECT_EQ(state.paged.at("s"), (StoredQueueTail{5, 4, 4 * (3 + model::kMessageOverhead)}));
  EXPECT_EQ(reopened.report.queued, 8u);
  // 10 was acknowledged, but its chunk lives on: no new delivery may take it.
  EXPECT_EQ(state.next_sequence.at("s"), 11u);

  // The tail reads back from its first sequence, the one in flight too.
  const auto rest = load(*reopened.store, LoadRequest{"s", 5, 100});
  EXPECT_EQ(sequences(rest), (std::vector<std::uint64_t>{5, 6, 7, 8, 9}));
  EXPECT_EQ(rest[0].message->payload, "m5");
  EXPECT_EQ(rest[3].packet_id, 9);
}

TEST(LeveldbStoreLoad, ReadsInSequenceOrderWithinTheCountAndTheBytes) {
  TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  ASSERT_FALSE(commit(*opened.store, Batch{{session_record("s")}}));
  queue(*opened.store, "s", 1, 20, 7);
  EXPECT_EQ(sequences(load(*opened.store, LoadRequest{"s", 4, 3})),
            (std::vector<std::uint64_t>{4, 5, 6}));
  // "t" + "m1".."m9" weigh 3 bytes and the overhead each: a budget of two
  // and a bit takes two of them.
  EXPECT_EQ(sequences(load(*opened.store,
                           LoadRequest{"s", 1, 100, 2 * (3 + model::kMessageOverhead) + 1})),
            (std::vector<std::uint64_t>{1, 2}));
  // The first always comes, however large: a load must make progress.
  EXPECT_EQ(sequences(load(*opened.store, LoadRequest{"s", 1, 100, 1})),
            (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(load(*opened.store, LoadRequest{"s", 21, 100}).empty());
  EXPECT_TRUE(load(*opened.store, LoadRequest{"nobody", 1, 100}).empty());
  EXPECT_TRUE(load(*opened.store, LoadRequest{"s", 1, 0}).empty());
}

TEST(LeveldbStoreLoad, SkipsWhatIsAcknowledgedAndSeesEveryBatchSubmittedBeforeIt) {
  TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  ASSERT_FALSE(commit(*opened.store, Batch{{session_record("s")}}));
  queue(*opened.store, "s", 1, 5);
  // Submitted, not waited for: the load still finds both changes.
  opened.store->submit(Batch{{RemoveDelivery{"s", 2}}}, [](std::error_code) {});
  Batch more;
  more.operations.push_back(PutMessage{1000, message("m6")});
  PutDelivery d;
  d.client_id = "s";
  d.sequence = 6;
  d.message_id = 1000;
  d.qos = QoS::kAtLeastOnce;
  more.operations.push_back(std::move(d));
  opened.store->submit(std::move(more), [](std::error_code) {});
  const auto got = load(*opened.store, LoadRequest{"s", 1, 100});
  EXPECT_EQ(sequences(got), (std::vector<std::uint64_t>{1, 3, 4, 5, 6}));
  EXPECT_EQ(got.back().message->payload, "m6");
}

TEST(LeveldbStoreLoad, SessionsSharingASegmentShareItsMessages) {
  TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  ASSERT_FALSE(commit(*opened.store, Batch{{session_record("a"), session_record("b")}}));
  Batch fan_out;
  fan_out.operations.push_back(PutMessage{1, message("shared")});
  for (const char* client : {"a", "b"}) {
    PutDelivery d;
    d.client_id = client;
    d.sequence = 1;
    d.message_id = 1;
    d.qos = QoS::kAtLeastOnce;
    fan_out.operations.push_back(std::move(d));
  }
  ASSERT_FALSE(commit(*opened.store, std::move(fan_out)));
  const auto a = load(*opened.store, LoadRequest{"a", 1, 10});
  const auto b = load(*opened.store, LoadRequest{"b", 1, 10});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].message, b[0].message);  // one object in memory, read once
}

// Issue 17, item 4: the decoded segments load() keeps are bounded in bytes
// (they were bounded by a count of messages, whatever their size).
TEST(LeveldbStoreLoad, TheSegmentCacheIsBoundedInBytes) {
  TempDir dir;
  LeveldbStore::Options options;
  options.directory = dir.path();
  options.segment_cache_bytes = 64 << 10;
  LeveldbStore::Opened opened = LeveldbStore::open(options);
  ASSERT_TRUE(opened.store) << opened.error;
  ASSERT_FALSE(commit(*opened.store, Batch{{session_record("a")}}));
  for (std::uint64_t s = 1; s <= 20; ++s) {  // 20 segments of one 10 KiB message
    Batch b;
    b.operations.push_back(PutMessage{s, message(std::string(10 << 10, 'x'))});
    PutDelivery d;
    d.client_id = "a";
    d.sequence = s;
    d.message_id = s;
    d.qos = QoS::kAtLeastOnce;
    b.operations.push_back(std::move(d));
    ASSERT_FALSE(commit(*opened.store, std::move(b)));
  }
  LoadRequest all{"a", 1, 100};
  all.max_bytes = std::numeric_limits<std::uint64_t>::max();
  ASSERT_EQ(load(*opened.store, all).size(), 20u);
  EXPECT_GT(opened.store->cached_segment_bytes(), 10u << 10);
  EXPECT_LE(opened.store->cached_segment_bytes(), 64u << 10);
}

TEST(LeveldbStoreLoad, AfterCloseALoadFailsAsClosed) {
  TempDir dir;
  LeveldbStore::Opened opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  opened.store->close();
  std::error_code result;
  opened.store->load(LoadRequest{"s", 1, 10},
                     [&result](std::vector<StoredDelivery>, std::error_code ec) { result = ec; });
  EXPECT_EQ(result, StoreErrc::kClosed);
}

}  // namespace
}  // namespace cairn::storage
