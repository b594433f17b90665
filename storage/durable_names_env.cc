#include "storage/durable_names_env.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::storage {
namespace {

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

leveldb::Status io_error(const std::string& what, int error) {
  return leveldb::Status::IOError(what, std::strerror(error));
}

}  // namespace

leveldb::Status fsync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory " + directory + " to sync it", errno);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return io_error("cannot sync directory " + directory, error);
  return leveldb::Status::OK();
}

leveldb::Status create_directories_durably(const std::string& directory) {
  // The directories to make, outermost first.
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (std::filesystem::path p = std::filesystem::absolute(directory, ec);
       !ec && !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.insert(missing.begin(), p);
    if (p == p.parent_path()) break;
  }
  if (ec) return leveldb::Status::IOError(directory, ec.message());
  for (const std::filesystem::path& p : missing) {
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
      return io_error("cannot create directory " + p.string(), errno);
    }
    leveldb::Status s = fsync_directory(p.parent_path().string());
    if (!s.ok()) return s;
  }
  return leveldb::Status::OK();
}

DurableNamesEnv::DurableNamesEnv(leveldb::Env* target)
    : leveldb::EnvWrapper(target), simulated_(dynamic_cast<DirectorySync*>(target)) {}

leveldb::Status DurableNamesEnv::NewWritableFile(const std::string& fname,
                                                 leveldb::WritableFile** result) {
  return after_create(fname, target()->NewWritableFile(fname, result), result);
}

leveldb::Status DurableNamesEnv::NewAppendableFile(const std::string& fname,
                                                   leveldb::WritableFile** result) {
  if (target()->FileExists(fname)) return target()->NewAppendableFile(fname, result);
  return after_create(fname, target()->NewAppendableFile(fname, result), result);
}

leveldb::Status DurableNamesEnv::RenameFile(const std::string& from, const std::string& to) {
  leveldb::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  // LevelDB renames only within its directory; a rename across two would
  // need both synced.
  if (parent_of(from) != parent_of(to)) {
    s = sync_directory_of(from);
    if (!s.ok()) return s;
  }
  return sync_directory_of(to);
}

leveldb::Status DurableNamesEnv::CreateDir(const std::string& dirname) {
  leveldb::Status s = target()->CreateDir(dirname);
  // LevelDB calls it on every open and ignores the error of an existing one.
  if (!s.ok()) return s;
  return sync_directory_of(dirname);
}

leveldb::Status DurableNamesEnv::sync_directory_of(const std::string& path) {
  directory_syncs_.fetch_add(1, std::memory_order_relaxed);
  const std::string directory = parent_of(path);
  return simulated_ != nullptr ? simulated_->sync_directory(directory) : fsync_directory(directory);
}

leveldb::Status DurableNamesEnv::after_create(const std::string& fname, leveldb::Status created,
                                              leveldb::WritableFile** result) {
  if (!created.ok()) return created;
  leveldb::Status s = sync_directory_of(fname);
  if (!s.ok()) {
    delete *result;
    *result = nullptr;
  }
  return s;
}

}  // namespace cairn::storage
