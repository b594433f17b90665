// ConnectLoop: the connect scenario's clients on one I/O thread.
//
// Each of its slots sets up one connection after another while the run is
// in its warm-up or measured phase: TCP connect, the TLS handshake (--tls),
// CONNECT (clean session, a client id never used before), CONNACK,
// DISCONNECT, close. A connection's set-up latency runs from the start of its
// TCP connect to its CONNACK; the rate counts whole cycles, close included.
//
// Unlike Connection, a probe has one operation in flight at a time and its
// handlers hold it (shared_ptr), so it is freed as soon as it is done: a run
// makes hundreds of thousands of them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "load/histogram.h"
#include "load/run_state.h"
#include "load/tls.h"
#include "mqtt/protocol_version.h"

namespace cairn::load {

class ConnectLoop {
 public:
  struct Settings {
    boost::asio::ip::tcp::endpoint broker;
    std::shared_ptr<TlsClient> tls;  // nullptr: plain TCP
    mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV311;
    std::string client_prefix;  // client ids are <prefix>-<n>
    std::size_t slots = 1;      // connections set up at once
  };

  ConnectLoop(boost::asio::io_context& io, Settings settings, RunState& run);

  // Starts every slot. Thread-safe.
  void start();

  // Readable from any thread.
  std::uint64_t completed() const noexcept { return completed_.load(std::memory_order_relaxed); }
  std::uint64_t measured() const noexcept { return measured_.load(std::memory_order_relaxed); }
  std::size_t active() const noexcept { return active_.load(std::memory_order_relaxed); }
  // Set-up latencies of the connections completed while measuring; only once
  // the loop's thread has stopped.
  const LatencyHistogram& latency() const noexcept { return latency_; }

 private:
  void launch();
  void finished(bool ok, std::uint64_t setup_ns);

  boost::asio::io_context& io_;
  Settings settings_;
  RunState& run_;
  LatencyHistogram latency_;
  std::uint64_t next_id_ = 0;
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> measured_{0};
  std::atomic<std::size_t> active_{0};
};

}  // namespace cairn::load
