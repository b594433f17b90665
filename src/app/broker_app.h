// BrokerApp: a running broker built from a Config: the store, the broker, the
// network threads and the listener, started and stopped in order
// (DESIGN.md §4): start opens the listener last; shutdown closes the
// listener, tells every client (DISCONNECT 0x8B), drains the connections,
// closes the store, then stops the threads.
//
// No globals: everything lives here, so a test can run a broker in-process.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/access_setup.h"
#include "auth/access_control.h"
#include "broker/broker.h"
#include "config/config.h"
#include "metrics/metrics_server.h"
#include "net/io_threads.h"
#include "net/listener.h"
#include "recovery/recovery.h"
#include "storage/durable_store.h"

namespace cairn::app {

// The store in data_dir cannot be opened (damaged, another format, no
// access): the message names the problem and, for damage, `cairn repair`.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The configuration cannot be served as it stands (an auth file that does not
// parse, a listener open to the network without authentication): the
// message names the key. Start-up exits with status 2, as for a bad file.
class ConfigRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Wraps the store before the broker gets it: the broker submits to what it
// returns. A seam for tools that alter what the broker stores, such as the
// crash suite's deliberately broken broker (tests/crash/broken); cairn itself
// passes none.
using StoreDecorator =
    std::function<std::unique_ptr<storage::DurableStore>(storage::DurableStore& store)>;

// The exit status when the store has failed (EX_TEMPFAIL): cairn is crash-only
// there. It closes every client and exits so that its service manager
// restarts it, and the restart's recovery, the path every crash takes, opens
// the store afresh (DESIGN.md D8).
inline constexpr int kStoreFailedExit = 75;

class BrokerApp {
 public:
  // Opens the store in config.data_dir and loads what it holds into the
  // broker (recovery/), logging the report; throws StoreError when it cannot.
  explicit BrokerApp(const config::Config& config, const StoreDecorator& decorate = nullptr);
  ~BrokerApp();

  // Binds every listener (throws on a bad address, a port in use or an
  // unusable certificate, naming the listener's key) and starts serving on
  // the network threads.
  void start();
  // Serves until SIGINT or SIGTERM, then shuts down in order; SIGHUP
  // reload()s. Returns the process exit code.
  int run_until_signal();
  // Re-reads what may change without a restart: every TLS listener's
  // certificate files and the password and ACL files. A certificate that
  // cannot be used is logged, naming its key, and its listener keeps what it
  // had; a password or ACL file that does not parse is refused whole (logged
  // with its line) and the rules before it stay. Open connections stay open;
  // the new ACL applies to their next request and delivery. Returns the
  // errors (empty: all reloaded).
  std::vector<std::string> reload();
  void shutdown();

  // The first listener's address; listener_endpoint(i) the i-th's.
  boost::asio::ip::tcp::endpoint mqtt_endpoint() const;
  const auth::AccessControl* access_control() const { return access_.get(); }
  boost::asio::ip::tcp::endpoint listener_endpoint(std::size_t index) const;
  // The metrics endpoint's port (0 before start()).
  std::uint16_t metrics_port() const { return metrics_ ? metrics_->port() : 0; }

 private:
  void arm_housekeeping();
  // The store latched failed: say why, close every client, exit with kStoreFailedExit.
  void exit_on_store_failure();
  void arm_reload(boost::asio::signal_set& hangups);
  // Builds access_ from [auth] and the listeners about to open; throws
  // ConfigRefused with the key when the configuration cannot be served.
  void open_access_control(const std::vector<ListenerExposure>& listeners);
  // The $SYS/broker/ topics, retained, refreshed every sys_interval seconds.
  void publish_sys();

  // Declaration order matters: members are destroyed in reverse. The
  // listener goes first, then the main context with any accept still pending
  // (its socket belongs to a network thread's context, so those must still
  // exist), then the network threads and with them the connections, which
  // use the settings, the counters, the broker and the store declared before.
  config::Config config_;
  net::ConnectionSettings connection_settings_;
  net::ConnectionStats connection_stats_;
  // Read by connections on every thread: outlives them (created in start()).
  std::unique_ptr<auth::AccessControl> access_;
  // Password hashes too slow for a network thread (net::kInlineLoginRounds).
  boost::asio::thread_pool login_pool_{1};
  recovery::Recovered recovered_;                     // the store, and what it held until restored
  std::unique_ptr<storage::DurableStore> decorated_;  // null: the broker uses the store
  broker::Broker broker_;
  net::IoThreads threads_;
  boost::asio::io_context main_;  // signals and housekeeping, run by run_until_signal()
  boost::asio::steady_timer housekeeping_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;  // as config_.listeners
  // Reads the store, the broker and the counters above: declared after
  // them, so it stops serving before they go.
  std::unique_ptr<metrics::MetricsServer> metrics_;
  bool stopped_ = false;
  // What run_until_signal() returns: 0, or kStoreFailedExit.
  int exit_code_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::uint64_t ticks_ = 0;
};

}  // namespace cairn::app
