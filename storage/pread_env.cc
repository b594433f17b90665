#include "storage/pread_env.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace cairn::storage {
namespace {

leveldb::Status io_error(const std::string& fname, int error) {
  if (error == ENOENT) return leveldb::Status::NotFound(fname, std::strerror(error));
  return leveldb::Status::IOError(fname, std::strerror(error));
}

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }
  PreadFile(const PreadFile&) = delete;
  PreadFile& operator=(const PreadFile&) = delete;

  // Thread-safe, as LevelDB requires: pread does not move a file offset.
  leveldb::Status Read(std::uint64_t offset, std::size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    std::size_t done = 0;
    while (done < n) {
      const ::ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = leveldb::Slice(scratch, 0);
        return io_error(fname_, errno);
      }
      if (r == 0) break;  // the end of the file: a short read, as LevelDB's own
      done += static_cast<std::size_t>(r);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  const std::string fname_;
  const int fd_;
};

}  // namespace

leveldb::Status PreadEnv::NewRandomAccessFile(const std::string& fname,
                                              leveldb::RandomAccessFile** result) {
  *result = nullptr;
  const int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(fname, errno);
  *result = new PreadFile(fname, fd);
  return leveldb::Status::OK();
}

}  // namespace cairn::storage
