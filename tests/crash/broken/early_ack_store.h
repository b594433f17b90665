// EarlyAckStore: a deliberately broken store for the crash suite's own test
// (tests/crash/README.md, "Proof that it can fail"). It reports every batch
// committed as soon as it is submitted, and hands it to the real store only
// kLag later: the broker acknowledges (PUBACK, PUBREC, SUBACK, CONNACK) and
// delivers before anything is on disk, which D1 and D2 forbid. A crash then
// loses acknowledged messages, which cairn-crashtest must report.
//
// The lag makes the broken window wide enough that every kill lands in it.
// Without it the window is the few microseconds before the real store's
// writer thread takes the batch, and a slow (sanitizer) build can go twenty
// kills without one landing there. A load first hands over every batch
// submitted before it, so the broken broker still reads its own writes.
//
// Completions still run in submission order, on a thread of the decorator's
// own, as DurableStore requires; everything else goes to the real store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "storage/durable_store.h"

namespace cairn::crashtest {

class EarlyAckStore final : public storage::DurableStore {
 public:
  static constexpr std::chrono::milliseconds kLag{30};

  explicit EarlyAckStore(storage::DurableStore& store);
  ~EarlyAckStore() override;
  EarlyAckStore(const EarlyAckStore&) = delete;
  EarlyAckStore& operator=(const EarlyAckStore&) = delete;

  void submit(storage::Batch batch, Completion done) override;
  bool can_load() const noexcept override { return store_.can_load(); }
  void load(storage::LoadRequest request, LoadCompletion done) override;
  bool failed() const noexcept override { return store_.failed(); }
  bool space_low() const noexcept override { return store_.space_low(); }
  bool congested() const noexcept override { return store_.congested(); }
  void close() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Lagging {
    storage::Batch batch;
    Clock::time_point due;
  };

  void drain();
  // Hands the real store every lagging batch that is due, or all of them;
  // forward_mutex_ keeps them in submission order whoever calls.
  void forward(bool all);

  storage::DurableStore& store_;
  std::mutex forward_mutex_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Completion> completions_;
  std::deque<Lagging> lagging_;
  bool closing_ = false;
  bool closed_ = false;  // close() ran
  std::thread thread_;   // last: it uses everything above
};

}  // namespace cairn::crashtest
