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
//  - As there, a directory counts as synced when a file created in it since
//    its last sync is synced (that test's SyncParent()), which makes every name
//    created in it durable. The real POSIX Env fsyncs the directory only when
//    it syncs a MANIFEST, but LevelDB renames CURRENT and creates logs without
//    syncing the directory afterwards: under that stricter model a cut after
//    any open takes CURRENT (we tried: the tables go with it). Like that test,
//    we assume a filesystem on which the fsync of a new file also makes its
//    name durable.
//  - As there, renames and removals are durable at once and never undone; a
//    rename carries the file's tracking (durable size, "created since the last
//    directory sync") to the new name.
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
#include <set>
#include <string>

#include <leveldb/env.h>
#include <leveldb/status.h>

namespace cairn::test {

class PowerLossEnv final : public leveldb::EnvWrapper {
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
  // fails with an IOError until restore(). Then truncates each tracked file to
  // its durable size and deletes each file created since its directory's last
  // sync. Calling it again before restore() does nothing.
  void power_loss();

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

 private:
  class File;
  friend class File;

  // What a power cut leaves of a file written through this Env.
  struct Durability {
    std::uint64_t synced_size = 0;
    bool sync_failed = false;  // synced_size is frozen (fsyncgate)
  };

  // These two lock mu_ themselves (sync() not during the fsync).
  leveldb::Status open_file(const std::string& fname, bool append, leveldb::WritableFile** result);
  leveldb::Status sync(File& file);
  // These need mu_ held.
  leveldb::Status append(File& file, const leveldb::Slice& data);
  bool alive(const File& file) const;
  void file_closed(const File& file);
  bool take_fault(int& countdown);
  void directory_synced(const std::string& fname);
  void drop_unsynced();

  const RealFsync real_fsync_;
  std::mutex mu_;
  bool powered_ = true;
  // Files opened before the last restore() belong to an older epoch: dead.
  std::uint64_t epoch_ = 0;
  int open_files_ = 0;  // Files of the current epoch not yet deleted
  std::map<std::string, Durability> tracked_;
  std::set<std::string> created_since_dir_sync_;
  int writes_until_failure_ = 0;  // 0: disarmed
  int syncs_until_failure_ = 0;   // 0: disarmed
  std::atomic<int> syncs_{0};
};

}  // namespace cairn::test
