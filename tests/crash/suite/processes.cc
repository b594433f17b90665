#include "suite/processes.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/free_port.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cairn::crashtest {
namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn_process(const std::vector<std::string>& args, const std::filesystem::path& log) {
  // Everything that allocates or takes a lock happens before fork(): the
  // suite has threads (its clients), and a child of a threaded process may
  // only call async-signal-safe functions until it execs.
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid != 0) {
    if (fd >= 0) ::close(fd);
    return pid;
  }
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);  // the copies do not inherit O_CLOEXEC
    ::dup2(fd, STDERR_FILENO);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

// --- BrokerUnderTest ---------------------------------------------------------------

BrokerUnderTest::BrokerUnderTest(Options options)
    : options_(std::move(options)), port_(test::free_port()), metrics_port_(test::free_port()) {
  while (metrics_port_ == port_) metrics_port_ = test::free_port();
}

BrokerUnderTest::~BrokerUnderTest() { stop(); }

bool BrokerUnderTest::spawn() {
  std::vector<std::string> args = {options_.binary};
  if (!options_.config.empty()) args.insert(args.end(), {"--config", options_.config});
  args.insert(args.end(), {"--listen", "127.0.0.1:" + std::to_string(port_), "--data-dir",
                           options_.data_dir.string(), "--metrics-listen",
                           "127.0.0.1:" + std::to_string(metrics_port_)});
  pid_ = spawn_process(args, options_.log);
  status_ = pid_ > 0 ? "running" : "fork failed";
  return pid_ > 0;
}

bool BrokerUnderTest::wait_listening(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!running()) return false;
    if (accepts(port_)) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return false;
}

bool BrokerUnderTest::listening() const { return accepts(port_); }

bool BrokerUnderTest::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = describe(status);
    pid_ = -1;
    return false;
  }
  return true;
}

void BrokerUnderTest::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = "killed";
  pid_ = -1;
}

void BrokerUnderTest::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (running() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
  kill();
}

std::string BrokerUnderTest::log_tail(std::size_t lines) const {
  std::ifstream in(options_.log);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += all[i] + "\n";
  }
  return out;
}

// --- PowerFs -------------------------------------------------------------------------

PowerFs::PowerFs(std::string binary, std::filesystem::path backing, std::filesystem::path mount)
    : binary_(std::move(binary)),
      backing_(std::move(backing)),
      mount_(std::move(mount)),
      status_(mount_.parent_path() / "powerfs.status") {}

PowerFs::~PowerFs() { unmount(); }

bool PowerFs::wait_status(const std::string& prefix, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::ifstream in(status_);
    std::string line;
    // "on N" whole ("on 1" is not "on 10"); "cut N " is followed by figures.
    const auto matches = [&] {
      return prefix.back() == ' ' ? line.rfind(prefix, 0) == 0 : line == prefix;
    };
    if (std::getline(in, line) && matches()) {
      std::istringstream words(line.substr(prefix.size()));
      std::uint64_t files = 0, bytes = 0, names = 0;
      if (words >> files >> bytes) bytes_discarded_ += bytes;
      if (words >> names) names_undone_ += names;
      return true;
    }
    if (pid_ > 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        why_ = "cairn-powerfs ended: " + describe(status);
        pid_ = -1;
        return false;
      }
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  why_ = "cairn-powerfs did not answer (" + prefix + ")";
  return false;
}

bool PowerFs::mount() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    why_ = "/dev/fuse is not available here";
    return false;
  }
  std::filesystem::create_directories(backing_);
  std::filesystem::create_directories(mount_);
  std::filesystem::remove(status_);
  pid_ = spawn_process({binary_, backing_.string(), mount_.string(), "--status", status_.string()},
                       mount_.parent_path() / "powerfs.log");
  return wait_status("on 0", milliseconds(10000));
}

bool PowerFs::cut() {
  if (pid_ <= 0) return false;
  ::kill(pid_, SIGUSR1);
  ++cuts_;
  return wait_status("cut " + std::to_string(cuts_) + " ", milliseconds(30000));
}

bool PowerFs::power_on() {
  if (pid_ <= 0) return false;
  ::kill(pid_, SIGUSR2);
  return wait_status("on " + std::to_string(cuts_), milliseconds(10000));
}

void PowerFs::unmount() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

// --- SmallVolume ----------------------------------------------------------------------

SmallVolume::SmallVolume(std::filesystem::path mountpoint, std::uint64_t size_bytes)
    : mount_(std::move(mountpoint)), size_(size_bytes) {}

SmallVolume::~SmallVolume() { unmount(); }

bool SmallVolume::mount() {
  std::error_code ec;
  std::filesystem::create_directories(mount_, ec);
  const std::string options = "size=" + std::to_string(size_) + ",mode=0755";
  if (::mount("cairn-crashtest", mount_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    why_ = "cannot mount a " + std::to_string(size_ >> 20) + " MiB tmpfs on " + mount_.string() +
           ": " + std::strerror(errno) + " (the disk mode needs root)";
    return false;
  }
  mounted_ = true;
  return true;
}

std::uint64_t SmallVolume::free_bytes() const {
  struct statvfs s {};
  if (::statvfs(mount_.c_str(), &s) != 0) return 0;
  return std::uint64_t{s.f_bavail} * s.f_frsize;
}

bool SmallVolume::fill_leaving(std::uint64_t free_bytes) {
  const std::uint64_t now = this->free_bytes();
  if (now <= free_bytes) return true;
  const int fd =
      ::open((mount_ / "ballast").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  struct stat st {};
  ::fstat(fd, &st);
  const int rc = ::posix_fallocate(fd, st.st_size, static_cast<off_t>(now - free_bytes));
  ::close(fd);
  return rc == 0;
}

bool SmallVolume::fill_completely() {
  const int fd =
      ::open((mount_ / "ballast").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  // What is free now, then smaller and smaller pieces of what the broker's
  // writes and the filesystem's own blocks leave, down to one page.
  int refused = 0;  // the last error: ENOSPC once full
  for (off_t piece = std::max<off_t>(static_cast<off_t>(free_bytes()), 4096); piece >= 4096;) {
    struct stat st {};
    ::fstat(fd, &st);
    refused = ::posix_fallocate(fd, st.st_size, piece);
    if (refused != 0) piece /= 2;
  }
  ::close(fd);
  return refused == ENOSPC;
}

void SmallVolume::release() {
  std::error_code ec;
  std::filesystem::remove(mount_ / "ballast", ec);
}

void SmallVolume::unmount() {
  if (!mounted_) return;
  // Lazily: a broker that has not been reaped yet may hold files open.
  ::umount2(mount_.c_str(), MNT_DETACH);
  mounted_ = false;
}

}  // namespace cairn::crashtest
