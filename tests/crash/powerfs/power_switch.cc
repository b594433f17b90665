#include "power_switch.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace powerfs {

void PowerSwitch::BlockControlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

PowerSwitch::PowerSwitch(int backing, std::string backing_path, std::string status_path)
    : backing_path_(std::move(backing_path)),
      status_path_(std::move(status_path)),
      names_(backing, backing_path_) {}

PowerSwitch::~PowerSwitch() { Stop(); }

void PowerSwitch::Stop() {
  if (!thread_.joinable()) return;
  // Wakes the sigwait; the flag tells it this SIGUSR2 is not a power-on.
  stopping_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

void PowerSwitch::Start(struct fuse* fuse) {
  fuse_ = fuse;
  WriteStatus("on 0");
  // The thread starts with every signal blocked, so that SIGTERM and SIGINT
  // reach the FUSE loop's thread and interrupt its read of /dev/fuse.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void PowerSwitch::Run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  while (true) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    if (stopping_) return;
    if (signo == SIGUSR1) Cut();
    if (signo == SIGUSR2) Restore();
  }
}

void PowerSwitch::Cut() {
  UndoLogs::CutResult result;
  std::size_t names = 0;
  int cuts = 0;
  {
    std::lock_guard lock(mutex_);
    // Contents first, through the logs' own descriptors, then the names:
    // a stashed file comes back with its durable bytes.
    result = logs_.RollbackAll();
    names = names_.Undo();
    on_ = false;
    cuts = ++cuts_;
  }
  // Outside the mutex: dropping a cached page waits for a read in flight,
  // which may be waiting for the mutex in the FUSE loop.
  InvalidateKernelCache(result.inodes);
  const std::string line = "cut " + std::to_string(cuts) + " " + std::to_string(result.files) +
                           " " + std::to_string(result.bytes) + " " + std::to_string(names);
  std::fprintf(stderr,
               "powerfs: cut: %zu files rolled back, %llu bytes discarded, %zu names undone\n",
               result.files, static_cast<unsigned long long>(result.bytes), names);
  WriteStatus(line);
}

void PowerSwitch::Restore() {
  int cuts = 0;
  {
    std::lock_guard lock(mutex_);
    on_ = true;
    cuts = cuts_;
  }
  std::fprintf(stderr, "powerfs: power on\n");
  WriteStatus("on " + std::to_string(cuts));
}

// The kernel may hold pages and sizes from before the rollback for files that
// are still open (a new open drops them, since kernel_cache is off). Finding
// the names of the rolled-back inodes takes a walk of the backing tree.
void PowerSwitch::InvalidateKernelCache(const std::vector<InodeKey>& inodes) {
  if (inodes.empty() || fuse_ == nullptr) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::recursive_directory_iterator it(backing_path_, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (std::find(inodes.begin(), inodes.end(), InodeKey{st.st_dev, st.st_ino}) == inodes.end()) {
      continue;
    }
    const std::string path = "/" + it->path().lexically_relative(backing_path_).string();
    // ENOENT only means the kernel does not know the file: nothing cached.
    fuse_invalidate_path(fuse_, path.c_str());
  }
}

// Written to a temporary file and renamed, so a poller never reads half a line.
void PowerSwitch::WriteStatus(const std::string& line) {
  if (status_path_.empty()) return;
  const std::string tmp = status_path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << line << '\n';
    if (!out.flush()) {
      std::fprintf(stderr, "powerfs: cannot write %s\n", tmp.c_str());
      return;
    }
  }
  if (std::rename(tmp.c_str(), status_path_.c_str()) != 0) {
    std::fprintf(stderr, "powerfs: rename %s: %s\n", tmp.c_str(), std::strerror(errno));
  }
}

}  // namespace powerfs
