// cairn-powerfs: a FUSE passthrough filesystem that simulates power loss for
// the crash-recovery suite. Every operation is forwarded to the same relative
// path under BACKING_DIR; SIGUSR1 cuts the power (every write not yet made
// durable by fsync/fdatasync is rolled back, every name change not made
// durable by an fsync of its directory is undone, then every operation fails
// with EIO) and SIGUSR2 restores it. See README.md for the model and its limits.
//
// Usage: cairn-powerfs BACKING_DIR MOUNTPOINT [--foreground] [--status FILE]

#define FUSE_USE_VERSION 35
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>

#include "name_journal.h"
#include "power_switch.h"
#include "undo_log.h"
#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace powerfs {
namespace {

int g_backing = -1;  // BACKING_DIR, the base of every *at() call.
PowerSwitch* g_switch = nullptr;

// The lock every operation holds: the FUSE loop is single-threaded, but the
// signal thread that cuts the power is not.
using Guard = std::lock_guard<std::mutex>;

bool PowerOff() { return !g_switch->on(); }

// FUSE paths are absolute within the mount: "/a/b" is "a/b" under g_backing.
std::string Rel(const char* path) {
  std::string_view p = path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return p.empty() ? "." : std::string(p);
}

int Status(int rc) { return rc < 0 ? -errno : 0; }

// Truncation destroys the bytes past the new size: they are saved first.
int TruncateFd(int fd, off_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -errno;
  if (st.st_size == size) return 0;
  int error = 0;
  UndoLog* log = g_switch->logs().ForFd(fd, &error);
  if (log == nullptr) return error;
  if (size < st.st_size) {
    if (int rc = log->Preserve(size, st.st_size); rc != 0) return rc;
  }
  return Status(::ftruncate(fd, size));
}

// open and create. O_TRUNC goes through TruncateFd so the undo log sees it;
// O_APPEND is left to the kernel, which sends the offset of each write (on
// the backing fd it would make pwrite ignore that offset).
int OpenBacking(const char* path, int flags, mode_t mode, fuse_file_info* fi) {
  const int fd =
      ::openat(g_backing, Rel(path).c_str(), (flags & ~(O_TRUNC | O_APPEND)) | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  if ((flags & O_TRUNC) != 0 && (flags & O_ACCMODE) != O_RDONLY) {
    if (int rc = TruncateFd(fd, 0); rc != 0) {
      ::close(fd);
      return rc;
    }
  }
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int Fd(const fuse_file_info* fi) { return static_cast<int>(fi->fh); }

void* Init(fuse_conn_info* conn, fuse_config* cfg) {
  // The kernel must not answer for us: no cached attributes, names or pages
  // survive an open, and every write reaches the undo log at once.
  cfg->use_ino = 1;
  cfg->kernel_cache = 0;
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  // Unlink at once rather than hide open files as .fuse_hidden* in the
  // database directory; operations on open files then use the descriptor.
  cfg->hard_remove = 1;
  cfg->nullpath_ok = 1;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  return nullptr;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (fi != nullptr) return Status(::fstat(Fd(fi), st));
  if (path == nullptr) return -ENOENT;
  return Status(::fstatat(g_backing, Rel(path).c_str(), st, AT_SYMLINK_NOFOLLOW));
}

int Access(const char* path, int mask) {
  Guard guard(g_switch->mutex());
  return Status(::faccessat(g_backing, Rel(path).c_str(), mask, 0));
}

int ReadLink(const char* path, char* buf, size_t size) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  if (size == 0) return -EINVAL;
  const ssize_t n = ::readlinkat(g_backing, Rel(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

// An open directory: its stream, and its path for fsyncdir (with
// nullpath_ok, FUSE may not pass one).
struct OpenDirectory {
  DIR* dir;
  std::string path;
};

OpenDirectory* Dir(const fuse_file_info* fi) { return reinterpret_cast<OpenDirectory*>(fi->fh); }

int OpenDir(const char* path, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  const int fd = ::openat(g_backing, Rel(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int error = errno;
    ::close(fd);
    return -error;
  }
  fi->fh = reinterpret_cast<uint64_t>(new OpenDirectory{dir, Rel(path)});
  return 0;
}

int ReadDir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
            fuse_readdir_flags) {
  Guard guard(g_switch->mutex());
  DIR* dir = Dir(fi)->dir;
  // Offset 0 for every entry: libfuse takes the whole listing in one call.
  ::rewinddir(dir);
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) return -errno;
    if (NameJournal::kStash == entry->d_name) continue;
    struct stat st {};
    st.st_ino = entry->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(entry->d_type));
    if (filler(buf, entry->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) return 0;
  }
}

int ReleaseDir(const char*, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  OpenDirectory* dir = Dir(fi);
  ::closedir(dir->dir);
  delete dir;
  return 0;
}

// The directory's name changes are durable; a file they destroyed is gone
// for good, and with its last name its undo log.
int FsyncDir(const char*, int, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  g_switch->names().DirectorySynced(Dir(fi)->path);
  g_switch->logs().ForgetUnlinked();
  return 0;
}

// Name changes go through the journal, which can undo them (name_journal.h).
int MkDir(const char* path, mode_t mode) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  return g_switch->names().MakeDir(Rel(path), mode);
}

int RmDir(const char* path) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  return g_switch->names().RemoveDir(Rel(path));
}

int Unlink(const char* path) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  return g_switch->names().Unlink(Rel(path));
}

