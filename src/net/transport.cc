#include "net/transport.h"

#include <sstream>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <spdlog/spdlog.h>

#include "net/tls_context.h"
#include "net/websocket_upgrade.h"

namespace cairn::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

// Big enough for a TLS record (16 KiB of plaintext) at once.
constexpr std::size_t kReadBufferBytes = 16 * 1024;
// An upgrade request is a few hundred bytes; this bounds what a client that
// never finishes its headers can make us hold.
constexpr std::size_t kMaxUpgradeRequestBytes = 8 * 1024;

const std::optional<std::string> kNoIdentity;
const std::string kNoKey;

std::string handshake_error_text(const boost::system::error_code& ec) {
  // For TLS errors asio's message is OpenSSL's reason ("certificate verify
  // failed", "wrong version number", ...).
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "the client closed the connection during the handshake";
  }
  return ec.message();
}

}  // namespace

Transport::Transport(Tcp socket) : stream_(std::move(socket)) {}

Transport::Transport(Tcp socket, std::shared_ptr<const TransportSettings> settings,
                     std::shared_ptr<asio::ssl::context> context)
    : stream_(std::move(socket)) {
  using config::ListenerType;
  if (settings->type == ListenerType::kMqtt) return;
  Tcp tcp = std::move(std::get<Tcp>(stream_));
  std::unique_ptr<Layered> layered;
  switch (settings->type) {
    case ListenerType::kMqtts:
      layered = std::make_unique<Layered>(std::in_place_type<Tls>, std::move(tcp), *context);
      break;
    case ListenerType::kWs:
      layered = std::make_unique<Layered>(std::in_place_type<Ws>, std::move(tcp));
      break;
    case ListenerType::kWss:
      layered = std::make_unique<Layered>(std::in_place_type<Wss>, std::move(tcp), *context);
      break;
    case ListenerType::kMqtt:
      break;
  }
  layered->settings = std::move(settings);
  layered->context = std::move(context);
  stream_ = std::move(layered);
}

Transport::~Transport() = default;
Transport::Transport(Transport&&) noexcept = default;

Transport::Tcp& Transport::socket() noexcept {
  if (auto* tcp = std::get_if<Tcp>(&stream_)) return *tcp;
  return std::visit([](auto& stream) -> Tcp& { return beast::get_lowest_layer(stream); },
                    std::get<std::unique_ptr<Layered>>(stream_)->stream);
}

std::chrono::seconds Transport::handshake_timeout() const noexcept {
  if (plain()) return std::chrono::seconds(0);
  return std::get<std::unique_ptr<Layered>>(stream_)->settings->handshake_timeout;
}

const std::string& Transport::listener_key() const noexcept {
  if (plain()) return kNoKey;
  return std::get<std::unique_ptr<Layered>>(stream_)->settings->key;
}

const std::optional<std::string>& Transport::identity() const noexcept {
  if (plain()) return kNoIdentity;
  return std::get<std::unique_ptr<Layered>>(stream_)->identity;
}

std::vector<std::uint8_t>& Transport::read_buffer() {
  Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
  if (layered.read_buffer.empty()) layered.read_buffer.resize(kReadBufferBytes);
  return layered.read_buffer;
}

void Transport::close() noexcept {
  boost::system::error_code ignored;
  Tcp& tcp = socket();
  tcp.shutdown(Tcp::shutdown_both, ignored);
  tcp.close(ignored);
}

void Transport::async_handshake(HandshakeDone done) {
  if (plain()) return done(HandshakeFailure::kTls, {});
  Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
  std::visit(
      [&](auto& stream) {
        using S = std::decay_t<decltype(stream)>;
        if constexpr (std::is_same_v<S, Tls>) {
          tls_handshake(stream, done, [done] { done(HandshakeFailure::kTls, {}); });
        } else if constexpr (std::is_same_v<S, Ws>) {
          websocket_handshake(stream, std::move(done));
        } else {
          tls_handshake(stream.next_layer(), done,
                        [this, &stream, done] { websocket_handshake(stream, done); });
        }
      },
      layered.stream);
}

