// PowerLossEnv: a leveldb::Env that can cut the power (DESIGN.md §7).
//
// It wraps a real Env on a real directory and remembers, for every file opened
// for writing through it, how many bytes the last successful Sync() made
// durable, and which files were created since their directory was last synced.
// power_loss() then leaves on disk what a machine would find after a power cut:
// every byte that was written but not synced is gone. The model is LevelDB's
// own db/fault_injection_test.cc (FaultInjectionTestEnv):
//
//  - As there, a file's durable size is its size at its last successful
//    Sync(), 0 for a file NewWritableFile created (or emptied).
//  - Unlike there, a name is durable only once its directory is synced
//    (issue 17, item 8): a file's fsync makes its bytes durable, not its
//    name. Every create, rename and removal since the directory's last sync is
//    undone by the cut, in reverse order (a removed file comes back with what
//    of it was durable; a file renamed over comes back under its name), unless
//    power_loss_keeping(n) keeps the first n of them, as a journal that had
//    committed some would. A directory is synced by sync_directory()
//    (storage::DirectorySync: what DurableNamesEnv calls) and, as LevelDB's
//    POSIX Env does, by every Sync() of a MANIFEST. LevelDB's test instead
//    counts a new file's sync as its directory's and never undoes a rename
//    or a removal: under that model LevelDB alone loses nothing, while under
//    this one it loses every write acknowledged into a log created since the
//    last MANIFEST sync.
//  - Unlike there, the power goes while the database is still open, so a
//    file's state is tracked as it is written, not recorded at Close(); from
//    power_loss() on every operation that would change the disk fails (that
//    test only stops recording and lets writes through), so the dying database
//    cannot write after the cut; restore() must come after it is deleted.
//  - Unlike there, a file NewAppendableFile opens that existed untracked keeps
//    its bytes on disk (that test would truncate it to 0).
//  - Unlike there, a failed Sync() freezes the file's durable size for good: a
//    later Sync() of that file reports success but makes nothing more durable,
//    as Linux may drop the dirty pages of a failed fsync and report success on
//    the retry ("fsyncgate"; DESIGN.md §5). So a store that retries a failed
//    sync and acknowledges loses the acknowledged data at the next
//    power_loss(), and a test can see it (D8).
//  - Unlike there, the real fsync is skipped unless asked for (RealFsync).
//
// Thread-safe: LevelDB writes tables and the MANIFEST from its background
// thread while the writer thread appends to the log.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <leveldb/env.h>
#include <leveldb/status.h>

#include "storage/durable_names_env.h"

namespace cairn::test {

class PowerLossEnv final : public leveldb::EnvWrapper, public storage::DirectorySync {
 public:
  // Whether Sync() also fsyncs the real file. The simulation does not need it:
  // power_loss() alone decides what survives, so by default a sync costs no
  // disk flush and the tests stay fast.
  enum class RealFsync { kNo, kYes };

  // `target` must be an Env on the real filesystem (power_loss() truncates
  // with std::filesystem) and outlive this Env; the default belongs to LevelDB.
  explicit PowerLossEnv(RealFsync real_fsync = RealFsync::kNo,
                        leveldb::Env* target = leveldb::Env::Default());
  ~PowerLossEnv() override;

  // Cuts the power. Every later write, sync, file creation, rename or removal
  // fails with an IOError until restore(). Then undoes every name change
  // since its directory's last sync, latest first, and truncates each tracked
  // file to its durable size. Then runs the background work held by
  // hold_background_work(), which fails. Calling it again before restore()
  // does nothing.
  void power_loss() { power_loss_keeping(0); }
  // The same, but the first `name_changes` unsynced name changes (in the
  // order they were made) survive, as if the filesystem's journal had
  // committed them on its own.
  void power_loss_keeping(std::size_t name_changes);
  // Name changes (creates, renames, removals) not yet made durable by a
  // directory sync: what power_loss_keeping() may keep.
  std::size_t unsynced_name_changes() const;
  // LevelDB's background work (memtable flushes, compactions) scheduled from
  // now on waits until the cut: a test decides that the cut comes before the
  // flush syncs the next MANIFEST, instead of racing it.
  void hold_background_work();

