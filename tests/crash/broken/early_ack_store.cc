#include "broken/early_ack_store.h"

namespace cairn::crashtest {

EarlyAckStore::EarlyAckStore(storage::DurableStore& store)
    : store_(store), thread_([this] { drain(); }) {}

EarlyAckStore::~EarlyAckStore() { close(); }

void EarlyAckStore::submit(storage::Batch batch, Completion done) {
  // The bug on purpose: the batch is reported committed now and written
  // only kLag later, by drain().
  std::lock_guard lock(mutex_);
  completions_.push_back(std::move(done));
  lagging_.push_back({std::move(batch), Clock::now() + kLag});
  ready_.notify_one();
}

void EarlyAckStore::load(storage::LoadRequest request, LoadCompletion done) {
  forward(true);
  store_.load(std::move(request), std::move(done));
}

void EarlyAckStore::close() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    ready_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  forward(true);  // a clean stop writes what it acknowledged
  store_.close();
}

void EarlyAckStore::forward(bool all) {
  std::lock_guard order(forward_mutex_);
  for (;;) {
    storage::Batch batch;
    {
      std::lock_guard lock(mutex_);
      if (lagging_.empty()) return;
      if (!all && lagging_.front().due > Clock::now()) return;
      batch = std::move(lagging_.front().batch);
      lagging_.pop_front();
    }
    store_.submit(std::move(batch), [](std::error_code) {});
  }
}

void EarlyAckStore::drain() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (completions_.empty() && !closing_) {
      if (lagging_.empty()) {
        ready_.wait(lock);
      } else {
        // A copy: forward() on another thread may pop the front meanwhile.
        const Clock::time_point due = lagging_.front().due;
        ready_.wait_until(lock, due);
      }
    }
    while (!completions_.empty()) {
      Completion done = std::move(completions_.front());
      completions_.pop_front();
      lock.unlock();
      done({});
      lock.lock();
    }
    if (closing_) return;
    lock.unlock();
    forward(false);
    lock.lock();
  }
}

}  // namespace cairn::crashtest
