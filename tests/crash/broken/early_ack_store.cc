#include "broken/early_ack_store.h"

namespace cairn::crashtest {

EarlyAckStore::EarlyAckStore(storage::DurableStore& store)
    : store_(store), thread_([this] { drain(); }) {}

EarlyAckStore::~EarlyAckStore() { close(); }

void EarlyAckStore::submit(storage::Batch batch, Completion done) {
  // The bug on purpose: the real store gets the batch, but nobody waits for
  // its commit.
  store_.submit(std::move(batch), [](std::error_code) {});
  std::lock_guard lock(mutex_);
  completions_.push_back(std::move(done));
  ready_.notify_one();
}

void EarlyAckStore::close() {
  if (closed_) return;
  closed_ = true;
  store_.close();
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    ready_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void EarlyAckStore::drain() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return closing_ || !completions_.empty(); });
    if (completions_.empty()) return;
    Completion done = std::move(completions_.front());
    completions_.pop_front();
    lock.unlock();
    done({});
    lock.lock();
  }
}

}  // namespace cairn::crashtest
