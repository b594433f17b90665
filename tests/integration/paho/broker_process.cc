#include "integration/paho/broker_process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/free_port.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CAIRN_BINARY
#error "CAIRN_BINARY (the path of the cairn executable) must be defined by the build"
#endif

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kListening = "cairn listening on";
constexpr int kStartAttempts = 5;

std::string cairn_binary() {
  // An override for running the suite against another build.
  if (const char* path = std::getenv("CAIRN_BINARY"); path != nullptr && *path != '\0') {
    return path;
  }
  return CAIRN_BINARY;
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cairn-paho-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return {};
  }
  return std::filesystem::path(buffer.data());
}

}  // namespace

using test::free_port;

BrokerProcess::BrokerProcess(std::string config_toml)
    : config_toml_(std::move(config_toml)), dir_(make_temp_dir()) {}

BrokerProcess::~BrokerProcess() {
  stop();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

std::string BrokerProcess::uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

bool BrokerProcess::start() {
  if (dir_.empty()) return false;
  // Another process may take a port between free_port() and cairn's bind
  // (the MQTT port or the metrics one): cairn then exits 1 and the start is
  // tried again.
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    // A restart keeps the port, since its clients reconnect to the same
    // address; cairn binds with SO_REUSEADDR, so the previous run's
    // connections in TIME_WAIT do not hold it.
    const std::uint16_t port = started_ ? port_ : free_port();
    if (port != 0 && start_once(port)) {
      started_ = true;
      return true;
    }
    if (running()) return false;  // running but not listening: do not retry
  }
  return false;
}

bool BrokerProcess::start_once(std::uint16_t port) {
  port_ = port;
  log_path_ = dir_ / "cairn.log";
  // The log file is appended to by every run: this run's "listening" line is
  // the one after what is there now.
  std::error_code no_file;
  log_start_ = std::filesystem::file_size(log_path_, no_file);
  if (no_file) log_start_ = 0;
  std::vector<std::string> args = {cairn_binary(),
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir",
                                   (dir_ / "data").string(),
                                   "--metrics-listen",
                                   "127.0.0.1:" + std::to_string(free_port()),
                                   "--log-level",
                                   "debug"};
  if (!config_toml_.empty()) {
    const std::filesystem::path config = dir_ / "cairn.toml";
    std::ofstream(config) << config_toml_;
    args.push_back("--config");
    args.push_back(config.string());
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ADD_FAILURE() << "open " << log_path_ << ": " << std::strerror(errno);
    return false;
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // The broker must not outlive a test process that crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return false;
  }
  exited_ = false;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    const std::string text = log();
    if (text.size() > log_start_ && text.find(kListening, log_start_) != std::string::npos) {
      return true;
    }
    if (!running()) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

bool BrokerProcess::running() {
  if (pid_ <= 0 || exited_) return false;
  const pid_t r = ::waitpid(pid_, &wait_status_, WNOHANG);
  if (r == pid_) exited_ = true;
  return !exited_;
}

std::string BrokerProcess::status() {
  if (pid_ <= 0) return "not started";
  if (running()) return "running";
  if (WIFEXITED(wait_status_)) return "exit " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return "signal " + std::to_string(WTERMSIG(wait_status_));
  return "ended";
}

void BrokerProcess::stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  // cairn gives connected clients up to 2 s to go at shutdown.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (running() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &wait_status_, 0);
    exited_ = true;
  }
}

void BrokerProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &wait_status_, 0);
  exited_ = true;
}

std::string BrokerProcess::log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool BrokerProcess::wait_for_log(std::string_view needle, milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (log().find(needle) != std::string::npos) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

}  // namespace cairn::paho_test
