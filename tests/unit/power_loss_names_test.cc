// Names under power loss (issue 17, item 8): PowerLossEnv undoes every
// create, rename and removal whose directory was not synced; LevelDB alone
// then loses writes it acknowledged into a log created since its last
// MANIFEST sync, and DurableNamesEnv, which LeveldbStore opens LevelDB with,
// loses nothing, whichever of the unsynced changes the disk kept.
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include "storage/durable_names_env.h"
#include "storage/leveldb_store.h"
#include "support/power_loss_env.h"
#include "support/temp_dir.h"

namespace cairn::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class PowerLossNamesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  std::string file(const std::string& name) const { return dir_.path() + "/" + name; }
  bool exists(const std::string& name) const { return fs::exists(file(name)); }
  std::string contents(const std::string& name) const { return read_file(file(name)); }

  // A file with `bytes` synced; its name is durable only if `named`.
  void write_synced(const std::string& name, const std::string& bytes, bool named) {
    leveldb::WritableFile* raw = nullptr;
    ASSERT_TRUE(env_.NewWritableFile(file(name), &raw).ok());
    std::unique_ptr<leveldb::WritableFile> f(raw);
    ASSERT_TRUE(f->Append(bytes).ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Close().ok());
    if (named) {
      ASSERT_TRUE(env_.sync_directory(dir_.path()).ok());
    }
  }

  TempDir dir_;
  PowerLossEnv env_;
};

TEST_F(PowerLossNamesTest, ACutUndoesRenamesAndRemovalsLatestFirst) {
  write_synced("CURRENT", "old", /*named=*/true);
  write_synced("MANIFEST-1", "manifest", /*named=*/true);
  write_synced("tmp", "new", /*named=*/true);
  ASSERT_TRUE(env_.RenameFile(file("tmp"), file("CURRENT")).ok());
  ASSERT_TRUE(env_.RemoveFile(file("MANIFEST-1")).ok());
  EXPECT_EQ(contents("CURRENT"), "new");
  EXPECT_FALSE(exists("MANIFEST-1"));
  EXPECT_EQ(env_.unsynced_name_changes(), 2u);

  env_.power_loss();
  EXPECT_EQ(contents("CURRENT"), "old");  // the file renamed over comes back
  EXPECT_EQ(contents("tmp"), "new");
  EXPECT_EQ(contents("MANIFEST-1"), "manifest");  // a removed file comes back whole
  env_.restore();
}

TEST_F(PowerLossNamesTest, ADirectorySyncMakesEveryChangeInItDurable) {
  write_synced("CURRENT", "old", /*named=*/true);
  write_synced("tmp", "new", /*named=*/false);
  ASSERT_TRUE(env_.RenameFile(file("tmp"), file("CURRENT")).ok());
  write_synced("gone", "x", /*named=*/true);
  ASSERT_TRUE(env_.RemoveFile(file("gone")).ok());
  ASSERT_TRUE(env_.sync_directory(dir_.path()).ok());
  EXPECT_EQ(env_.unsynced_name_changes(), 0u);

  env_.power_loss();
  EXPECT_EQ(contents("CURRENT"), "new");
  EXPECT_FALSE(exists("tmp"));
  EXPECT_FALSE(exists("gone"));
  std::vector<std::string> children;
  ASSERT_TRUE(env_.GetChildren(dir_.path(), &children).ok());
  std::erase_if(children, [](const std::string& c) { return c == "." || c == ".."; });
  EXPECT_EQ(children, std::vector<std::string>{"CURRENT"});  // nothing kept aside is left
  env_.restore();
}

// As LevelDB's POSIX Env: syncing a MANIFEST fsyncs its directory first.
TEST_F(PowerLossNamesTest, AManifestSyncSyncsItsDirectory) {
  write_synced("000003.log", "acknowledged", /*named=*/false);
  write_synced("MANIFEST-000004", "edit", /*named=*/false);
  env_.power_loss();
  EXPECT_EQ(contents("000003.log"), "acknowledged");
  EXPECT_EQ(contents("MANIFEST-000004"), "edit");
  env_.restore();
}

TEST_F(PowerLossNamesTest, ACutCanKeepTheFirstChangesAsAJournalWould) {
  write_synced("a", "1", /*named=*/false);
  write_synced("b", "2", /*named=*/false);
  write_synced("c", "3", /*named=*/false);
  ASSERT_TRUE(env_.RemoveFile(file("a")).ok());
  ASSERT_EQ(env_.unsynced_name_changes(), 4u);

  env_.power_loss_keeping(2);
  EXPECT_EQ(contents("a"), "1");  // its removal, the last change, was undone
  EXPECT_EQ(contents("b"), "2");
  EXPECT_FALSE(exists("c"));
  env_.restore();
}

TEST_F(PowerLossNamesTest, FilesKeptAsideAreHiddenFromLevelDb) {
  write_synced("a", "1", /*named=*/true);
  write_synced("b", "2", /*named=*/true);
  ASSERT_TRUE(env_.RemoveFile(file("a")).ok());
  ASSERT_TRUE(env_.RenameFile(file("b"), file("c")).ok());
  std::vector<std::string> children;
  ASSERT_TRUE(env_.GetChildren(dir_.path(), &children).ok());
  std::erase_if(children, [](const std::string& c) { return c == "." || c == ".."; });
  EXPECT_EQ(children, std::vector<std::string>{"c"});
  EXPECT_FALSE(env_.RemoveFile(file("a")).ok());  // gone, as far as anyone can see
}

