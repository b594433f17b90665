// Publisher: publishes stamped messages on its topic as fast as its window
// allows.
//
// The window is end to end: a message counts against it until every
// subscriber of the topic has received it (the slowest stream's front), so a
// QoS 0 run cannot overrun the broker and measures what is delivered. At
// QoS 1/2 the protocol's own acknowledgements bound it too: at most
// min(window, the broker's Receive Maximum) packet ids are in use.
//
// A full publisher resumes once an eighth of the window is free, so that it
// writes in batches. At QoS 0 a window that has not moved for a second is
// given up on (the broker dropped what was outstanding; the end of the run
// counts it as lost), so a lossy broker slows a run down but cannot stop it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "load/connection.h"
#include "load/stream.h"

namespace cairn::load {

class Publisher : public Connection {
 public:
  struct Settings {
    std::uint32_t id = 0;
    std::string topic;
    int qos = 0;
    std::uint32_t window = 64;
    std::uint32_t payload = 64;
    std::uint64_t limit = 0;  // messages to send in all; 0: until the run stops it
  };

  Publisher(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& broker,
            Config config, RunState& run, Settings settings);

  // Before start(): a subscriber's stream of this publisher's messages.
  void add_stream(const Stream* stream) { streams_.push_back(stream); }
  // Starts publishing. Thread-safe.
  void begin();
  // Called by subscribers after a stream of this publisher moved: resumes
  // publishing if the window was full. Thread-safe.
  void wake();

  // Readable from any thread.
  std::uint64_t sent() const noexcept { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t acked() const noexcept { return acked_.load(std::memory_order_relaxed); }
  std::uint64_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }

 protected:
  void on_packet(mqtt::Packet& packet, std::uint64_t received_ns) override;
  void on_read_done() override;

 private:
  enum IdState : std::uint8_t { kFree, kAwaitPuback, kAwaitPubrec, kAwaitPubcomp };

  void pump();
  // Messages the end-to-end window allows now.
  std::uint64_t window_room() const noexcept;
  void watch_for_stall();
  void publish_one();
  std::uint16_t allocate_id();
  void release(std::uint16_t id);
  bool expect(std::uint16_t id, IdState state, const char* packet);

  Settings settings_;
  std::vector<const Stream*> streams_;
  mqtt::Packet publish_;  // reused: only the header bytes and packet id change
  mqtt::Packet pubrel_ = mqtt::Pubrel{};
  std::vector<IdState> ids_;  // by packet id, QoS 1/2 only
  std::uint16_t last_id_ = 0;
  std::uint32_t protocol_limit_ = 0;  // packet ids in use at most
  std::uint32_t min_batch_ = 1;       // resume only when this many may be sent
  std::uint64_t given_up_to_ = 0;     // QoS 0: sequences below are no longer waited for
  boost::asio::steady_timer stall_timer_;
  bool stall_timer_armed_ = false;
  std::uint64_t next_sequence_ = 0;
  std::atomic<bool> blocked_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> in_flight_{0};
};

}  // namespace cairn::load