void Transport::tls_handshake(Tls& tls, HandshakeDone done, std::function<void()> next) {
  tls.async_handshake(asio::ssl::stream_base::server,
                      [this, &tls, done = std::move(done),
                       next = std::move(next)](const boost::system::error_code& ec) {
                        if (ec == asio::error::operation_aborted) {
                          return done(HandshakeFailure::kTls, "closed");
                        }
                        if (ec) return done(HandshakeFailure::kTls, handshake_error_text(ec));
                        Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
                        if (layered.settings->use_identity_as_username) {
                          layered.identity = certificate_identity(tls.native_handle());
                        }
                        next();
                      });
}

template <class WebSocket>
void Transport::websocket_handshake(WebSocket& ws, HandshakeDone done) {
  Layered& layered = *std::get<std::unique_ptr<Layered>>(stream_);
  layered.http_buffer = beast::flat_buffer(kMaxUpgradeRequestBytes);
  layered.request.emplace();
  layered.request->header_limit(kMaxUpgradeRequestBytes);
  layered.request->body_limit(0);  // an upgrade request has no body
  http::async_read(
      ws.next_layer(), layered.http_buffer, *layered.request,
      [this, &ws, done = std::move(done)](const boost::system::error_code& ec, std::size_t) {
        if (ec == asio::error::operation_aborted)
          return done(HandshakeFailure::kWebSocket, "closed");
        if (ec) {
          return done(HandshakeFailure::kWebSocket,
                      "reading the upgrade request: " + handshake_error_text(ec));
        }
        Layered& l = *std::get<std::unique_ptr<Layered>>(stream_);
        auto request = l.request->release();
        l.request.reset();
        const UpgradeVerdict verdict = check_upgrade(request, l.settings->path);
        if (!verdict.accept) {
          // Answered, so that a misconfigured client says why, then closed.
          auto response = std::make_shared<http::response<http::string_body>>(verdict.status,
                                                                              request.version());
          response->set(http::field::server, "cairn");
          response->set(http::field::connection, "close");
          response->body() = verdict.why + "\n";
          response->prepare_payload();
          return http::async_write(
              ws.next_layer(), *response,
              [response, done, why = verdict.why](const boost::system::error_code&, std::size_t) {
                done(HandshakeFailure::kWebSocket, why);
              });
        }
        ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
          response.set(http::field::sec_websocket_protocol, std::string(kMqttSubprotocol));
          response.set(http::field::server, "cairn");
        }));
        ws.binary(true);  // MQTT travels in binary frames [MQTT-6.0.0-1]
        // Every message must fit the largest MQTT packet's frames; the MQTT
        // decoder enforces limits.max_packet_size on what they carry.
        ws.read_message_max(0);
        auto accepted = [this, done](const boost::system::error_code& accept_ec) {
          if (accept_ec == asio::error::operation_aborted) {
            return done(HandshakeFailure::kWebSocket, "closed");
          }
          if (accept_ec == websocket::error::buffer_overflow) {
            // Beast's read buffer (1,536 bytes in Boost 1.74) holds the
            // replayed request and what followed it.
            return done(HandshakeFailure::kWebSocket,
                        "upgrade: the request and the bytes sent after it before the 101 are "
                        "too long for the WebSocket read buffer");
          }
          if (accept_ec) {
            return done(HandshakeFailure::kWebSocket, "upgrade: " + accept_ec.message());
          }
          std::get<std::unique_ptr<Layered>>(stream_)->http_buffer = beast::flat_buffer();
          done(HandshakeFailure::kWebSocket, {});
        };
        if (l.http_buffer.size() == 0) return ws.async_accept(request, std::move(accepted));
        // The client sent more after its request without waiting for the
        // 101 (its CONNECT, pipelined): those bytes are in http_buffer, past
        // the request. Beast takes bytes already read only along with the
        // request they follow, so the request is given again as bytes, with
        // them (copied before async_accept returns), and they become the
        // first frames.
        std::ostringstream replay;
        replay << request << beast::buffers_to_string(l.http_buffer.data());
        const std::string bytes = replay.str();
        ws.async_accept(asio::buffer(bytes), std::move(accepted));
      });
}

}  // namespace cairn::net
