// Listener: accepts TCP connections on one address and hands each to an
// io_context of IoThreads, where its Connection lives.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "broker/broker.h"
#include "net/connection.h"
#include "net/io_threads.h"

namespace cairn::net {

class Listener {
 public:
  // Binds and listens at once: a bad address or a port in use throws here,
  // at start-up (DESIGN.md §6), never later.
  // `settings` and `stats` are shared with the connections, which may outlive
  // the listener: the owner keeps both alive until the IoThreads are gone.
  Listener(boost::asio::io_context& accept_context, IoThreads& threads,
           const boost::asio::ip::tcp::endpoint& endpoint, broker::Broker& broker,
           const ConnectionSettings& settings, ConnectionStats& stats, std::size_t max_connections);

  void start();
  // Stops accepting; connections already open are not touched.
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  const ConnectionStats& stats() const noexcept { return stats_; }
  std::uint64_t refused() const noexcept { return refused_.load(); }

 private:
  void do_accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  IoThreads& threads_;
  broker::Broker& broker_;
  const ConnectionSettings& settings_;
  ConnectionStats& stats_;
  const std::size_t max_connections_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace cairn::net
