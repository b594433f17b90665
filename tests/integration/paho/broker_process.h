// BrokerProcess: the real cairn executable, started on a free ephemeral port
// with a fresh data directory and its log captured to a file; it can be
// killed and started again on the same port and directory, as a crash and a
// restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace cairn::paho_test {

class BrokerProcess {
 public:
  // `config_toml` is written to a cairn.toml passed with --config; empty
  // means no configuration file (every default).
  explicit BrokerProcess(std::string config_toml = {});
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  // Starts cairn and waits until it logs that it listens. The first start
  // picks a free port; a later one (after stop() or kill()) is a restart of
  // the same broker: the same port, the same data directory. On failure
  // returns false; log() then says why.
  bool start();
  // SIGTERM, then SIGKILL if it has not exited after a few seconds.
  void stop();
  // SIGKILL at once, as a crash: cairn gets no chance to flush or close
  // anything, and the data directory is kept for the next start().
  void kill();
  // Whether the process is still running (false once it exited or crashed).
  bool running();
  // How it ended, for a failure message: "running", "exit 1", "signal 11".
  std::string status();

  std::uint16_t port() const { return port_; }
  std::string uri() const;  // tcp://127.0.0.1:PORT, for Paho
  std::string log() const;  // everything it has logged so far, over every start
  // Waits until the log contains `needle`; false on timeout.
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) const;

 private:
  bool start_once(std::uint16_t port);

  std::string config_toml_;
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  std::uint16_t port_ = 0;
  bool started_ = false;          // it has listened once: a start is a restart
  std::uintmax_t log_start_ = 0;  // where this run's lines begin in the log
  pid_t pid_ = -1;
  int wait_status_ = 0;
  bool exited_ = false;
};

}  // namespace cairn::paho_test
