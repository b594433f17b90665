// IoThreads: N io_contexts, each run by one thread of its own (DESIGN.md §4).
// A connection stays on the io_context it was accepted onto for its whole
// life, so its handlers never run concurrently and need no strand.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "net/deadline_sweeper.h"

namespace cairn::net {

class IoThreads {
 public:
  // `count` 0 means one per core.
  explicit IoThreads(std::size_t count);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  void start();
  // Stops every context, abandoning work still queued, and joins the threads.
  void stop_and_join();

  // The io_context for the next new connection (round robin).
  boost::asio::io_context& next() noexcept;
  boost::asio::io_context& at(std::size_t i) noexcept { return *contexts_[i]; }
  std::size_t size() const noexcept { return contexts_.size(); }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  // One per context, destroyed before the contexts (declared after them).
  std::vector<std::unique_ptr<DeadlineSweeper>> sweepers_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace cairn::net
