#include "load/connection.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <variant>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "mqtt/packet_encoder.h"
#include "mqtt/reason_code.h"

namespace cairn::load {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::string describe(mqtt::ReasonCode code, mqtt::PacketType type) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(code));
  return std::string(hex) + " " + std::string(mqtt::reason_code_name(code, type));
}

}  // namespace

Connection::Connection(asio::io_context& io, const asio::ip::tcp::endpoint& broker, Config config,
                       RunState& run)
    : io_(io),
      socket_(io),
      broker_(broker),
      config_(std::move(config)),
      run_(run),
      decoder_(config_.version) {
  if (config_.tls) tls_ = config_.tls->stream(socket_);
}

void Connection::start() {
  asio::post(io_, [this] {
    socket_.async_connect(broker_, [this](const error_code& error) { on_connect(error); });
  });
}

void Connection::disconnect() {
  asio::post(io_, [this] {
    if (!open_) {
      close();
      return;
    }
    closing_ = true;
    if (connacked_) send(mqtt::Disconnect{});
    if (pending_.empty() && !write_in_flight_) {
      close();
    } else {
      flush();
    }
  });
}

void Connection::ping() {
  asio::post(io_, [this] {
    if (!open_ || closing_) return;
    send(mqtt::Pingreq{});
    flush();
  });
}

void Connection::on_connect(const error_code& error) {
  if (error) {
    run_.fail("connect to " + broker_.address().to_string() + ":" + std::to_string(broker_.port()) +
              ": " + error.message());
    close();
    launch_next_once();
    return;
  }
  open_ = true;
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_) {
    tls_->async_handshake(asio::ssl::stream_base::client,
                          [this](const error_code& error) { on_handshake(error); });
    return;
  }
  send_connect();
}

void Connection::on_handshake(const error_code& error) {
  if (error) {
    fail("TLS handshake: " + error.message());
    launch_next_once();
    return;
  }
  SSL* ssl = tls_->native_handle();
  run_.note_tls(SSL_get_version(ssl), SSL_get_cipher_name(ssl));
  send_connect();
}

void Connection::send_connect() {
  mqtt::Connect connect;
  connect.version = config_.version;
  connect.clean_start = !config_.persistent;
  connect.keep_alive = 0;
  connect.client_id = config_.client_id;
  if (config_.persistent && config_.version == mqtt::ProtocolVersion::kV5) {
    // MQTT 5 ends a session with its connection unless the client asks for
    // an expiry interval; Clean Start 0 alone is not enough.
    connect.properties.session_expiry_interval = config_.session_expiry_s;
  }
  send(connect);
  flush();
  // Size the decoder's buffer once: later reads reuse it (see do_read).
  decoder_.prepare(config_.read_buffer);
  do_read();
}

void Connection::do_read() {
  // A small minimum: the buffer sized in on_connect is reused, and the
  // unread tail of a packet is moved to its front rather than grown past it.
  const std::span<std::uint8_t> space = decoder_.prepare(
      std::max<std::size_t>(1, std::min<std::size_t>(config_.read_buffer / 4, 16 * 1024)));
  auto done = [this](const error_code& error, std::size_t bytes) { on_read(error, bytes); };
  if (tls_) {
    tls_->async_read_some(asio::buffer(space.data(), space.size()), std::move(done));
  } else {
    socket_.async_read_some(asio::buffer(space.data(), space.size()), std::move(done));
  }
}

void Connection::on_read(const error_code& error, std::size_t bytes) {
  if (error) {
    if (!closing_ && open_) {
      const bool eof = error == asio::error::eof || error == asio::ssl::error::stream_truncated;
      fail(eof ? std::string("connection closed by the broker") : "read: " + error.message());
    }
    close();
    return;
  }
  decoder_.commit(bytes);
  const std::uint64_t received_ns = now_ns();
  for (;;) {
    mqtt::DecodeResult result = decoder_.next();
    if (std::holds_alternative<mqtt::NeedMore>(result)) break;
    if (const auto* decode_error = std::get_if<mqtt::DecodeError>(&result)) {
      fail(std::string("undecodable packet from the broker: ") + decode_error->why);
      return;
    }
    mqtt::Packet& packet = std::get<mqtt::Packet>(result);
    if (!connacked_) {
      if (!handle_connack(packet)) return;
      continue;
    }
    if (std::holds_alternative<mqtt::Pingresp>(packet)) continue;
    if (const auto* disconnect = std::get_if<mqtt::Disconnect>(&packet)) {
      if (!closing_) {
        fail("DISCONNECT from the broker: " +
             describe(disconnect->reason_code, mqtt::PacketType::kDisconnect));
      }
      close();
      return;
    }
    on_packet(packet, received_ns);
    if (!open_) return;
  }
  on_read_done();
  if (!open_) return;
  flush();
  do_read();
}

bool Connection::handle_connack(const mqtt::Packet& packet) {
  const auto* connack = std::get_if<mqtt::Connack>(&packet);
  if (connack == nullptr) {
    fail("expected CONNACK, got packet type " +
         std::to_string(static_cast<int>(mqtt::packet_type(packet))));
    launch_next_once();
    return false;
  }
  if (connack->reason_code != mqtt::ReasonCode::kSuccess) {
    fail("CONNACK refused: " + describe(connack->reason_code, mqtt::PacketType::kConnack));
    launch_next_once();
    return false;
  }
  if (config_.persistent && connack->session_present != config_.expect_session_present) {
    fail(config_.expect_session_present
             ? "CONNACK without Session Present: the broker lost this persistent session"
             : "CONNACK with Session Present for a client id new to this run");
    launch_next_once();
    return false;
  }
  connacked_ = true;
  if (connack->properties.receive_maximum) {
    server_receive_maximum_ = *connack->properties.receive_maximum;
  }
  if (connack->properties.server_keep_alive.value_or(0) > 0) {
    run_.note_keep_alive(*connack->properties.server_keep_alive);
  }
  run_.connected.fetch_add(1);
  launch_next_once();
  on_connected(*connack);
  return open_;
}

void Connection::send(const mqtt::Packet& packet) {
  mqtt::encode_packet(packet, config_.version, pending_);
}

void Connection::flush() {
  if (write_in_flight_ || pending_.empty() || !open_) return;
  write_in_flight_ = true;
  std::swap(pending_, writing_);
  auto done = [this](const error_code& error, std::size_t) { on_write(error); };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(writing_), std::move(done));
  } else {
    asio::async_write(socket_, asio::buffer(writing_), std::move(done));
  }
}

void Connection::on_write(const error_code& error) {
  write_in_flight_ = false;
  writing_.clear();
  if (error) {
    if (!closing_ && open_) fail("write: " + error.message());
    close();
    return;
  }
  if (!pending_.empty()) {
    flush();
  } else if (closing_) {
    close();
  }
}

void Connection::fail(std::string_view what) {
  run_.fail("client " + config_.client_id + ": " + std::string(what));
  close();
}

void Connection::launch_next_once() {
  if (launched_next_) return;
  launched_next_ = true;
  run_.launch_next();
}

void Connection::close() {
  if (open_) {
    open_ = false;
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  if (!counted_closed_) {
    counted_closed_ = true;
    run_.closed.fetch_add(1);
  }
}

}  // namespace cairn::load
