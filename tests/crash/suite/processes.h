// The processes cairn-crashtest drives: the broker under test, and the
// power-loss filesystem its data directory lives on in the power mode.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cairn::crashtest {

using std::chrono::milliseconds;

// The broker: `cairn [--config FILE] --listen 127.0.0.1:PORT --data-dir DIR
// --metrics-listen 127.0.0.1:PORT2`, its output appended to a log file.
class BrokerUnderTest {
 public:
  struct Options {
    std::string binary;
    std::string config;  // empty: none
    std::filesystem::path data_dir;
    std::filesystem::path log;
  };
  explicit BrokerUnderTest(Options options);
  ~BrokerUnderTest();
  BrokerUnderTest(const BrokerUnderTest&) = delete;
  BrokerUnderTest& operator=(const BrokerUnderTest&) = delete;

  // Starts the process (the same ports every time).
  bool spawn();
  // Until the listener accepts; false if the process ended or on timeout.
  bool wait_listening(milliseconds timeout);
  void kill();  // SIGKILL, and reaps it
  void stop();  // SIGTERM (SIGKILL after 10 s), and reaps it
  bool running();
  // Whether the listener accepts a connection now.
  bool listening() const;
  std::string status() const { return status_; }
  std::uint16_t port() const { return port_; }
  std::string log_tail(std::size_t lines) const;

 private:
  Options options_;
  std::uint16_t port_;
  std::uint16_t metrics_port_;
  pid_t pid_ = -1;
  std::string status_ = "not started";
};

// cairn-powerfs BACKING MOUNT --status FILE (tests/crash/powerfs).
class PowerFs {
 public:
  PowerFs(std::string binary, std::filesystem::path backing, std::filesystem::path mount);
  ~PowerFs();
  PowerFs(const PowerFs&) = delete;
  PowerFs& operator=(const PowerFs&) = delete;

  // Mounts; false (with why()) when FUSE is not available here.
  bool mount();
  // Every unsynced write discarded; all I/O fails until power_on().
  bool cut();
  bool power_on();
  void unmount();
  const std::string& why() const { return why_; }
  const std::filesystem::path& mountpoint() const { return mount_; }
  std::uint64_t bytes_discarded() const { return bytes_discarded_; }
  // Creates, renames and removals whose directory was not synced, undone.
  std::uint64_t names_undone() const { return names_undone_; }

 private:
  bool wait_status(const std::string& prefix, milliseconds timeout);

  std::string binary_;
  std::filesystem::path backing_;
  std::filesystem::path mount_;
  std::filesystem::path status_;
  pid_t pid_ = -1;
  int cuts_ = 0;
  std::uint64_t bytes_discarded_ = 0;
  std::uint64_t names_undone_ = 0;
  std::string why_;
};

// A small filesystem of its own for the data directory (a tmpfs with a size
// limit), and a ballast file that fills it: the disk mode's full disk.
class SmallVolume {
 public:
  SmallVolume(std::filesystem::path mountpoint, std::uint64_t size_bytes);
  ~SmallVolume();
  SmallVolume(const SmallVolume&) = delete;
  SmallVolume& operator=(const SmallVolume&) = delete;

  // False (with why()) when it cannot be mounted here (not root, say).
  bool mount();
  // Grows the ballast until `free_bytes` are left free.
  bool fill_leaving(std::uint64_t free_bytes);
  // Grows the ballast until not one more block fits: the next write to the
  // volume fails with ENOSPC.
  bool fill_completely();
  // Removes the ballast: the space returns.
  void release();
  std::uint64_t free_bytes() const;
  void unmount();
  const std::filesystem::path& mountpoint() const { return mount_; }
  const std::string& why() const { return why_; }

 private:
  std::filesystem::path mount_;
  std::uint64_t size_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace cairn::crashtest
