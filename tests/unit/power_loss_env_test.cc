// PowerLossEnv: what a power cut leaves of the files written through it, and
// a real LevelDB database on it: synced writes survive, the unsynced tail goes,
// and LevelDB's answer to failed writes and syncs (the D8 latch).
#include "support/power_loss_env.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <stdlib.h>

namespace cairn::test {
namespace {

namespace fs = std::filesystem;

using Contents = std::map<std::string, std::string>;

// A fresh directory per test, removed after it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cairn-power-loss-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

leveldb::WriteOptions synced(bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  return options;
}

// The Env alone, on files the test writes itself.
class PowerLossEnvFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  // A new file whose name is durable, as DurableNamesEnv makes it; the name
  // changes themselves are tested in power_loss_names_test.cc.
  std::unique_ptr<leveldb::WritableFile> create(const std::string& name) {
    auto file = create_unnamed(name);
    EXPECT_TRUE(env_.sync_directory(dir_.path()).ok());
    return file;
  }
  // A new file whose name is not durable yet.
  std::unique_ptr<leveldb::WritableFile> create_unnamed(const std::string& name) {
    leveldb::WritableFile* file = nullptr;
    EXPECT_TRUE(env_.NewWritableFile(dir_.file(name), &file).ok());
    return std::unique_ptr<leveldb::WritableFile>(file);
  }
  bool exists(const std::string& name) const { return fs::exists(dir_.file(name)); }
  std::string contents(const std::string& name) const { return read_file(dir_.file(name)); }

  TempDir dir_;
  PowerLossEnv env_;
};

TEST_F(PowerLossEnvFileTest, KeepsOnlyTheBytesOfTheLastSync) {
  auto file = create("a");
  ASSERT_TRUE(file->Append("synced").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("+lost").ok());
  ASSERT_TRUE(file->Flush().ok());
  EXPECT_EQ(contents("a"), "synced+lost");  // written through to the real file

  env_.power_loss();
  EXPECT_EQ(contents("a"), "synced");
  EXPECT_FALSE(file->Append("after").ok());
  EXPECT_FALSE(file->Sync().ok());
  file.reset();  // closing the dead file writes nothing
  EXPECT_EQ(contents("a"), "synced");
}

TEST_F(PowerLossEnvFileTest, CanFsyncTheRealFileToo) {
  PowerLossEnv env(PowerLossEnv::RealFsync::kYes);
  leveldb::WritableFile* raw = nullptr;
  ASSERT_TRUE(env.NewWritableFile(dir_.file("real"), &raw).ok());
  std::unique_ptr<leveldb::WritableFile> file(raw);
  ASSERT_TRUE(env.sync_directory(dir_.path()).ok());
  ASSERT_TRUE(file->Append("synced").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("+lost").ok());
  EXPECT_EQ(env.syncs(), 1);

  env.power_loss();
  EXPECT_EQ(contents("real"), "synced");
  file.reset();
}

TEST_F(PowerLossEnvFileTest, ForgetsNamesCreatedSinceTheDirectoryWasSynced) {
  auto early = create_unnamed("early");
  ASSERT_TRUE(early->Append("x").ok());
  auto synced_file = create_unnamed("synced");
  ASSERT_TRUE(synced_file->Append("y").ok());
  ASSERT_TRUE(synced_file->Sync().ok());               // its bytes, not its name
  ASSERT_TRUE(env_.sync_directory(dir_.path()).ok());  // both names
  auto late = create_unnamed("late");
  ASSERT_TRUE(late->Append("z").ok());
  ASSERT_TRUE(late->Sync().ok());

  env_.power_loss();
  EXPECT_TRUE(exists("early"));
  EXPECT_EQ(contents("early"), "");  // its name survived, its bytes were never synced
  EXPECT_EQ(contents("synced"), "y");
  EXPECT_FALSE(exists("late"));  // synced, but its name was not
}

TEST_F(PowerLossEnvFileTest, EveryChangeFailsUntilRestore) {
  auto file = create("a");
  ASSERT_TRUE(file->Sync().ok());
  env_.power_loss();

  leveldb::WritableFile* other = nullptr;
  EXPECT_FALSE(env_.NewWritableFile(dir_.file("b"), &other).ok());
  EXPECT_EQ(other, nullptr);
  EXPECT_FALSE(env_.NewAppendableFile(dir_.file("a"), &other).ok());
  EXPECT_FALSE(env_.RenameFile(dir_.file("a"), dir_.file("c")).ok());
  EXPECT_FALSE(env_.RemoveFile(dir_.file("a")).ok());
  EXPECT_FALSE(env_.CreateDir(dir_.file("d")).ok());
  EXPECT_FALSE(file->Append("x").ok());
  EXPECT_FALSE(file->Flush().ok());
  EXPECT_FALSE(file->Close().ok());
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));

  file.reset();
  env_.restore();
  auto again = create("b");
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->Append("x").ok());
  EXPECT_TRUE(env_.RemoveFile(dir_.file("a")).ok());
}

