// LeveldbStore: what is committed is what a reopen reads back, in the same
// logical terms as the InMemoryStore; acknowledged messages leave no records
// behind; a failed write latches (D8); power loss keeps every acknowledged
// batch (D1); a damaged store refuses to open and names the repair.
#include "storage/leveldb_store.h"

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "storage/in_memory_store.h"
#include "storage/record_codec.h"
#include "support/power_loss_env.h"
#include "support/temp_dir.h"

namespace cairn::storage {
namespace {

using model::QoS;
using test::PowerLossEnv;
using test::TempDir;

model::MessagePtr message(std::string topic, std::string payload, QoS qos = QoS::kAtLeastOnce) {
  auto m = std::make_shared<model::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  return m;
}

PutSession session_record(std::string client_id, std::uint32_t expiry_interval) {
  PutSession s;
  s.client_id = std::move(client_id);
  s.expiry_interval = expiry_interval;
  return s;
}

std::error_code commit(DurableStore& store, Batch batch) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  store.submit(std::move(batch), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

LeveldbStore::Opened open(const std::string& dir, leveldb::Env* env = nullptr,
                          LeveldbStore::Mode mode = LeveldbStore::Mode::kOpen) {
  LeveldbStore::Options options;
  options.directory = dir;
  options.env = env;
  options.mode = mode;
  return LeveldbStore::open(options);
}

// Every key in the database, by space: what is physically left.
std::map<char, int> key_spaces(const std::string& dir) {
  leveldb::DB* raw = nullptr;
  leveldb::Options options;
  std::map<char, int> spaces;
  if (!leveldb::DB::Open(options, dir, &raw).ok()) {
    ADD_FAILURE() << "cannot open " << dir;
    return spaces;
  }
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++spaces[it->key()[0]];
  return spaces;
}

void raw_write(const std::string& dir, const std::function<void(leveldb::WriteBatch&)>& change) {
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteBatch wb;
  change(wb);
  ASSERT_TRUE(db->Write(leveldb::WriteOptions(), &wb).ok());
}

// A seeded workload in the broker's terms: sessions come and go, subscribe,
// get messages queued (several sessions per message), acknowledge them out of
// order, release QoS 2 ones, and retained and incoming QoS 2 records change.
class Workload {
 public:
  explicit Workload(std::uint32_t seed) : rng_(seed) {}

  Batch next() {
    Batch b;
    const int kind = pick(10);
    if (kind == 0 || sessions_.empty()) {
      std::string client = "client-" + std::to_string(pick(6));
      PutSession s;
      s.client_id = client;
      s.expiry_interval = 60 + static_cast<std::uint32_t>(pick(1000));
      if (pick(2) == 0)
        s.disconnected_at = model::WallTime(std::chrono::milliseconds(pick(1 << 30)));
      if (pick(3) == 0) {
        s.will = message("will/" + client, "gone");
        s.will_delay = static_cast<std::uint32_t>(pick(100));
      }
      b.operations.push_back(s);
      if (!sessions_.contains(client)) sessions_[client] = {};
    } else if (kind == 1 && pick(4) == 0) {
      auto it = std::next(sessions_.begin(), pick(static_cast<int>(sessions_.size())));
      b.operations.push_back(RemoveSession{it->first});
      sessions_.erase(it);
    } else if (kind == 2) {
      const std::string& client = any_session();
      PutSubscription s;
      s.client_id = client;
      s.filter = "t/" + std::to_string(pick(5)) + (pick(2) ? "/#" : "/+");
      s.options.max_qos = static_cast<QoS>(pick(3));
      s.options.no_local = pick(2) == 0;
      s.subscription_id = static_cast<std::uint32_t>(pick(3));
      if (pick(3) == 0) {
        b.operations.push_back(RemoveSubscription{client, s.filter});
      } else {
        b.operations.push_back(s);
      }
    } else if (kind == 3) {
      const std::string topic = "r/" + std::to_string(pick(4));
      if (pick(3) == 0) {
        b.operations.push_back(RemoveRetained{topic});
      } else {
        auto m = std::make_shared<model::Message>(*message(topic, "v" + std::to_string(n_++)));
        m->retain = true;
        m->properties.user_properties.emplace_back("k", "v");
        b.operations.push_back(PutRetained{m});
      }
    } else if (kind == 4) {
      const std::string& client = any_session();
      const auto id = static_cast<std::uint16_t>(1 + pick(5));
      if (pick(2) == 0) {
        b.operations.push_back(PutIncomingQos2{client, id});
      } else {
        b.operations.push_back(RemoveIncomingQos2{client, id});
      }
    } else if (kind <= 7) {
      // A publish queued for a few sessions.
      const MessageId id = next_id_++;
      b.operations.push_back(
          PutMessage{id, message("t/" + std::to_string(pick(5)),
                                 std::string(static_cast<std::size_t>(pick(200)), 'x'),
                                 pick(2) ? QoS::kExactlyOnce : QoS::kAtLeastOnce)});
      for (auto& [client, queue] : sessions_) {
        if (pick(2) == 0) continue;
        PutDelivery d;
        d.client_id = client;
        d.sequence = queue.next++;
        d.message_id = id;
        d.qos = pick(2) ? QoS::kExactlyOnce : QoS::kAtLeastOnce;
        d.retain = pick(4) == 0;
        if (pick(2) == 0) d.subscription_ids = {static_cast<std::uint32_t>(1 + pick(9))};
        queue.live.insert(d.sequence);
        b.operations.push_back(std::move(d));
      }
    } else {
      // Acknowledgements (and PUBRELs) of earlier deliveries, in any order.
      for (auto& [client, queue] : sessions_) {
        for (auto it = queue.live.begin(); it != queue.live.end();) {
          const int roll = pick(8);
          if (roll < 3) {
            b.operations.push_back(RemoveDelivery{client, *it});
            it = queue.live.erase(it);
          } else {
            const auto packet_id = static_cast<std::uint16_t>(1 + pick(65535));
            if (roll == 3) b.operations.push_back(RecordSent{client, *it, packet_id});
            if (roll == 4) b.operations.push_back(MarkDeliveryReleased{client, *it, packet_id});
            ++it;
          }
        }
      }
    }
    return b;
  }

  // Everything still queued is acknowledged.
  Batch drain() {
    Batch b;
    for (auto& [client, queue] : sessions_) {
      for (std::uint64_t s : queue.live) b.operations.push_back(RemoveDelivery{client, s});
      queue.live.clear();
    }
    return b;
  }

 private:
  struct Queue {
    std::uint64_t next = 1;
    std::set<std::uint64_t> live;
  };
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  const std::string& any_session() {
    return std::next(sessions_.begin(), pick(static_cast<int>(sessions_.size())))->first;
  }

  std::mt19937 rng_;
  std::map<std::string, Queue> sessions_;
  MessageId next_id_ = 1;
  int n_ = 0;
};

// Applies the same batches to the InMemoryStore and the LeveldbStore.
void apply_both(InMemoryStore& memory, DurableStore& disk, const Batch& batch) {
  ASSERT_FALSE(commit(memory, batch));
  ASSERT_FALSE(commit(disk, batch));
}

TEST(LeveldbStore, AFreshStoreOpensEmptyAndReopens) {
  TempDir dir;
  {
    auto opened = open(dir.path() + "/data");
    ASSERT_TRUE(opened.store) << opened.error;
    EXPECT_EQ(opened.state, StoredState{});
    EXPECT_TRUE(opened.report.damage.empty());
  }
  auto again = open(dir.path() + "/data");
  ASSERT_TRUE(again.store) << again.error;
  EXPECT_EQ(again.report.orphans, 0u);
  again.store.reset();
  EXPECT_EQ(key_spaces(dir.path() + "/data"), (std::map<char, int>{{'V', 1}}));
}

TEST(LeveldbStore, EveryKindOfRecordIsReadBackAsCommitted) {
  TempDir dir;
  InMemoryStore memory;
  {
    auto opened = open(dir.path());
    ASSERT_TRUE(opened.store) << opened.error;
    Batch b;
    PutSession s = session_record("alice", 3600);
    s.disconnected_at = model::WallTime(std::chrono::seconds(1'700'000'000));
    s.will = message("will/alice", "bye", QoS::kExactlyOnce);
    s.will_delay = 30;
    s.will_expiry_interval = 99;
    b.operations.push_back(s);
    b.operations.push_back(session_record("bob", 0xFFFFFFFF));
    PutSubscription sub{"alice", "a/+/c", {}, 7};
    sub.options.max_qos = QoS::kExactlyOnce;
    sub.options.retain_as_published = true;
    b.operations.push_back(sub);
    auto m = std::make_shared<model::Message>(*message("a/b/c", std::string("\0bin\xff", 5)));
    m->expires_at = model::WallTime(std::chrono::milliseconds(1'800'000'000'123));
    m->properties.content_type = "text/plain";
    m->properties.correlation_data = "corr";
    m->properties.user_properties = {{"z", "1"}, {"a", "2"}};
    b.operations.push_back(PutMessage{1, m});
    b.operations.push_back(PutDelivery{"alice", 1, 1, QoS::kExactlyOnce, false, {7}});
    b.operations.push_back(PutDelivery{"bob", 1, 1, QoS::kAtLeastOnce, true, {}});
    b.operations.push_back(PutRetained{m});
    b.operations.push_back(PutIncomingQos2{"bob", 513});
    apply_both(memory, *opened.store, b);
    apply_both(memory, *opened.store, Batch{{MarkDeliveryReleased{"alice", 1, 300}}});
  }
  auto reopened = open(dir.path());
  ASSERT_TRUE(reopened.store) << reopened.error;
  EXPECT_EQ(reopened.state, memory.stored_state());
  EXPECT_EQ(reopened.report.sessions, 2u);
  EXPECT_EQ(reopened.report.subscriptions, 1u);
  EXPECT_EQ(reopened.report.queued, 2u);
  EXPECT_EQ(reopened.report.released, 1u);
  EXPECT_EQ(reopened.report.retained, 1u);
  EXPECT_EQ(reopened.report.incoming_qos2, 1u);
  EXPECT_EQ(reopened.report.segments, 1u);  // one message, stored once for two sessions
  EXPECT_EQ(reopened.report.orphans, 0u);
  ASSERT_EQ(reopened.state.queues.at("alice").size(), 1u);
  EXPECT_TRUE(reopened.state.queues.at("alice")[0].released);
  EXPECT_EQ(reopened.state.queues.at("alice")[0].packet_id, 300);
}

// The randomized check: whatever the order of operations and reopens, a
// reopen reads back exactly what the InMemoryStore holds, and the store goes
// on committing correctly from the index it rebuilt.
TEST(LeveldbStore, ReadsBackWhatTheInMemoryStoreHoldsAcrossReopens) {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    PowerLossEnv env;  // never cut here: it only skips the real fsyncs, for speed
    InMemoryStore memory;
    Workload workload(seed);
    for (int round = 0; round < 6; ++round) {
      auto opened = open(dir.path(), &env);
      ASSERT_TRUE(opened.store) << opened.error;
      ASSERT_EQ(opened.state, memory.stored_state()) << "round " << round;
      ASSERT_EQ(opened.report.orphans, 0u) << "round " << round;
      for (int i = 0; i < 60; ++i) apply_both(memory, *opened.store, workload.next());
    }
    auto last = open(dir.path(), &env);
    ASSERT_TRUE(last.store) << last.error;
    apply_both(memory, *last.store, workload.drain());
    last.store.reset();
    auto drained = open(dir.path(), &env);
    ASSERT_TRUE(drained.store) << drained.error;
    EXPECT_EQ(drained.state, memory.stored_state());
    EXPECT_TRUE(drained.state.queues.empty());
    drained.store.reset();
    // Every delivery acknowledged: no segment, chunk or cursor is left.
    const std::map<char, int> spaces = key_spaces(dir.path());
    EXPECT_FALSE(spaces.contains('G')) << "segments left";
    EXPECT_FALSE(spaces.contains('Q')) << "chunks left";
    EXPECT_FALSE(spaces.contains('C')) << "cursors left";
  }
}

// The broker never acknowledges a delivery in the group that adds it (D2),
// but a store must not lose progress that comes that early.
TEST(LeveldbStore, ProgressOnADeliveryOfTheSameGroupIsKept) {
  TempDir dir;
  InMemoryStore memory;
  {
    auto opened = open(dir.path());
    ASSERT_TRUE(opened.store) << opened.error;
    Batch b;
    b.operations.push_back(session_record("s", 60));
    b.operations.push_back(PutMessage{1, message("t", "one")});
    b.operations.push_back(PutDelivery{"s", 1, 1, QoS::kExactlyOnce, false, {}});
    b.operations.push_back(PutMessage{2, message("t", "two")});
    b.operations.push_back(PutDelivery{"s", 2, 2, QoS::kExactlyOnce, false, {}});
    b.operations.push_back(PutMessage{3, message("t", "three")});
    b.operations.push_back(PutDelivery{"s", 3, 3, QoS::kAtLeastOnce, false, {}});
    b.operations.push_back(RecordSent{"s", 1, 11});
    b.operations.push_back(MarkDeliveryReleased{"s", 2, 12});
    b.operations.push_back(RemoveDelivery{"s", 3});
    apply_both(memory, *opened.store, b);
  }
  auto reopened = open(dir.path());
  ASSERT_TRUE(reopened.store) << reopened.error;
  EXPECT_EQ(reopened.state, memory.stored_state());
  ASSERT_EQ(reopened.state.queues.at("s").size(), 2u);
  EXPECT_EQ(reopened.state.queues.at("s")[0].packet_id, 11);
  EXPECT_TRUE(reopened.state.queues.at("s")[1].released);
  EXPECT_EQ(reopened.report.orphans, 0u);
}

TEST(LeveldbStore, ManyBatchesInOneGroupAreOneCommit) {
  TempDir dir;
  auto opened = open(dir.path());
  ASSERT_TRUE(opened.store) << opened.error;
  ASSERT_FALSE(commit(*opened.store, Batch{{session_record("s", 60)}}));
  std::vector<std::future<std::error_code>> results;
  std::vector<std::promise<std::error_code>> promises(200);
  for (int i = 0; i < 200; ++i) {
    Batch b;
    b.operations.push_back(PutMessage{static_cast<MessageId>(i + 1), message("t", "m")});
    b.operations.push_back(PutDelivery{"s",
                                       static_cast<std::uint64_t>(i + 1),
                                       static_cast<MessageId>(i + 1),
                                       QoS::kAtLeastOnce,
                                       false,
                                       {}});
    results.push_back(promises[i].get_future());
    opened.store->submit(std::move(b), [&p = promises[i]](std::error_code ec) { p.set_value(ec); });
  }
  for (auto& r : results) EXPECT_FALSE(r.get());
  EXPECT_LT(opened.store->committer().stats().commits.load(), 201u);
  opened.store.reset();
  auto reopened = open(dir.path());
  ASSERT_TRUE(reopened.store) << reopened.error;
  ASSERT_EQ(reopened.state.queues.at("s").size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(reopened.state.queues.at("s")[i].sequence, i + 1);
  }
}

// D1 under power loss: every batch whose completion said "committed" is there
// after the cut, whatever was in flight.
TEST(LeveldbStore, PowerLossKeepsEveryAcknowledgedBatch) {
  TempDir dir;
  PowerLossEnv env;
  InMemoryStore acknowledged;
  Workload workload(7);
  for (int cut = 0; cut < 5; ++cut) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    {
      auto opened = open(dir.path(), &env);
      ASSERT_TRUE(opened.store) << opened.error;
      ASSERT_EQ(opened.state, acknowledged.stored_state());
      for (int i = 0; i < 40; ++i) {
        Batch b = workload.next();
        ASSERT_FALSE(commit(*opened.store, b));
        ASSERT_FALSE(commit(acknowledged, b));
      }
      env.power_loss();
    }
    env.restore();
  }
}

// D8: a failed sync fails its batch and latches the store: nothing after it
// is committed, even when the disk works again, and what was acknowledged
// before it survives the power cut that follows.
TEST(LeveldbStore, AFailedSyncLatchesTheStoreAndLosesNothingAcknowledged) {
  TempDir dir;
  PowerLossEnv env;
  {
    auto opened = open(dir.path(), &env);
    ASSERT_TRUE(opened.store) << opened.error;
    ASSERT_FALSE(commit(*opened.store, Batch{{session_record("kept", 60)}}));
    env.fail_syncs_after(1);
    EXPECT_EQ(commit(*opened.store, Batch{{session_record("failed", 60)}}), StoreErrc::kIo);
    EXPECT_TRUE(opened.store->failed());
    EXPECT_EQ(commit(*opened.store, Batch{{session_record("after", 60)}}), StoreErrc::kFailed);
    env.power_loss();
  }
  env.restore();
  auto reopened = open(dir.path(), &env);
  ASSERT_TRUE(reopened.store) << reopened.error;
  EXPECT_TRUE(reopened.state.sessions.contains("kept"));
  EXPECT_FALSE(reopened.state.sessions.contains("after"));
}

// LevelDB does not latch on a failed append, and writing on after one can
// corrupt its log: the store latches itself.
TEST(LeveldbStore, AFailedAppendLatchesTheStore) {
  TempDir dir;
  PowerLossEnv env;
  {
    auto opened = open(dir.path(), &env);
    ASSERT_TRUE(opened.store) << opened.error;
    env.fail_writes_after(1);
    EXPECT_EQ(commit(*opened.store, Batch{{session_record("failed", 60)}}), StoreErrc::kIo);
    EXPECT_EQ(commit(*opened.store, Batch{{session_record("after", 60)}}), StoreErrc::kFailed);
  }
  auto reopened = open(dir.path(), &env);
  ASSERT_TRUE(reopened.store) << reopened.error;
  EXPECT_FALSE(reopened.state.sessions.contains("after"));
}

TEST(LeveldbStore, OrphanRecordsAreDeletedAtOpenAndCounted) {
  TempDir dir;
  { ASSERT_TRUE(open(dir.path()).store); }
  raw_write(dir.path(), [](leveldb::WriteBatch& wb) {
    wb.Put(record::segment_key(42), record::encode_segment({message("t", "unreferenced")}));
    wb.Put(record::subscription_key("nobody", "a/b"), record::encode_subscription({}));
  });
  {
    auto check = open(dir.path(), nullptr, LeveldbStore::Mode::kCheck);
    EXPECT_FALSE(check.store);
    EXPECT_TRUE(check.error.empty()) << check.error;
    EXPECT_EQ(check.report.orphans, 2u);
  }
  {
    auto opened = open(dir.path());
    ASSERT_TRUE(opened.store) << opened.error;
    EXPECT_EQ(opened.report.orphans, 2u);
    EXPECT_TRUE(opened.state.subscriptions.empty());
  }
  auto again = open(dir.path());
  ASSERT_TRUE(again.store) << again.error;
  EXPECT_EQ(again.report.orphans, 0u);
}

TEST(LeveldbStore, ADamagedRecordStopsTheOpenAndNamesTheRepair) {
  TempDir dir;
  {
    auto opened = open(dir.path());
    ASSERT_TRUE(opened.store);
    Batch b;
    b.operations.push_back(session_record("s", 60));
    b.operations.push_back(PutMessage{1, message("t", "one")});
    b.operations.push_back(PutDelivery{"s", 1, 1, QoS::kAtLeastOnce, false, {}});
    b.operations.push_back(PutMessage{2, message("t", "two")});
    b.operations.push_back(PutDelivery{"s", 2, 2, QoS::kAtLeastOnce, false, {}});
    ASSERT_FALSE(commit(*opened.store, b));
  }
  raw_write(dir.path(), [](leveldb::WriteBatch& wb) {
    wb.Put(record::session_key("broken"), std::string("\x01\x09", 2));
  });
  auto refused = open(dir.path());
  EXPECT_FALSE(refused.store);
  EXPECT_NE(refused.error.find("damaged"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("cairn repair --data-dir " + dir.path()), std::string::npos)
      << refused.error;

  auto check = open(dir.path(), nullptr, LeveldbStore::Mode::kCheck);
  EXPECT_EQ(check.report.damage.size(), 1u);
  EXPECT_EQ(check.report.queued, 2u);

  auto repaired = open(dir.path(), nullptr, LeveldbStore::Mode::kRepair);
  ASSERT_TRUE(repaired.store) << repaired.error;
  EXPECT_EQ(repaired.report.damaged_records, 1u);
  EXPECT_EQ(repaired.state.queues.at("s").size(), 2u);  // what could be read is kept
  repaired.store.reset();
  auto after = open(dir.path());
  ASSERT_TRUE(after.store) << after.error;
  EXPECT_TRUE(after.report.damage.empty());
}

TEST(LeveldbStore, AMissingMessageIsDamageThatARepairDropsFromTheQueue) {
  TempDir dir;
  {
    auto opened = open(dir.path());
    ASSERT_TRUE(opened.store);
    ASSERT_FALSE(
        commit(*opened.store, Batch{{session_record("s", 60), PutMessage{1, message("t", "a")},
                                     PutDelivery{"s", 1, 1, QoS::kAtLeastOnce, false, {}}}}));
    ASSERT_FALSE(
        commit(*opened.store, Batch{{PutMessage{2, message("t", "b")},
                                     PutDelivery{"s", 2, 2, QoS::kAtLeastOnce, false, {}}}}));
  }
  raw_write(dir.path(), [](leveldb::WriteBatch& wb) { wb.Delete(record::segment_key(1)); });
  auto refused = open(dir.path());
  EXPECT_FALSE(refused.store);
  EXPECT_NE(refused.error.find("client 's': queued delivery 1 refers to a missing message"),
            std::string::npos)
      << refused.error;
  auto repaired = open(dir.path(), nullptr, LeveldbStore::Mode::kRepair);
  ASSERT_TRUE(repaired.store) << repaired.error;
  ASSERT_EQ(repaired.state.queues.at("s").size(), 1u);
  EXPECT_EQ(repaired.state.queues.at("s")[0].message->payload, "b");
  repaired.store.reset();
  auto after = open(dir.path());
  ASSERT_TRUE(after.store) << after.error;
  EXPECT_TRUE(after.report.damage.empty());
  EXPECT_EQ(after.report.queued, 1u);
}

TEST(LeveldbStore, AStoreOfAnotherFormatIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(open(dir.path()).store); }
  raw_write(dir.path(), [](leveldb::WriteBatch& wb) {
    wb.Put(record::format_key(), record::encode_format(99));
  });
  auto refused = open(dir.path());
  EXPECT_FALSE(refused.store);
  EXPECT_NE(refused.error.find("format 99"), std::string::npos) << refused.error;
}

}  // namespace
}  // namespace cairn::storage
