// net::Connection under a congested store (DESIGN.md §4): while the commit
// queue is over its bound, a connection stops reading, so what its client
// sends waits in the socket buffers (TCP flow control slows the client) and
// nothing more is queued for the disk; reading resumes by itself when the
// store catches up. A real connection on a loopback socket, against a broker
// whose store says it is congested when the test says so.
#include <array>
#include <atomic>
#include <chrono>
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
#include "support/session_harness.h"

namespace cairn::net {
namespace {

namespace asio = boost::asio;
using model::QoS;
using mqtt::ProtocolVersion;

// The InMemoryStore, congested while `congested` is set.
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

std::vector<std::uint8_t> bytes_of(const mqtt::Packet& packet) {
  std::vector<std::uint8_t> out;
  mqtt::encode_packet(packet, ProtocolVersion::kV311, out);
  return out;
}

class ConnectionBackpressure : public ::testing::Test {
 protected:
  void SetUp() override {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(io_);
    acceptor.accept(server);
    connection_ = std::make_shared<Connection>(net::Transport(std::move(server)), broker_,
                                               settings_, stats_, 1);
    sweeper_ = std::make_unique<DeadlineSweeper>(io_);
    asio::post(io_, [c = connection_] { c->start(); });
    // A network thread, as IoThreads makes them: connections find its sweeper.
    thread_ = std::thread([this] {
      DeadlineSweeper::set_current(sweeper_.get());
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

  // The first byte of the next packet from the broker (its type), or nothing
  // within `timeout`.
  std::optional<std::uint8_t> next_packet_type(std::chrono::milliseconds timeout) {
    client_.non_blocking(true);
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      std::array<std::uint8_t, 256> buffer{};
      boost::system::error_code ec;
      const std::size_t n = client_.read_some(asio::buffer(buffer), ec);
      if (!ec && n > 0) return buffer[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

  CongestedStore store_;
  broker::Broker broker_{store_, broker::BrokerSettings{}};
  ConnectionSettings settings_;
  ConnectionStats stats_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  asio::ip::tcp::socket client_{io_};
  std::unique_ptr<DeadlineSweeper> sweeper_;
  std::shared_ptr<Connection> connection_;
  std::thread thread_;
};

TEST_F(ConnectionBackpressure, CongestedStoreStopsReadingUntilItCatchesUp) {
  asio::write(client_, asio::buffer(bytes_of(test::make_connect(ProtocolVersion::kV311, "c",
                                                                /*clean_start=*/true))));
  ASSERT_EQ(next_packet_type(std::chrono::seconds(5)), 0x20) << "no CONNACK";
  const int before = store_.batches.load();

  store_.congested_flag = true;
  // Read once more after the flag: a read already under way may take these.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  asio::write(client_, asio::buffer(bytes_of(test::make_publish("t", QoS::kAtLeastOnce, 1))));
  EXPECT_EQ(next_packet_type(std::chrono::milliseconds(300)), std::nullopt)
      << "a PUBACK came while the store was congested";
  EXPECT_EQ(store_.batches.load(), before) << "the PUBLISH went to the store";
  EXPECT_EQ(stats_.messages_in.load(), 0u);

  store_.congested_flag = false;
  EXPECT_EQ(next_packet_type(std::chrono::seconds(5)), 0x40) << "no PUBACK once it caught up";
  EXPECT_EQ(stats_.messages_in.load(), 1u);
}

}  // namespace
}  // namespace cairn::net
