// CompactionCountingEnv: the leveldb::Env a LeveldbStore opens its DB with,
// counting the background compactions LevelDB runs (memtable flushes
// included) for the metrics (cairn_store_compactions_total). LevelDB has no
// counter of its own: every background compaction is one Env::Schedule call
// of its BGWork, so counting those calls counts them.
#pragma once

#include <atomic>
#include <cstdint>

#include <leveldb/env.h>

namespace cairn::storage {

class CompactionCountingEnv final : public leveldb::EnvWrapper {
 public:
  explicit CompactionCountingEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

  void Schedule(void (*function)(void*), void* arg) override {
    scheduled_.fetch_add(1, std::memory_order_relaxed);
    target()->Schedule(function, arg);
  }

  std::uint64_t compactions() const noexcept { return scheduled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> scheduled_{0};
};

}  // namespace cairn::storage
