// One crash mode of cairn-crashtest: a fresh broker and data directory, the
// workload, and `cycles` crashes, each followed by a restart and the checks.
//
// Modes:
//   sigkill   the broker is SIGKILLed at a random moment under load;
//   power     SIGKILL, then the power cut of cairn-powerfs (every write not
//             synced is discarded) under the data directory;
//   recovery  SIGKILL under load, then the restarting broker is killed again
//             at a random moment while it starts (recovering its store),
//             before it is started for good;
//   disk      the data directory is on a small tmpfs; during the load a
//             ballast file fills it below the broker's free-space guard, then
//             goes: QoS 1/2 publishes must be refused (MQTT 5: reason code
//             0x97) while it is full and accepted again once the space has
//             returned; then SIGKILL as in the sigkill mode;
//   enospc    the data directory is on a small tmpfs and cairn has no
//             free-space guard; during the load a ballast file fills the
//             volume completely: the next write fails, and cairn must exit 75
//             by itself (its store latched); the space returns and cairn is
//             started again, as systemd would.
//
// The checks, after every restart, over every cycle so far:
//   - both persistent subscribers (MQTT 3.1.1 Clean Session 0, MQTT 5 Session
//     Expiry) and the publishers come back with Session Present 1, without
//     subscribing again;
//   - every acknowledged message (PUBACK for QoS 1, PUBREC for QoS 2) reaches
//     both subscribers, at least once for QoS 1 and exactly once for QoS 2;
//   - nothing arrives that was never published;
//   - a new client is sent the last acknowledged retained update, or a later
//     one (an update in flight at the crash may have been stored).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "suite/report.h"

namespace cairn::crashtest {

struct ModeOptions {
  std::string mode;
  std::string cairn;           // the broker binary
  std::string config;          // its configuration file; empty: none
  std::string powerfs;         // the cairn-powerfs binary (power mode)
  std::filesystem::path work;  // this mode's directory: data, logs
  int cycles = 20;
  std::uint64_t seed = 0;
  int min_load_ms = 150;
  int max_load_ms = 450;
  // The disk mode: the broker's storage.min_free_space_mb (cairn's default).
  std::uint64_t disk_guard_mb = 256;
  bool verbose = false;
};

ModeResult run_mode(const ModeOptions& options);

}  // namespace cairn::crashtest