// --- LevelDB on the model ---------------------------------------------------

// Synced puts of 16 KiB until LevelDB has switched to a new log (its
// memtable holds 64 KiB here), then one more: the write acknowledged into
// the new log, whose name only the next MANIFEST sync (the held flush) would
// make durable.
void fill_past_a_memtable(leveldb::DB& db) {
  leveldb::WriteOptions sync;
  sync.sync = true;
  const std::string value(16 * 1024, 'v');
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(db.Put(sync, "fill" + std::to_string(i), value).ok());
  }
  ASSERT_TRUE(db.Put(sync, "acknowledged", "yes").ok());
}

std::unique_ptr<leveldb::DB> open_db(leveldb::Env* env, const std::string& dir) {
  leveldb::Options options;
  options.env = env;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = 64 * 1024;  // LevelDB's minimum
  leveldb::DB* db = nullptr;
  const leveldb::Status s = leveldb::DB::Open(options, dir, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::unique_ptr<leveldb::DB>(db);
}

bool holds_acknowledged(leveldb::DB& db) {
  std::string value;
  return db.Get(leveldb::ReadOptions(), "acknowledged", &value).ok() && value == "yes";
}

// Why DurableNamesEnv exists: the model is strict enough to catch LevelDB
// relying on an unsynced name.
TEST_F(PowerLossNamesTest, LevelDbAloneLosesAWriteAcknowledgedIntoANewLog) {
  {
    auto db = open_db(&env_, dir_.path());
    ASSERT_NE(db, nullptr);
    env_.hold_background_work();
    fill_past_a_memtable(*db);
    ASSERT_TRUE(holds_acknowledged(*db));
    env_.power_loss();
  }
  env_.restore();
  auto db = open_db(&env_, dir_.path());
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(holds_acknowledged(*db));
}

// The same through DurableNamesEnv, once per prefix of the unsynced changes
// a journal could have kept.
TEST_F(PowerLossNamesTest, DurableNamesEnvKeepsEveryAcknowledgedWrite) {
  std::size_t changes = 0;
  for (std::size_t keep = 0; keep <= changes; ++keep) {
    SCOPED_TRACE("keeping " + std::to_string(keep));
    TempDir dir;
    PowerLossEnv env;  // each cut its own history of name changes
    storage::DurableNamesEnv names(&env);
    {
      auto db = open_db(&names, dir.path());
      ASSERT_NE(db, nullptr);
      env.hold_background_work();
      fill_past_a_memtable(*db);
      changes = env.unsynced_name_changes();
      env.power_loss_keeping(keep);
    }
    env.restore();
    auto db = open_db(&names, dir.path());
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(holds_acknowledged(*db));
    env.power_loss();  // a cut right after the reopen loses nothing either
    db.reset();
    env.restore();
    db = open_db(&names, dir.path());
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(holds_acknowledged(*db));
  }
}

// --- the store ---------------------------------------------------------------

std::error_code commit(storage::DurableStore& store, storage::Batch batch) {
  std::promise<std::error_code> done;
  auto result = done.get_future();
  store.submit(std::move(batch), [&done](std::error_code ec) { done.set_value(ec); });
  return result.get();
}

storage::LeveldbStore::Opened open_store(const std::string& dir, leveldb::Env* env) {
  storage::LeveldbStore::Options options;
  options.directory = dir;
  options.env = env;
  return storage::LeveldbStore::open(options);
}

// 5 MiB of retained messages (past the store's 4 MiB memtable), then a
// session record: a cut before LevelDB's flush, keeping any prefix of the
// unsynced name changes, loses none of them.
TEST_F(PowerLossNamesTest, TheStoreKeepsWhatItAcknowledgedIntoANewLog) {
  constexpr int kRetained = 80;
  std::size_t changes = 0;
  for (std::size_t keep = 0; keep <= changes; ++keep) {
    SCOPED_TRACE("keeping " + std::to_string(keep));
    TempDir dir;
    PowerLossEnv env;  // each cut its own history of name changes
    {
      auto opened = open_store(dir.path(), &env);
      ASSERT_TRUE(opened.store) << opened.error;
      env.hold_background_work();
      for (int i = 0; i < kRetained; ++i) {
        auto m = std::make_shared<model::Message>();
        m->topic = "retained/" + std::to_string(i);
        m->payload.assign(64 * 1024, 'p');
        ASSERT_FALSE(commit(*opened.store, storage::Batch{{storage::PutRetained{m}}}));
      }
      storage::PutSession session;
      session.client_id = "acknowledged";
      session.expiry_interval = 60;
      ASSERT_FALSE(commit(*opened.store, storage::Batch{{session}}));
      changes = env.unsynced_name_changes();
      env.power_loss_keeping(keep);
    }
    env.restore();
    auto reopened = open_store(dir.path(), &env);
    ASSERT_TRUE(reopened.store) << reopened.error;
    EXPECT_EQ(reopened.state.retained.size(), static_cast<std::size_t>(kRetained));
    EXPECT_TRUE(reopened.state.sessions.contains("acknowledged"));
  }
}

}  // namespace
}  // namespace cairn::test
