#include "net/deadline_sweeper.h"

#include <utility>

namespace cairn::net {
namespace {
thread_local DeadlineSweeper* current_sweeper = nullptr;
}  // namespace

DeadlineSweeper::DeadlineSweeper(boost::asio::io_context& io) : timer_(io) {}

DeadlineSweeper* DeadlineSweeper::current() noexcept { return current_sweeper; }

void DeadlineSweeper::set_current(DeadlineSweeper* sweeper) noexcept { current_sweeper = sweeper; }

void DeadlineSweeper::add(std::weak_ptr<Deadlined> connection) {
  connections_.push_back(std::move(connection));
  if (!armed_) arm();
}

void DeadlineSweeper::arm() {
  armed_ = true;
  timer_.expires_after(kSweepInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    armed_ = false;
    if (ec) return;  // stopped with the thread
    sweep();
    if (!connections_.empty()) arm();  // an idle thread does not wake up
  });
}

void DeadlineSweeper::sweep() {
  const auto now = std::chrono::steady_clock::now();
  // check_deadlines may close a connection; closing never adds one here, so
  // the vector is stable while it is walked. Closed ones are compacted away.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    std::shared_ptr<Deadlined> c = connections_[i].lock();
    if (!c || !c->check_deadlines(now)) continue;
    if (kept != i) connections_[kept] = std::move(connections_[i]);
    ++kept;
  }
  connections_.resize(kept);
  if (connections_.capacity() > 64 && connections_.size() < connections_.capacity() / 4) {
    connections_.shrink_to_fit();
  }
}

}  // namespace cairn::net
