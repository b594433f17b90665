#include "load/connect_loop.h"

#include <cstdio>
#include <functional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"
#include "mqtt/reason_code.h"

namespace cairn::load {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Read at most this much at once: a probe receives a CONNACK (and, over TLS,
// the handshake and session tickets, which the TLS stream buffers itself).
constexpr std::size_t kReadChunk = 256;

// One connection of the connect scenario, from the TCP connect to the close.
class ConnectProbe : public std::enable_shared_from_this<ConnectProbe> {
 public:
  using Done = std::function<void(bool ok, std::uint64_t setup_ns)>;

  ConnectProbe(asio::io_context& io, const ConnectLoop::Settings& settings, std::string client_id,
               RunState& run, Done done)
      : socket_(io),
        broker_(settings.broker),
        version_(settings.version),
        client_id_(std::move(client_id)),
        run_(run),
        decoder_(settings.version),
        done_(std::move(done)) {
    if (settings.tls) tls_ = settings.tls->stream(socket_);
  }

  void start() {
    started_ns_ = now_ns();
    socket_.async_connect(
        broker_, [self = shared_from_this()](const error_code& error) { self->on_connect(error); });
  }

 private:
  void on_connect(const error_code& error) {
    if (error) {
      fail("connect to " + broker_.address().to_string() + ":" + std::to_string(broker_.port()) +
           ": " + error.message());
      return;
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    if (!tls_) {
      send_connect();
      return;
    }
    tls_->async_handshake(asio::ssl::stream_base::client,
                          [self = shared_from_this()](const error_code& handshake_error) {
                            self->on_handshake(handshake_error);
                          });
  }

  void on_handshake(const error_code& error) {
    if (error) {
      fail("TLS handshake: " + error.message());
      return;
    }
    SSL* ssl = tls_->native_handle();
    run_.note_tls(SSL_get_version(ssl), SSL_get_cipher_name(ssl));
    send_connect();
  }

  void send_connect() {
    mqtt::Connect connect;
    connect.version = version_;
    connect.clean_start = true;
    connect.keep_alive = 0;
    connect.client_id = client_id_;
    mqtt::encode_packet(connect, version_, out_);
    write([](ConnectProbe& self) { self.read(); });
  }

  // Writes out_, then runs `next`.
  void write(void (*next)(ConnectProbe&)) {
    auto done = [self = shared_from_this(), next](const error_code& error, std::size_t) {
      if (error) {
        self->fail("write: " + error.message());
        return;
      }
      self->out_.clear();
      next(*self);
    };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(out_), std::move(done));
    } else {
      asio::async_write(socket_, asio::buffer(out_), std::move(done));
    }
  }

  void read() {
    const std::span<std::uint8_t> space = decoder_.prepare(kReadChunk);
    auto done = [self = shared_from_this()](const error_code& error, std::size_t bytes) {
      self->on_read(error, bytes);
    };
    if (tls_) {
      tls_->async_read_some(asio::buffer(space.data(), space.size()), std::move(done));
    } else {
      socket_.async_read_some(asio::buffer(space.data(), space.size()), std::move(done));
    }
  }

  void on_read(const error_code& error, std::size_t bytes) {
    if (error) {
      const bool eof = error == asio::error::eof || error == asio::ssl::error::stream_truncated;
      fail(eof ? std::string("connection closed by the broker before its CONNACK")
               : "read: " + error.message());
      return;
    }
    decoder_.commit(bytes);
    mqtt::DecodeResult result = decoder_.next();
    if (std::holds_alternative<mqtt::NeedMore>(result)) {
      read();
      return;
    }
    if (const auto* decode_error = std::get_if<mqtt::DecodeError>(&result)) {
      fail(std::string("undecodable packet from the broker: ") + decode_error->why);
      return;
    }
    const auto* connack = std::get_if<mqtt::Connack>(&std::get<mqtt::Packet>(result));
    if (connack == nullptr) {
      fail("expected CONNACK");
      return;
    }
    if (connack->reason_code != mqtt::ReasonCode::kSuccess) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(connack->reason_code));
      fail(std::string("CONNACK refused: ") + hex + " " +
           std::string(mqtt::reason_code_name(connack->reason_code, mqtt::PacketType::kConnack)));
      return;
    }
    setup_ns_ = now_ns() - started_ns_;
    mqtt::encode_packet(mqtt::Disconnect{}, version_, out_);
    write([](ConnectProbe& self) { self.finish(true); });
  }

  void fail(const std::string& what) {
    run_.fail("client " + client_id_ + ": " + what);
    finish(false);
  }

  // Closes without a TLS close_notify: the DISCONNECT has told the broker.
  void finish(bool ok) {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    done_(ok, setup_ns_);
  }

  tcp::socket socket_;
  std::unique_ptr<TlsClient::Stream> tls_;  // over socket_, destroyed before it
  tcp::endpoint broker_;
  mqtt::ProtocolVersion version_;
  std::string client_id_;
  RunState& run_;
  mqtt::FrameDecoder decoder_;
  std::vector<std::uint8_t> out_;
  Done done_;
  std::uint64_t started_ns_ = 0;
  std::uint64_t setup_ns_ = 0;
};

}  // namespace

ConnectLoop::ConnectLoop(asio::io_context& io, Settings settings, RunState& run)
    : io_(io), settings_(std::move(settings)), run_(run) {}

void ConnectLoop::start() {
  active_ = settings_.slots;
  asio::post(io_, [this] {
    for (std::size_t i = 0; i < settings_.slots; ++i) launch();
  });
}

void ConnectLoop::launch() {
  auto probe = std::make_shared<ConnectProbe>(
      io_, settings_, settings_.client_prefix + "-" + std::to_string(next_id_++), run_,
      [this](bool ok, std::uint64_t setup_ns) { finished(ok, setup_ns); });
  probe->start();
}

void ConnectLoop::finished(bool ok, std::uint64_t setup_ns) {
  const Phase phase = run_.phase.load();
  if (ok) {
    completed_.fetch_add(1, std::memory_order_relaxed);
    if (phase == Phase::kMeasure) {
      measured_.fetch_add(1, std::memory_order_relaxed);
      latency_.record(setup_ns);
    }
  }
  if (ok && (phase == Phase::kWarmup || phase == Phase::kMeasure)) {
    // Posted, not called: the probe that finished unwinds first.
    asio::post(io_, [this] { launch(); });
  } else {
    active_.fetch_sub(1);
  }
}

}  // namespace cairn::load
