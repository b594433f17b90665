#include "undo_log.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace powerfs {
namespace {

// A full pread, short only at end of file. Returns the bytes read or -errno.
ssize_t ReadFully(int fd, char* buf, std::size_t size, off_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buf + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool WriteFully(int fd, const char* buf, std::size_t size, off_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, buf + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

UndoLog::UndoLog(int fd, off_t durable_size) : fd_(fd), durable_size_(durable_size) {}

UndoLog::~UndoLog() {
  if (fd_ >= 0) ::close(fd_);
}

UndoLog::UndoLog(UndoLog&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      durable_size_(other.durable_size_),
      saved_(std::move(other.saved_)) {}

int UndoLog::Preserve(off_t begin, off_t end) {
  end = std::min(end, durable_size_);
  off_t pos = begin;
  // Skip the part of [begin, end) inside the saved range that starts before it.
  auto next = saved_.upper_bound(pos);
  if (next != saved_.begin()) {
    const auto& [offset, bytes] = *std::prev(next);
    pos = std::max(pos, offset + static_cast<off_t>(bytes.size()));
  }
  while (pos < end) {
    next = saved_.lower_bound(pos);
    const off_t gap_end = next == saved_.end() ? end : std::min(end, next->first);
    if (gap_end > pos) {
      std::vector<char> bytes(static_cast<std::size_t>(gap_end - pos));
      const ssize_t n = ReadFully(fd_, bytes.data(), bytes.size(), pos);
      if (n < 0) return static_cast<int>(n);
      // Short only if the file shrank behind our back; what is missing was a
      // hole or is gone anyway.
      bytes.resize(static_cast<std::size_t>(n));
      if (!bytes.empty()) saved_.emplace(pos, std::move(bytes));
    }
    if (next == saved_.end()) break;
    pos = next->first + static_cast<off_t>(next->second.size());
  }
  return 0;
}

std::uint64_t UndoLog::Rollback() {
  std::uint64_t discarded = 0;
  for (const auto& [offset, bytes] : saved_) {
    if (!WriteFully(fd_, bytes.data(), bytes.size(), offset)) {
      std::fprintf(stderr, "powerfs: rollback: pwrite: %s\n", std::strerror(errno));
    }
    discarded += bytes.size();
  }
  saved_.clear();
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > durable_size_) {
    discarded += static_cast<std::uint64_t>(st.st_size - durable_size_);
  }
  if (::ftruncate(fd_, durable_size_) != 0) {
    std::fprintf(stderr, "powerfs: rollback: ftruncate: %s\n", std::strerror(errno));
  }
  return discarded;
}

UndoLog* UndoLogs::ForFd(int fd, int* error) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    *error = -errno;
    return nullptr;
  }
  const InodeKey key{st.st_dev, st.st_ino};
  if (auto it = logs_.find(key); it != logs_.end()) return &it->second;
  // A descriptor of our own, readable (the caller's may be write-only) and
  // bound to the inode rather than to a name that a rename may take away.
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const int own = ::open(proc.c_str(), O_RDWR | O_CLOEXEC);
  if (own < 0) {
    *error = -errno;
    return nullptr;
  }
  return &logs_.emplace(key, UndoLog(own, st.st_size)).first->second;
}

void UndoLogs::Forget(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0) logs_.erase(InodeKey{st.st_dev, st.st_ino});
}

void UndoLogs::ForgetUnlinked() {
  std::erase_if(logs_, [](const auto& entry) {
    struct stat st {};
    return ::fstat(entry.second.fd(), &st) == 0 && st.st_nlink == 0;
  });
}

UndoLogs::CutResult UndoLogs::RollbackAll() {
  CutResult result;
  for (auto& [key, log] : logs_) {
    result.bytes += log.Rollback();
    result.inodes.push_back(key);
  }
  result.files = logs_.size();
  logs_.clear();
  return result;
}

}  // namespace powerfs
