// Connection: one MQTT client connection of the load generator, over Boost.Asio
// TCP, or TLS over TCP (Config::tls), with cairn's codec.
//
// Output is batched: packets are encoded into a pending buffer and one write
// is in flight at a time, carrying everything that accumulated while the one
// before was on its way. Input is read in large chunks into the FrameDecoder
// and every whole packet is handed to the subclass, then on_read_done() runs
// once per chunk.
//
// With TLS the connection makes its handshake after the TCP connect, before
// the CONNECT, and reads and writes through the TLS stream; without it, the
// same calls go to the socket, one branch away.
//
// A connection lives on one io_context (one thread); start(), disconnect()
// and ping() may be called from any thread and post to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "load/run_state.h"
#include "load/tls.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"

namespace cairn::load {

class Connection {
 public:
  struct Config {
    std::string client_id;
    mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV311;
    std::size_t read_buffer = 64 * 1024;  // bytes read at most at once
    // Clean Session 0 / Clean Start 0: the broker keeps the session, and the
    // QoS 1/2 messages routed to it, after the connection ends.
    bool persistent = false;
    std::uint32_t session_expiry_s = 0;  // MQTT 5, with `persistent`
    // The CONNACK's Session Present must say whether the broker still had the
    // session (persistent only): a session lost is a failure, not a new start.
    bool expect_session_present = false;
    // MQTT over TLS with these settings; nullptr: plain TCP.
    std::shared_ptr<TlsClient> tls;
  };

  Connection(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& broker,
             Config config, RunState& run);
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();       // connect, send CONNECT, wait for CONNACK
  void disconnect();  // send DISCONNECT and close; counts in RunState::closed
  void ping();        // send PINGREQ

  const std::string& client_id() const noexcept { return config_.client_id; }

 protected:
  // After a successful CONNACK.
  virtual void on_connected(const mqtt::Connack& /*connack*/) {}
  // Every packet after CONNACK but PINGRESP and DISCONNECT.
  virtual void on_packet(mqtt::Packet& packet, std::uint64_t received_ns) = 0;
  // After the packets of one read.
  virtual void on_read_done() {}

  // Appends a packet to the output; flush() starts writing it.
  void send(const mqtt::Packet& packet);
  void flush();
  // Records "client <id>: <what>" as a run error and closes.
  void fail(std::string_view what);

  boost::asio::io_context& io() noexcept { return io_; }
  RunState& run() noexcept { return run_; }
  mqtt::ProtocolVersion version() const noexcept { return config_.version; }
  bool is_open() const noexcept { return open_; }
  // The broker's Receive Maximum (MQTT 5 CONNACK), else 65535.
  std::uint16_t server_receive_maximum() const noexcept { return server_receive_maximum_; }

 private:
  void on_connect(const boost::system::error_code& error);
  void on_handshake(const boost::system::error_code& error);
  void send_connect();
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void on_write(const boost::system::error_code& error);
  bool handle_connack(const mqtt::Packet& packet);
  void launch_next_once();
  void close();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  // --tls: the stream over socket_ that reads and writes go through. Declared
  // after socket_, so destroyed before it.
  std::unique_ptr<TlsClient::Stream> tls_;
  boost::asio::ip::tcp::endpoint broker_;
  Config config_;
  RunState& run_;
  mqtt::FrameDecoder decoder_;
  std::vector<std::uint8_t> pending_;  // encoded, not yet being written
  std::vector<std::uint8_t> writing_;  // the buffer of the write in flight
  std::uint16_t server_receive_maximum_ = 65535;
  bool open_ = false;
  bool connacked_ = false;
  bool write_in_flight_ = false;
  bool closing_ = false;
  bool counted_closed_ = false;
  bool launched_next_ = false;
};

}  // namespace cairn::load
