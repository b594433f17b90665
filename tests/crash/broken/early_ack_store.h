// EarlyAckStore: a deliberately broken store for the crash suite's own test
// (tests/crash/README.md, "Proof that it can fail"). It reports every batch
// committed as soon as it is submitted, and only then hands it to the real
// store: the broker acknowledges (PUBACK, PUBREC, SUBACK, CONNACK) and
// delivers before anything is on disk, which D1 and D2 forbid. A crash then
// loses acknowledged messages, which cairn-crashtest must report.
//
// Completions still run in submission order, on a thread of the decorator's
// own, as DurableStore requires; everything else goes to the real store.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "storage/durable_store.h"

namespace cairn::crashtest {

class EarlyAckStore final : public storage::DurableStore {
 public:
  explicit EarlyAckStore(storage::DurableStore& store);
  ~EarlyAckStore() override;
  EarlyAckStore(const EarlyAckStore&) = delete;
  EarlyAckStore& operator=(const EarlyAckStore&) = delete;

  void submit(storage::Batch batch, Completion done) override;
  bool can_load() const noexcept override { return store_.can_load(); }
  void load(storage::LoadRequest request, LoadCompletion done) override {
    store_.load(std::move(request), std::move(done));
  }
  bool failed() const noexcept override { return store_.failed(); }
  bool space_low() const noexcept override { return store_.space_low(); }
  bool congested() const noexcept override { return store_.congested(); }
  void close() override;

 private:
  void drain();

  storage::DurableStore& store_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Completion> completions_;
  bool closing_ = false;
  bool closed_ = false;  // close() ran
  std::thread thread_;   // last: it uses everything above
};

}  // namespace cairn::crashtest
