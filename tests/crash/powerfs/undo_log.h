// The power-loss model of cairn-powerfs: what a power cut would take back.
//
// Writes reach the backing file at once (reads stay a plain passthrough);
// before a write or a truncation destroys bytes that were durable, the undo
// log saves them. A power cut puts them back and truncates the file to its
// size at the last sync; fsync/fdatasync makes the current content durable by
// forgetting the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include <sys/types.h>

namespace powerfs {

// A backing file, whatever its name: a log survives renames.
struct InodeKey {
  dev_t dev = 0;
  ino_t ino = 0;
  auto operator<=>(const InodeKey&) const = default;
};

// The undo log of one backing inode since its last sync.
class UndoLog {
 public:
  // Takes ownership of `fd` (open for reading and writing on the inode) and
  // records `durable_size`, the size the file has now: content with no log is
  // durable.
  UndoLog(int fd, off_t durable_size);
  ~UndoLog();
  UndoLog(UndoLog&& other) noexcept;
  UndoLog& operator=(UndoLog&&) = delete;
  UndoLog(const UndoLog&) = delete;
  UndoLog& operator=(const UndoLog&) = delete;

  // Saves the durable bytes of [begin, end) that no earlier call saved, before
  // the caller overwrites or truncates them away. Bytes at or past the durable
  // size need no saving: the rollback truncates them off. Returns 0 or -errno
  // (then the caller must not destroy the bytes).
  int Preserve(off_t begin, off_t end);

  // Puts the durable content back: the saved bytes, then the durable size.
  // Returns the number of bytes discarded (restored plus truncated off).
  std::uint64_t Rollback();

  int fd() const { return fd_; }

 private:
  int fd_;
  off_t durable_size_;
  // Non-overlapping saved ranges by offset: only the first pre-image of a byte
  // since the sync is the durable one, so the order of restoring is free.
  std::map<off_t, std::vector<char>> saved_;
};

// Every inode with unsynced changes.
class UndoLogs {
 public:
  // The log of the inode `fd` is open on, created on first use (then the
  // inode's current size is its durable size). Sets *error to -errno and
  // returns nullptr on failure.
  UndoLog* ForFd(int fd, int* error);

  // fsync/fdatasync: the inode's content is durable now.
  void Forget(int fd);

  // After an unlink or a rename over a file: a log whose inode has no name
  // left can never be seen again, so it need not keep the inode alive.
  void ForgetUnlinked();

  struct CutResult {
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    std::vector<InodeKey> inodes;
  };
  // The power cut: every log rolled back, then forgotten.
  CutResult RollbackAll();

 private:
  std::map<InodeKey, UndoLog> logs_;
};

}  // namespace powerfs
