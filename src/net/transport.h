// Transport: the byte stream under one MQTT connection: plain TCP, TLS,
// WebSocket or WebSocket over TLS (DESIGN.md §3, src/net).
//
// Plain TCP is the socket itself, held in place: an idle plain connection
// must stay small (idle RSS per connection is a product metric), so every
// other kind lives behind one pointer, with what only it needs (the TLS
// context it was accepted with, the handshake's HTTP request, the read buffer,
// the client's certificate identity). Connection keeps its zero-buffer
// readiness path for plain TCP and uses async_read_some/async_write here for
// the others; the MQTT logic above is the same for all four.
//
// Threading: as Connection's: every call on the connection's own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "config/listener_config.h"

namespace cairn::net {

// What a listener's connections share about their transport.
struct TransportSettings {
  config::ListenerType type = config::ListenerType::kMqtt;
  std::string path = "/mqtt";  // ws, wss
  std::chrono::seconds handshake_timeout{10};
  bool use_identity_as_username = false;
  std::string key;  // "listener[0]", for messages
};

// Why a handshake failed, for the counters.
enum class HandshakeFailure : std::uint8_t { kTls, kWebSocket };

class Transport {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;
  using Ws = boost::beast::websocket::stream<Tcp>;
  using Wss = boost::beast::websocket::stream<Tls>;

  // Plain TCP.
  explicit Transport(Tcp socket);
  // Any type; `context` is required for mqtts and wss.
  Transport(Tcp socket, std::shared_ptr<const TransportSettings> settings,
            std::shared_ptr<boost::asio::ssl::context> context);
  ~Transport();
  Transport(Transport&&) noexcept;
  Transport& operator=(Transport&&) = delete;

  bool plain() const noexcept { return std::holds_alternative<Tcp>(stream_); }
  // The TCP socket under every layer.
  Tcp& socket() noexcept;
  boost::asio::any_io_executor executor() noexcept { return socket().get_executor(); }

  // The TLS and WebSocket handshakes, in order. `done(failure, why)`: `why`
  // is empty on success, else OpenSSL's or the upgrade check's reason.
  // A refused WebSocket upgrade is answered (404, 400) before done is called.
  using HandshakeDone = std::function<void(HandshakeFailure, const std::string& why)>;
  void async_handshake(HandshakeDone done);
  std::chrono::seconds handshake_timeout() const noexcept;
  const std::string& listener_key() const noexcept;

  // The client certificate's identity (use_identity_as_username), set by a
  // successful TLS handshake; always empty for a plain connection.
  const std::optional<std::string>& identity() const noexcept;

  // REQUIRES: !plain(). The per-connection read buffer, allocated on first
  // use (a connection in its handshake holds none).
  std::vector<std::uint8_t>& read_buffer();

  // REQUIRES: !plain(). Reads what the layers above TCP have: for
  // WebSocket, the payload of binary messages (a text frame is an error,
  // [MQTT-6.0.0-1]).
  template <class Handler>
  void async_read_some(boost::asio::mutable_buffer buffer, Handler&& handler);

  // One MQTT write: for WebSocket, one binary message.
  template <class Handler>
  void async_write(boost::asio::const_buffer buffer, Handler&& handler);

  // Closes the TCP socket under every layer: pending operations end with
  // operation_aborted. No TLS close_notify or WebSocket close frame: a
  // closing connection must not wait on a client that may be gone.
  void close() noexcept;

 private:
  struct Layered {
    std::variant<Tls, Ws, Wss> stream;
    std::shared_ptr<const TransportSettings> settings;
    std::shared_ptr<boost::asio::ssl::context> context;  // kept alive while the stream uses it
    std::optional<std::string> identity;
    std::vector<std::uint8_t> read_buffer;
    // The upgrade request, read before the WebSocket accept.
    boost::beast::flat_buffer http_buffer;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> request;

    template <class... Args>
    explicit Layered(Args&&... args) : stream(std::forward<Args>(args)...) {}
  };

  void tls_handshake(Tls& tls, HandshakeDone done, std::function<void()> next);
  template <class WebSocket>
  void websocket_handshake(WebSocket& ws, HandshakeDone done);

  std::variant<Tcp, std::unique_ptr<Layered>> stream_;
};

template <class Handler>
void Transport::async_read_some(boost::asio::mutable_buffer buffer, Handler&& handler) {
  Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
  std::visit(
      [&](auto& stream) {
        using S = std::decay_t<decltype(stream)>;
        if constexpr (std::is_same_v<S, Tls>) {
          stream.async_read_some(buffer, std::forward<Handler>(handler));
        } else {
          stream.async_read_some(
              buffer, [&stream, h = std::forward<Handler>(handler)](boost::system::error_code ec,
                                                                    std::size_t bytes) mutable {
                if (!ec && stream.got_text()) ec = boost::asio::error::invalid_argument;
                h(ec, bytes);
              });
        }
      },
      layered.stream);
}

template <class Handler>
void Transport::async_write(boost::asio::const_buffer buffer, Handler&& handler) {
  if (auto* tcp = std::get_if<Tcp>(&stream_)) {
    return boost::asio::async_write(*tcp, buffer, std::forward<Handler>(handler));
  }
  Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
  std::visit(
      [&](auto& stream) {
        using S = std::decay_t<decltype(stream)>;
        if constexpr (std::is_same_v<S, Tls>) {
          boost::asio::async_write(stream, buffer, std::forward<Handler>(handler));
        } else {
          stream.async_write(buffer, std::forward<Handler>(handler));
        }
      },
      layered.stream);
}

}  // namespace cairn::net
