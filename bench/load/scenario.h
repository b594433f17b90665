// LoadRun: one run of a scenario, from connecting to the report.
//
// It builds the clients and the streams between them (which publisher each
// subscriber hears), spreads them over the I/O threads, and drives the
// phases from the calling thread: connect (a bounded number at a time) and
// subscribe, warm up, measure, stop publishing and drain (up to 5 s), then
// DISCONNECT everything and compute the Result once the threads have stopped.
//
// backlog runs its own phases after the subscriptions (run_backlog()): the
// sessions go offline, the publisher sends --messages, the sessions come back
// on new connections with the same client ids and drain.
//
// connect has no lasting clients: its ConnectLoops (one per thread) set up and
// close connections through the warm-up and the measured seconds
// (run_connect()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "load/connect_loop.h"
#include "load/connection.h"
#include "load/options.h"
#include "load/publisher.h"
#include "load/report.h"
#include "load/run_state.h"
#include "load/stream.h"
#include "load/subscriber.h"

namespace cairn::load {

class LoadRun {
 public:
  explicit LoadRun(Options options);
  ~LoadRun();
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  Result run();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  void build(const boost::asio::ip::tcp::endpoint& broker);
  boost::asio::io_context& thread_for(std::size_t index);
  Connection::Config config(std::string role, std::size_t index) const;
  std::vector<Connection*> all_connections() const;

  // Waits until `done` or an error or `timeout_s`, sending PINGREQs when a
  // broker asked for a keep alive. True when `done`.
  bool wait_until(const std::function<bool()>& done, double timeout_s);
  // Waits until `count()` reaches `target`, as long as it keeps moving: false
  // on an error or once it has stood still for `stall_s`.
  bool wait_for_count(const std::function<std::uint64_t()>& count, std::uint64_t target,
                      double stall_s);
  void hold(double seconds);  // waits, stopping early on an error
  bool drain();
  // backlog: everything after the subscriptions.
  void run_backlog(const boost::asio::ip::tcp::endpoint& broker, Result& result);
  // connect: the warm-up and measured seconds, then the loops' last
  // connections finish.
  void run_connect(Result& result);
  void shut_down();
  void measure_streams(Result& result) const;

  Options options_;
  std::string client_prefix_;
  RunState state_;
  // Declared before the clients: sockets are destroyed before their context.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Publisher>> publishers_;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  // backlog: the sessions' second connections, which drain them.
  std::vector<std::unique_ptr<Subscriber>> resumed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<ConnectLoop>> connect_loops_;
  std::shared_ptr<TlsClient> tls_;  // --tls
  std::uint64_t next_ping_ns_ = 0;
};

}  // namespace cairn::load
