// DeadlineSweeper: the CONNECT timeout and keep-alive deadline of every
// connection of one network thread, checked by one timer.
//
// Why not a timer per connection: an armed asio timer costs its object and a
// pending operation, ~250 bytes per connection, which is more than the rest of
// an idle connection's budget (DESIGN.md: ≤ 2 kB per idle connection). One
// sweep every kSweepInterval looks at each connection of the thread; a
// deadline is therefore enforced up to kSweepInterval late, which is within
// what [MQTT-3.1.2-22] asks (disconnect after 1.5 × Keep Alive of silence).
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cairn::net {

// What the sweeper needs of a connection; implemented by Connection.
class Deadlined {
 public:
  virtual ~Deadlined() = default;
  // Closes the connection if one of its deadlines has passed. Returns false
  // once the connection is closed, so the sweeper forgets it.
  virtual bool check_deadlines(std::chrono::steady_clock::time_point now) = 0;
};

class DeadlineSweeper {
 public:
  static constexpr std::chrono::milliseconds kSweepInterval{250};

  explicit DeadlineSweeper(boost::asio::io_context& io);
  DeadlineSweeper(const DeadlineSweeper&) = delete;
  DeadlineSweeper& operator=(const DeadlineSweeper&) = delete;

  // REQUIRES: on this sweeper's thread.
  void add(std::weak_ptr<Deadlined> connection);
  std::size_t size() const noexcept { return connections_.size(); }

  // The sweeper of the network thread calling it; null off those threads.
  static DeadlineSweeper* current() noexcept;
  // Makes `sweeper` current() for the calling thread (IoThreads does this).
  static void set_current(DeadlineSweeper* sweeper) noexcept;

 private:
  void arm();
  void sweep();

  boost::asio::steady_timer timer_;
  bool armed_ = false;
  std::vector<std::weak_ptr<Deadlined>> connections_;
};

}  // namespace cairn::net
