// The power switch of cairn-powerfs: SIGUSR1 cuts the power, SIGUSR2 brings it
// back. Signals are taken by sigwait on a thread of their own, so a cut runs as
// ordinary code under the same mutex as every FUSE operation.
#pragma once

#define FUSE_USE_VERSION 35
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "name_journal.h"
#include "undo_log.h"
#include <fuse.h>

namespace powerfs {

class PowerSwitch {
 public:
  // Blocks SIGUSR1 and SIGUSR2 in the calling thread and in every thread it
  // starts later: call first thing in main, or a signal sent early kills us.
  static void BlockControlSignals();

  // `status_path` (may be empty) is rewritten atomically at every change:
  // "on <cuts>" or "cut <cuts> <files rolled back> <bytes discarded> <names
  // undone>". `backing` is the backing directory's descriptor.
  PowerSwitch(int backing, std::string backing_path, std::string status_path);
  ~PowerSwitch();
  PowerSwitch(const PowerSwitch&) = delete;
  PowerSwitch& operator=(const PowerSwitch&) = delete;

  // Once mounted: writes "on 0" and starts taking signals. `fuse` is used to
  // drop the kernel's cached pages of the files a cut rolls back.
  void Start(struct fuse* fuse);
  // Stops taking signals (before the fuse instance goes away); idempotent.
  void Stop();

  // Every FUSE operation holds this while it runs.
  std::mutex& mutex() { return mutex_; }
  // With mutex() held.
  bool on() const { return on_; }
  UndoLogs& logs() { return logs_; }
  NameJournal& names() { return names_; }

 private:
  void Run();
  void Cut();
  void Restore();
  void InvalidateKernelCache(const std::vector<InodeKey>& inodes);
  void WriteStatus(const std::string& line);

  const std::string backing_path_;
  const std::string status_path_;
  struct fuse* fuse_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  bool on_ = true;
  int cuts_ = 0;
  UndoLogs logs_;
  NameJournal names_;
};

}  // namespace powerfs
