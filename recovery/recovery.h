// recovery/: the broker's state rebuilt from the durable store at start-up
// (DESIGN.md D6), and the offline check and repair of a store.
//
// recover() opens the store and reads back everything it holds; the app
// loads that into the broker (Broker::restore) before any listener opens,
// and logs the report as one line. A damaged store is refused with a message
// naming the problem and the repair command; `cairn check` and `cairn repair`
// are check_store() and repair_store().
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>

#include "storage/leveldb_store.h"
#include "storage/stored_state.h"

namespace cairn::recovery {

struct RecoveryReport {
  storage::LoadReport load;
  // Queued deliveries that go out again with their recorded packet
  // identifier (QoS 2 PUBLISH with DUP, or PUBREL) when their client returns.
  std::size_t inflight = 0;
  // Queued deliveries left on disk, read back as their clients take them (D7).
  std::size_t on_disk = 0;
  std::chrono::steady_clock::duration duration{};

  // One line for the log: every count, orphans repaired, the time it took.
  std::string summary() const;
};

struct Recovered {
  std::unique_ptr<storage::LeveldbStore> store;  // null on error
  storage::StoredState state;
  RecoveryReport report;
  std::string error;  // names the problem and, for damage, `cairn repair`
};

// Opens (creating if need be) the store of options.directory and reads it
// back. options.mode must be kOpen.
Recovered recover(const storage::LeveldbStore::Options& options);

// `cairn check --data-dir DIR`: reads the store without changing it and
// prints what it holds and any problem. Exit code: 0 consistent (orphans,
// which the next start removes, are reported but harmless), 1 damaged or
// unreadable.
int check_store(const std::string& data_dir, std::ostream& out);

// `cairn repair --data-dir DIR`: LevelDB's repair, then drops every record
// that cannot be read and every delivery whose message is gone, printing what
// it dropped. Exit code: 0 repaired (or nothing to repair), 1 failed.
int repair_store(const std::string& data_dir, std::ostream& out);

}  // namespace cairn::recovery