int Rename(const char* from, const char* to, unsigned int flags) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  // RENAME_EXCHANGE and RENAME_NOREPLACE are not needed by LevelDB.
  if (flags != 0) return -EINVAL;
  return g_switch->names().Rename(Rel(from), Rel(to));
}

int ChMod(const char* path, mode_t mode, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  if (fi != nullptr) return Status(::fchmod(Fd(fi), mode));
  if (path == nullptr) return -ENOENT;
  return Status(::fchmodat(g_backing, Rel(path).c_str(), mode, 0));
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  if (size < 0) return -EINVAL;
  if (fi != nullptr) return TruncateFd(Fd(fi), size);
  if (path == nullptr) return -ENOENT;
  const int fd = ::openat(g_backing, Rel(path).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  const int rc = TruncateFd(fd, size);
  ::close(fd);
  return rc;
}

int UTimens(const char* path, const struct timespec tv[2], fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  if (fi != nullptr) return Status(::futimens(Fd(fi), tv));
  if (path == nullptr) return -ENOENT;
  return Status(::utimensat(g_backing, Rel(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}

int Open(const char* path, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  return OpenBacking(path, fi->flags, 0, fi);
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  struct stat st {};
  const bool existed = ::fstatat(g_backing, Rel(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  const int rc = OpenBacking(path, fi->flags | O_CREAT, mode, fi);
  if (rc == 0 && !existed) g_switch->names().Created(Rel(path));
  return rc;
}

int Read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  const ssize_t n = ::pread(Fd(fi), buf, size, offset);
  return n < 0 ? -errno : static_cast<int>(n);
}

int Write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  if (offset < 0) return -EINVAL;
  int error = 0;
  UndoLog* log = g_switch->logs().ForFd(Fd(fi), &error);
  if (log == nullptr) return error;
  if (int rc = log->Preserve(offset, offset + static_cast<off_t>(size)); rc != 0) return rc;
  const ssize_t n = ::pwrite(Fd(fi), buf, size, offset);
  return n < 0 ? -errno : static_cast<int>(n);
}

int StatFs(const char*, struct statvfs* st) {
  Guard guard(g_switch->mutex());
  return Status(::fstatvfs(g_backing, st));
}

int Flush(const char*, fuse_file_info*) { return 0; }

int Release(const char*, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  ::close(Fd(fi));
  return 0;
}

// fsync and fdatasync alike: the file's content is durable, its log goes. The
// backing file is not synced: only the power of this layer is ever cut.
int Fsync(const char*, int, fuse_file_info* fi) {
  Guard guard(g_switch->mutex());
  if (PowerOff()) return -EIO;
  g_switch->logs().Forget(Fd(fi));
  return 0;
}

fuse_operations MakeOperations() {
  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.access = Access;
  ops.readlink = ReadLink;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.releasedir = ReleaseDir;
  ops.fsyncdir = FsyncDir;
  ops.mkdir = MkDir;
  ops.rmdir = RmDir;
  ops.unlink = Unlink;
  ops.rename = Rename;
  ops.chmod = ChMod;
  ops.truncate = Truncate;
  ops.utimens = UTimens;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.statfs = StatFs;
  ops.flush = Flush;
  ops.release = Release;
  ops.fsync = Fsync;
  // No lock/flock: the kernel then keeps LevelDB's LOCK locally, which is
  // enough with one process on the mount.
  return ops;
}

void Usage() {
  std::fprintf(stderr,
               "usage: cairn-powerfs BACKING_DIR MOUNTPOINT [--foreground] [--status FILE]\n"
               "  SIGUSR1 cuts the power (unsynced writes are rolled back, then every\n"
               "  operation fails with EIO); SIGUSR2 restores it. --status FILE holds\n"
               "  \"on <cuts>\" or \"cut <cuts> <files rolled back> <bytes discarded>\".\n"
               "  Always runs in the foreground (--foreground is accepted for clarity).\n");
}

}  // namespace
}  // namespace powerfs

int main(int argc, char** argv) {
  using namespace powerfs;
  // Before anything else: an early SIGUSR1 would otherwise kill the process.
  PowerSwitch::BlockControlSignals();

  std::string backing;
  std::string mountpoint;
  std::string status;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--foreground" || arg == "-f") continue;
    if (arg == "--status" && i + 1 < argc) {
      status = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      Usage();
      return 0;
    } else if (!arg.starts_with("-") && backing.empty()) {
      backing = arg;
    } else if (!arg.starts_with("-") && mountpoint.empty()) {
      mountpoint = arg;
    } else {
      Usage();
      return 1;
    }
  }
  if (backing.empty() || mountpoint.empty()) {
    Usage();
    return 1;
  }

  char resolved[PATH_MAX];
  if (::realpath(backing.c_str(), resolved) == nullptr) {
    std::fprintf(stderr, "powerfs: %s: %s\n", backing.c_str(), std::strerror(errno));
    return 2;
  }
  g_backing = ::open(resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_backing < 0) {
    std::fprintf(stderr, "powerfs: %s: %s\n", resolved, std::strerror(errno));
    return 2;
  }
  // The kernel has already applied the caller's umask to every mode we get.
  ::umask(0);

  PowerSwitch power(g_backing, resolved, status);
  g_switch = &power;
  if (int rc = power.names().Start(); rc != 0) {
    std::fprintf(stderr, "powerfs: cannot make %s/%s: %s\n", resolved,
                 std::string(NameJournal::kStash).c_str(), std::strerror(-rc));
    return 2;
  }

  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  fuse_opt_add_arg(&args, argv[0]);
  fuse_opt_add_arg(&args, "-o");
  fuse_opt_add_arg(&args, "default_permissions,fsname=cairn-powerfs,subtype=cairn-powerfs");
  const fuse_operations ops = MakeOperations();
  fuse* fuse = fuse_new(&args, &ops, sizeof(ops), nullptr);
  fuse_opt_free_args(&args);
  if (fuse == nullptr) return 2;
  if (fuse_mount(fuse, mountpoint.c_str()) != 0) {
    std::fprintf(stderr, "powerfs: cannot mount on %s\n", mountpoint.c_str());
    fuse_destroy(fuse);
    return 3;
  }
  fuse_session* session = fuse_get_session(fuse);
  // SIGTERM, SIGINT and SIGHUP end the loop; we unmount below.
  if (fuse_set_signal_handlers(session) != 0) {
    fuse_unmount(fuse);
    fuse_destroy(fuse);
    return 2;
  }
  power.Start(fuse);
  // Single-threaded on purpose (the -s of fuse_main).
  const int rc = fuse_loop(fuse);
  power.Stop();
  fuse_remove_signal_handlers(session);
  fuse_unmount(fuse);
  fuse_destroy(fuse);
  ::close(g_backing);
  // fuse_loop returns the number of the signal that ended it: a clean exit.
  return rc < 0 ? 1 : 0;
}
