#include "net/io_threads.h"

namespace cairn::net {

IoThreads::IoThreads(std::size_t count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < count; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    sweepers_.push_back(std::make_unique<DeadlineSweeper>(*contexts_.back()));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoThreads::~IoThreads() {
  stop_and_join();
  sweepers_.clear();  // their timers go before the contexts they belong to
}

void IoThreads::start() {
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([c = contexts_[i].get(), sweeper = sweepers_[i].get()] {
      DeadlineSweeper::set_current(sweeper);
      c->run();
      DeadlineSweeper::set_current(nullptr);
    });
  }
}

void IoThreads::stop_and_join() {
  for (auto& guard : guards_) guard.reset();
  // What is still running now (a connection that did not close in time) is
  // abandoned: its handlers are destroyed with the contexts.
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

boost::asio::io_context& IoThreads::next() noexcept {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace cairn::net