TEST_F(PowerLossEnvFileTest, ARenamedFileKeepsItsTracking) {
  auto temp = create("tmp");
  ASSERT_TRUE(temp->Append("synced").ok());
  ASSERT_TRUE(temp->Sync().ok());
  ASSERT_TRUE(temp->Append("+lost").ok());
  ASSERT_TRUE(temp->Close().ok());
  ASSERT_TRUE(env_.RenameFile(dir_.file("tmp"), dir_.file("final")).ok());
  auto never_synced = create("tmp2");
  ASSERT_TRUE(never_synced->Append("gone").ok());
  ASSERT_TRUE(never_synced->Close().ok());
  ASSERT_TRUE(env_.RenameFile(dir_.file("tmp2"), dir_.file("final2")).ok());
  ASSERT_TRUE(env_.sync_directory(dir_.path()).ok());

  env_.power_loss();
  EXPECT_FALSE(exists("tmp"));
  EXPECT_EQ(contents("final"), "synced");
  EXPECT_EQ(contents("final2"), "");  // named durably, but its bytes were never synced
}

TEST_F(PowerLossEnvFileTest, AnAppendableFileKeepsWhatWasThereBefore) {
  std::ofstream(dir_.file("old"), std::ios::binary) << "before";
  leveldb::WritableFile* raw = nullptr;
  ASSERT_TRUE(env_.NewAppendableFile(dir_.file("old"), &raw).ok());
  std::unique_ptr<leveldb::WritableFile> file(raw);
  ASSERT_TRUE(file->Append("+lost").ok());

  env_.power_loss();
  EXPECT_EQ(contents("old"), "before");
}

TEST_F(PowerLossEnvFileTest, FailsTheNthWriteOnly) {
  auto file = create("a");
  env_.fail_writes_after(2);
  EXPECT_TRUE(file->Append("1").ok());
  EXPECT_FALSE(file->Append("2").ok());
  EXPECT_TRUE(file->Append("3").ok());
  EXPECT_EQ(contents("a"), "13");  // the failed write wrote nothing
}

TEST_F(PowerLossEnvFileTest, AFailedSyncFreezesWhatIsDurable) {
  auto file = create("a");
  ASSERT_TRUE(file->Append("synced").ok());
  ASSERT_TRUE(file->Sync().ok());
  const int before = env_.syncs();
  env_.fail_syncs_after(1);
  ASSERT_TRUE(file->Append("+dropped").ok());
  EXPECT_FALSE(file->Sync().ok());
  // The retry "succeeds", as Linux may report after dropping the dirty pages
  // of the failed fsync, but the bytes are not durable: never ack after it.
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_EQ(env_.syncs(), before + 2);

  env_.power_loss();
  EXPECT_EQ(contents("a"), "synced");
}

// A real LevelDB database on the Env, with paranoid checks as cairn opens it
// (DESIGN.md §5).
class PowerLossDbTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  leveldb::Status open() {
    db_.reset();
    leveldb::Options options;
    options.env = &names_;
    options.create_if_missing = true;
    options.paranoid_checks = true;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir_.path(), &db);
    db_.reset(db);
    return s;
  }

  // The power goes while the database is open; the machine boots and the
  // database is opened again.
  leveldb::Status cut_power_and_reopen() {
    env_.power_loss();
    db_.reset();
    env_.restore();
    return open();
  }

  leveldb::Status put(const std::string& key, const std::string& value, bool sync) {
    return db_->Put(synced(sync), key, value);
  }

  std::optional<std::string> get(const std::string& key) {
    std::string value;
    if (!db_->Get(leveldb::ReadOptions(), key, &value).ok()) return std::nullopt;
    return value;
  }

  Contents contents() {
    Contents all;
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      all[it->key().ToString()] = it->value().ToString();
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return all;
  }

  TempDir dir_;
  PowerLossEnv env_;  // declared before db_: outlives it
  // As LeveldbStore opens it: without it LevelDB loses writes to a name cut
  // away (power_loss_names_test.cc).
  storage::DurableNamesEnv names_{&env_};
  std::unique_ptr<leveldb::DB> db_;
};