  // Powers the machine back on: the next database opened on this Env works
  // normally, with fresh tracking (after power_loss() every byte on disk is
  // durable). Disarms pending fault injections. Requires power_loss() before,
  // and every file opened before it closed (delete the database first): a
  // file object of the dead database stays dead anyway.
  void restore();

  // The n-th Append() (n >= 1, counted from now, on any file) fails with an
  // IOError and writes nothing; the writes before and after it succeed.
  void fail_writes_after(int n);
  // The n-th Sync() (n >= 1, counted from now, on any file) fails with an
  // IOError, syncs nothing, and freezes that file's durable size (see above);
  // the syncs before and after it report success.
  void fail_syncs_after(int n);

  // How many times Sync() was called on files opened through this Env since it
  // was made, failed calls included: a test compares it before and after.
  int syncs() const { return syncs_.load(std::memory_order_relaxed); }

  // leveldb::Env: the operations that change the disk.
  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& fname) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;
  leveldb::Status CreateDir(const std::string& dirname) override;
  leveldb::Status RemoveDir(const std::string& dirname) override;
  leveldb::Status NewLogger(const std::string& fname, leveldb::Logger** result) override;
  // Hides the files it keeps for undoing removals and renames.
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* result) override;
  void Schedule(void (*function)(void*), void* arg) override;
  // storage::DirectorySync: makes every name change in `directory` durable.
  leveldb::Status sync_directory(const std::string& directory) override;

 private:
  class File;
  friend class File;

  // What a power cut leaves of a file written through this Env.
  struct Durability {
    std::uint64_t synced_size = 0;
    bool sync_failed = false;  // synced_size is frozen (fsyncgate)
  };
  // A change to a directory's names since its last sync: what the cut undoes.
  struct NameChange {
    enum class Kind { kCreated, kCreatedDir, kRenamed, kRemoved };
    NameChange(Kind k, std::string n, std::string f = {})
        : kind(k), name(std::move(n)), from(std::move(f)) {}
    Kind kind;
    std::string name;  // the name created or removed; a rename's new name
    std::string from;  // a rename's old name
    // A removed file, or the file a rename replaced, kept under a hidden name
    // until the directory is synced ("" if none), and its tracking.
    std::string kept;
    std::optional<Durability> kept_durability;
  };

  // These two lock mu_ themselves (sync() not during the fsync).
  leveldb::Status open_file(const std::string& fname, bool append, leveldb::WritableFile** result);
  leveldb::Status sync(File& file);
  // These need mu_ held.
  leveldb::Status append(File& file, const leveldb::Slice& data);
  bool alive(const File& file) const;
  void file_closed(const File& file);
  bool take_fault(int& countdown);
  void directory_synced(const std::string& directory);
  // Moves `name` (and its tracking) aside to a hidden name, for undoing.
  void keep_aside(const std::string& name, NameChange& change);
  void undo(const NameChange& change);
  void forget(const NameChange& change);
  void drop_unsynced(std::size_t keep);

  const RealFsync real_fsync_;
  mutable std::mutex mu_;
  bool powered_ = true;
  // Files opened before the last restore() belong to an older epoch: dead.
  std::uint64_t epoch_ = 0;
  int open_files_ = 0;  // Files of the current epoch not yet deleted
  std::map<std::string, Durability> tracked_;
  std::vector<NameChange> name_changes_;  // since each one's directory's last sync, in order
  std::uint64_t kept_files_ = 0;          // names the hidden files
  bool hold_background_ = false;
  std::vector<std::pair<void (*)(void*), void*>> held_background_;
  int writes_until_failure_ = 0;  // 0: disarmed
  int syncs_until_failure_ = 0;   // 0: disarmed
  std::atomic<int> syncs_{0};
};

}  // namespace cairn::test
