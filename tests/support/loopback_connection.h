// A real net::Connection on a loopback socket, served by a network thread of
// its own (with the DeadlineSweeper IoThreads would give it), against a
// broker on an InMemoryStore that reports itself congested when the test
// says so. The test plays the client on the other end of the socket.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <utility>  // before Boost 1.74's asio, which uses std::exchange without it
#include <vector>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "broker/broker.h"
#include "mqtt/packet_encoder.h"
#include "net/connection.h"
#include "net/deadline_sweeper.h"
#include "storage/in_memory_store.h"

namespace cairn::test {

// The InMemoryStore, congested while `congested_flag` is set.
class CongestedStore final : public storage::DurableStore {
 public:
  void submit(storage::Batch batch, Completion done) override {
    ++batches;
    inner.submit(std::move(batch), std::move(done));
  }
  bool failed() const noexcept override { return inner.failed(); }
  bool congested() const noexcept override { return congested_flag.load(); }
  void close() override { inner.close(); }

  storage::InMemoryStore inner;
  std::atomic<bool> congested_flag{false};
  std::atomic<int> batches{0};
};

class LoopbackConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace asio = boost::asio;
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(io_);
    acceptor.accept(server);
    connection_ = std::make_shared<net::Connection>(net::Transport(std::move(server)), broker_,
                                                    settings_, stats_, 1);
    sweeper_ = std::make_unique<net::DeadlineSweeper>(io_);
    asio::post(io_, [c = connection_] { c->start(); });
    // A network thread, as IoThreads makes them: connections find its sweeper.
    thread_ = std::thread([this] {
      net::DeadlineSweeper::set_current(sweeper_.get());
      io_.run();
    });
  }
  void TearDown() override {
    store_.congested_flag = false;
    client_.close();
    work_.reset();
    io_.stop();
    thread_.join();
    connection_.reset();
    sweeper_.reset();
    store_.close();
  }

  // Sends a packet as the client, encoded for `version`.
  void send(const mqtt::Packet& packet, mqtt::ProtocolVersion version) {
    std::vector<std::uint8_t> bytes;
    mqtt::encode_packet(packet, version, bytes);
    boost::asio::write(client_, boost::asio::buffer(bytes));
  }

  // The first byte of the next packet from the broker (its type), or nothing
  // within `timeout`. A closed connection reads as nothing too.
  std::optional<std::uint8_t> next_packet_type(std::chrono::milliseconds timeout) {
    client_.non_blocking(true);
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      std::array<std::uint8_t, 256> buffer{};
      boost::system::error_code ec;
      const std::size_t n = client_.read_some(boost::asio::buffer(buffer), ec);
      if (!ec && n > 0) return buffer[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

  // The connection's deadlines checked as its sweeper checks them, on its
  // thread, at `now`: false once it has closed.
  bool check_deadlines_at(std::chrono::steady_clock::time_point now) {
    std::promise<bool> open;
    boost::asio::post(io_, [&] { open.set_value(connection_->check_deadlines(now)); });
    return open.get_future().get();
  }

  CongestedStore store_;
  broker::Broker broker_{store_, broker::BrokerSettings{}};
  net::ConnectionSettings settings_;
  net::ConnectionStats stats_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  boost::asio::ip::tcp::socket client_{io_};
  std::unique_ptr<net::DeadlineSweeper> sweeper_;
  std::shared_ptr<net::Connection> connection_;
  std::thread thread_;
};

}  // namespace cairn::test
