// The names cairn-powerfs changed since each directory's last fsync: what a
// power cut undoes (issue 17, item 8). A file's fsync makes its bytes
// durable, not its name; a create, mkdir, rename, unlink or rmdir is durable
// once its directory is fsynced.
//
// Operations go through the journal, which performs them on the backing
// directory and records how to undo them. A file an unlink or a rename would
// destroy is moved into a hidden stash directory instead (its inode, and so
// its undo log, lives on), and deleted for good when the directory is synced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace powerfs {

class NameJournal {
 public:
  // The stash's name in the backing directory's root; hidden from listings.
  static constexpr std::string_view kStash = ".powerfs-stash";

  // `backing` is the backing directory's descriptor, `backing_path` its path.
  NameJournal(int backing, std::string backing_path);

  // Empties or makes the stash. 0 or -errno.
  int Start();

  // Relative paths throughout (as powerfs.cc's Rel()). Each returns 0 or
  // -errno; on failure nothing is recorded.
  void Created(const std::string& path);  // a file that did not exist was created
  int MakeDir(const std::string& path, unsigned mode);
  int RemoveDir(const std::string& path);
  int Unlink(const std::string& path);
  int Rename(const std::string& from, const std::string& to);

  // fsyncdir: every change in `directory` is durable.
  void DirectorySynced(const std::string& directory);

  // The cut: every change not yet durable undone, latest first. Returns how
  // many.
  std::size_t Undo();

 private:
  struct Change {
    enum class Kind { kCreated, kMadeDir, kRemovedDir, kRenamed, kUnlinked };
    Kind kind;
    std::string path;  // created, removed; a rename's new name
    std::string from;  // a rename's old name
    std::string kept;  // the stashed file an unlink or a rename over it destroyed
  };

  // Moves `path` into the stash; its stash path, or "" with *error set.
  std::string Stash(const std::string& path, int* error);
  void Drop(const Change& change);
  void UndoOne(const Change& change);

  const int backing_;
  const std::string backing_path_;
  std::uint64_t stashed_ = 0;
  std::vector<Change> changes_;  // in order
};

}  // namespace powerfs