TEST_F(PowerLossDbTest, SyncedWritesSurvive) {
  ASSERT_TRUE(open().ok());
  Contents expected;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(put(key, "v" + std::to_string(i), /*sync=*/true).ok());
    expected[key] = "v" + std::to_string(i);
  }
  ASSERT_TRUE(db_->Delete(synced(true), "k3").ok());
  expected.erase("k3");

  const leveldb::Status s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(contents(), expected);
}

TEST_F(PowerLossDbTest, TheUnsyncedTailIsLost) {
  ASSERT_TRUE(open().ok());
  ASSERT_TRUE(put("a", "1", /*sync=*/false).ok());
  ASSERT_TRUE(put("last-synced", "2", /*sync=*/true).ok());  // makes "a" durable too
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(put("u" + std::to_string(i), "x", false).ok());
  ASSERT_TRUE(put("a", "overwritten", /*sync=*/false).ok());
  EXPECT_EQ(get("u9"), "x");  // there before the cut

  const leveldb::Status s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(contents(), (Contents{{"a", "1"}, {"last-synced", "2"}}));
}

TEST_F(PowerLossDbTest, ANeverSyncedDatabaseReopensEmptyWithoutCorruption) {
  ASSERT_TRUE(open().ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(put("k" + std::to_string(i), "v", false).ok());

  leveldb::Status s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();  // paranoid_checks: any damage fails the open
  EXPECT_TRUE(contents().empty());
  ASSERT_TRUE(put("k", "v", /*sync=*/true).ok());

  s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(contents(), (Contents{{"k", "v"}}));
}

TEST_F(PowerLossDbTest, TheDeadDatabaseCannotWriteAndNothingOpensBeforeRestore) {
  ASSERT_TRUE(open().ok());
  ASSERT_TRUE(put("k", "v", /*sync=*/true).ok());
  env_.power_loss();
  EXPECT_FALSE(put("k2", "v", /*sync=*/false).ok());
  EXPECT_FALSE(put("k3", "v", /*sync=*/true).ok());
  EXPECT_FALSE(open().ok());  // deletes the dead database first
  env_.restore();
  ASSERT_TRUE(open().ok());
  EXPECT_EQ(contents(), (Contents{{"k", "v"}}));
}

// Random writes and deletes, synced or not, then a power cut, a clean restart,
// or a clean close followed by a cut: the database holds exactly what the last
// synced write made durable (LevelDB's log is sequential, so a synced write
// makes every write before it durable too).
TEST_F(PowerLossDbTest, ManyCyclesKeepExactlyTheSyncedState) {
  std::mt19937 rng(20240607);
  auto chance = [&](int one_in) { return rng() % one_in == 0; };
  constexpr int kCycles = 50;
  constexpr int kKeys = 16;
  Contents written;  // what the database holds before the cut
  Contents durable;  // what it holds after it
  ASSERT_TRUE(open().ok());
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    const int operations = static_cast<int>(rng() % 24);
    for (int op = 0; op < operations; ++op) {
      const std::string key = "key" + std::to_string(rng() % kKeys);
      const bool sync = chance(5);
      if (chance(6)) {
        ASSERT_TRUE(db_->Delete(synced(sync), key).ok());
        written.erase(key);
      } else {
        // Unique per write, so a value that was never written cannot pass.
        const std::string value = key + "@" + std::to_string(cycle) + "." + std::to_string(op);
        ASSERT_TRUE(put(key, value, sync).ok());
        written[key] = value;
      }
      if (sync) durable = written;
    }
    leveldb::Status s;
    switch (rng() % 4) {
      case 0:  // clean restart: recovery writes the log into a synced table
        s = open();
        durable = written;
        break;
      case 1:  // clean close, then the cut: closing syncs nothing
        db_.reset();
        [[fallthrough]];
      default:
        s = cut_power_and_reopen();
        written = durable;
        break;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(contents(), durable);
  }
}

// Writers on two threads (LevelDB groups their syncs), the cut in the middle:
// every write acknowledged before it is there after.
TEST_F(PowerLossDbTest, EveryWriteAcknowledgedBeforeTheCutSurvivesFromTwoThreads) {
  ASSERT_TRUE(open().ok());
  constexpr int kThreads = 2;
  constexpr int kMaxWrites = 100000;
  std::atomic<int> acked[kThreads] = {0, 0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < kMaxWrites; ++n) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(n);
        if (!db_->Put(synced(true), key, "v").ok()) return;
        acked[t].store(n + 1);
      }
    });
  }
  while (acked[0].load() < 50 || acked[1].load() < 50) std::this_thread::yield();
  env_.power_loss();
  for (auto& writer : writers) writer.join();
  ASSERT_LT(acked[0].load() + acked[1].load(), 2 * kMaxWrites);  // the cut came first

  const leveldb::Status s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < acked[t].load(); ++n) {
      ASSERT_EQ(get("t" + std::to_string(t) + "-" + std::to_string(n)), "v") << t << " " << n;
    }
  }
}

