// BrokerApp: a running broker built from a Config: the store, the broker, the
// network threads and the listener, started and stopped in order
// (DESIGN.md §4): start opens the listener last; shutdown closes the
// listener, tells every client (DISCONNECT 0x8B), drains the connections,
// closes the store, then stops the threads.
//
// No globals: everything lives here, so a test can run a broker in-process.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "broker/broker.h"
#include "config/config.h"
#include "net/io_threads.h"
#include "net/listener.h"
#include "storage/in_memory_store.h"

namespace cairn::app {

class BrokerApp {
 public:
  explicit BrokerApp(const config::Config& config);
  ~BrokerApp();

  // Binds the listener (throws on a bad address or a port in use) and starts
  // serving on the network threads.
  void start();
  // Serves until SIGINT or SIGTERM, then shuts down in order. Returns the
  // process exit code.
  int run_until_signal();
  void shutdown();

  boost::asio::ip::tcp::endpoint mqtt_endpoint() const;

 private:
  void arm_housekeeping();

  config::Config config_;
  net::ConnectionSettings connection_settings_;
  // Declaration order is destruction order reversed: the network threads go
  // first (their connections refer to the listener's counters and to the
  // broker), then the listener, the broker and the store.
  storage::InMemoryStore store_;
  broker::Broker broker_;
  boost::asio::io_context main_;  // signals and housekeeping, run by run_until_signal()
  boost::asio::steady_timer housekeeping_;
  std::unique_ptr<net::Listener> listener_;
  net::IoThreads threads_;
  bool stopped_ = false;
};

}  // namespace cairn::app
