// Listener: accepts TCP connections on one address and hands each to an
// io_context of IoThreads, where its Connection lives, with the transport of
// the listener's type (mqtt, mqtts, ws, wss: config/listener_config.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "broker/broker.h"
#include "config/listener_config.h"
#include "net/connection.h"
#include "net/io_threads.h"

namespace cairn::net {

class Listener {
 public:
  // Binds and listens at once, and reads a TLS listener's certificate files:
  // a bad address, a port in use or an unusable certificate throws here, at
  // start-up (DESIGN.md §6), never later; a TLS problem names the key
  // ("listener[1].cert_file: ..."). `key` names the listener in messages.
  // `settings` and `stats` are shared with the connections, which may outlive
  // the listener: the owner keeps both alive until the IoThreads are gone.
  Listener(boost::asio::io_context& accept_context, IoThreads& threads,
           const boost::asio::ip::tcp::endpoint& endpoint, const config::ListenerConfig& config,
           std::string key, broker::Broker& broker, const ConnectionSettings& settings,
           ConnectionStats& stats, std::size_t max_connections);

  void start();
  // Stops accepting; connections already open are not touched.
  void stop();

  // TLS listeners: builds a fresh context from the same files (SIGHUP). On
  // success new connections use it and open ones keep theirs; on failure the
  // old one stays and the returned message names the key. Nothing to do
  // (nullopt) for a plain or ws listener. Any thread.
  std::optional<std::string> reload_tls();

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  config::ListenerType type() const noexcept { return config_.type; }
  const ConnectionStats& stats() const noexcept { return stats_; }
  std::uint64_t refused() const noexcept { return refused_.load(); }

 private:
  void do_accept();
  Transport make_transport(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  const config::ListenerConfig config_;
  std::shared_ptr<const TransportSettings> transport_settings_;
  std::mutex tls_mutex_;  // reload_tls may run on another thread than accepts
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  IoThreads& threads_;
  broker::Broker& broker_;
  const ConnectionSettings& settings_;
  ConnectionStats& stats_;
  const std::size_t max_connections_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace cairn::net