TEST_F(PowerLossDbTest, CountsOneSyncPerSyncedWrite) {
  ASSERT_TRUE(open().ok());
  const int before = env_.syncs();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(put("s" + std::to_string(i), "v", true).ok());
  EXPECT_EQ(env_.syncs(), before + 5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(put("u" + std::to_string(i), "v", false).ok());
  EXPECT_EQ(env_.syncs(), before + 5);
  leveldb::WriteBatch batch;
  for (int i = 0; i < 10; ++i) batch.Put("b" + std::to_string(i), "v");
  ASSERT_TRUE(db_->Write(synced(true), &batch).ok());
  EXPECT_EQ(env_.syncs(), before + 6);
}

// LevelDB 1.23 (DBImpl::Write): when the log sync fails it records a
// background error, and every later write returns it. This is the latch D8
// relies on; it lasts until the database is reopened.
TEST_F(PowerLossDbTest, AFailedSyncLatchesTheDatabase) {
  ASSERT_TRUE(open().ok());
  ASSERT_TRUE(put("before", "v", /*sync=*/true).ok());
  env_.fail_syncs_after(1);
  const leveldb::Status failed = put("refused", "v", /*sync=*/true);
  EXPECT_TRUE(failed.IsIOError()) << failed.ToString();
  EXPECT_FALSE(put("later", "v", /*sync=*/true).ok());  // the disk works again: still refused
  EXPECT_FALSE(put("later", "v", /*sync=*/false).ok());
  EXPECT_EQ(get("before"), "v");  // reads still work
  EXPECT_EQ(get("refused"), std::nullopt);
  EXPECT_EQ(get("later"), std::nullopt);

  // A power cut takes the refused record; the reopened database writes again.
  const leveldb::Status s = cut_power_and_reopen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(contents(), (Contents{{"before", "v"}}));
  EXPECT_TRUE(put("after", "v", /*sync=*/true).ok());
}

// The refused record is in the log: without a power cut, a restart brings it
// back. A write refused to the client may still be recovered (never the other
// way round).
TEST_F(PowerLossDbTest, ARecordWhoseSyncFailedComesBackAfterACleanRestart) {
  ASSERT_TRUE(open().ok());
  env_.fail_syncs_after(1);
  EXPECT_FALSE(put("refused", "v", /*sync=*/true).ok());
  ASSERT_TRUE(open().ok());
  EXPECT_EQ(get("refused"), "v");
}

// LevelDB 1.23 does NOT latch on a failed log append (only a failed sync sets
// the background error): the write fails, the next one succeeds. A store must
// latch itself on any write error (D8).
TEST_F(PowerLossDbTest, AFailedAppendIsNotLatchedByLevelDb) {
  ASSERT_TRUE(open().ok());
  env_.fail_writes_after(1);  // the record's header
  EXPECT_FALSE(put("refused", "v", /*sync=*/true).ok());
  EXPECT_TRUE(put("next", "v", /*sync=*/true).ok());
  EXPECT_EQ(get("refused"), std::nullopt);
  EXPECT_EQ(get("next"), "v");
}

// Worse: when the header reached the file but the payload did not, the log
// holds a torn record followed by good ones, and the next open with paranoid
// checks refuses the database: acknowledged writes after the failure are
// behind a corruption.
TEST_F(PowerLossDbTest, WritingOnAfterAFailedAppendCorruptsTheLog) {
  ASSERT_TRUE(open().ok());
  ASSERT_TRUE(put("before", "v", /*sync=*/true).ok());
  env_.fail_writes_after(2);  // the record's payload, after its header
  EXPECT_FALSE(put("torn", "v", /*sync=*/true).ok());
  ASSERT_TRUE(put("acked", "v", /*sync=*/true).ok());

  const leveldb::Status s = open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace cairn::test
