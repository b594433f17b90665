// DurableNamesEnv: the leveldb::Env layer that makes each name LevelDB
// creates durable before LevelDB writes anything it relies on under it
// (issue 17, item 8).
//
// fsync of a file makes its bytes durable, not its name: a directory entry
// (a create, a rename) is durable once its directory is fsynced (POSIX
// fsync(2); ext4 happens to commit it with the file's fsync, other
// filesystems and mount options need not). LevelDB's POSIX Env fsyncs the
// directory only when it syncs a MANIFEST, and:
//  - at each memtable switch it creates a new log and syncs acknowledged
//    writes into it before the background flush syncs the next MANIFEST: a
//    power cut in between can take the log's name, and with it every write
//    acknowledged since the switch;
//  - it renames CURRENT to its new MANIFEST and syncs nothing after it.
// So this layer fsyncs the directory after every file it creates, every
// rename and every directory it makes, before returning to LevelDB. It costs
// one directory fsync per new file (a log per memtable, a table per
// compaction output), off the per-message path.
//
// Removals are not synced: a removal lost in a cut leaves an obsolete file,
// which LevelDB deletes again at the next open (a log older than the
// MANIFEST's log number is not replayed).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <leveldb/env.h>
#include <leveldb/status.h>

namespace cairn::storage {

// An Env that simulates the disk (tests: PowerLossEnv) and so must see the
// directory syncs itself; the real disk gets fsync_directory().
class DirectorySync {
 public:
  virtual leveldb::Status sync_directory(const std::string& directory) = 0;

 protected:
  ~DirectorySync() = default;
};

// open(O_DIRECTORY) + fsync of `directory`.
leveldb::Status fsync_directory(const std::string& directory);

// mkdir -p of `directory`, fsyncing the parent of each directory it makes,
// so that a power cut never takes the data directory with everything synced
// into it.
leveldb::Status create_directories_durably(const std::string& directory);

class DurableNamesEnv final : public leveldb::EnvWrapper {
 public:
  // `target` outlives this Env. If it is a DirectorySync, directory syncs go
  // to it; otherwise to the real disk.
  explicit DurableNamesEnv(leveldb::Env* target);

  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;
  leveldb::Status CreateDir(const std::string& dirname) override;

  std::uint64_t directory_syncs() const noexcept {
    return directory_syncs_.load(std::memory_order_relaxed);
  }

 private:
  leveldb::Status sync_directory_of(const std::string& path);
  // A file LevelDB just opened for writing: on a failed directory sync it is
  // closed and the error returned, so nothing is written under a name that
  // may not survive.
  leveldb::Status after_create(const std::string& fname, leveldb::Status created,
                               leveldb::WritableFile** result);

  DirectorySync* const simulated_;  // null: the real disk
  std::atomic<std::uint64_t> directory_syncs_{0};
};

}  // namespace cairn::storage
