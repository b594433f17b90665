// Subscriber: subscribes to one filter and checks what arrives.
//
// A subscriber that resumes a persistent session (the backlog scenario's
// second connection) does not subscribe: the broker kept the subscription,
// and re-subscribing would hide a broker that lost it.
//
// Every message is matched to its publisher's Stream by the id in its
// header: the stream's tracker counts duplicates and reordering, the
// latency (receive time - send time) goes to the histogram while the run is
// measured, and QoS 1/2 deliveries are acknowledged (PUBACK; PUBREC, then
// PUBCOMP on PUBREL). After each read the streams that moved are published
// to their publishers, which resume if their window was full.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "load/connection.h"
#include "load/histogram.h"
#include "load/stream.h"

namespace cairn::load {

class Subscriber : public Connection {
 public:
  Subscriber(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& broker,
             Config config, RunState& run, std::string filter, int qos, bool subscribe = true);

  // Before start(): the stream of publisher `publisher_id`'s messages.
  void add_stream(std::uint32_t publisher_id, Stream* stream);

  // Readable from any thread.
  std::uint64_t delivered() const noexcept { return delivered_.load(std::memory_order_relaxed); }
  // Only once the subscriber's thread has stopped.
  const LatencyHistogram& latency() const noexcept { return latency_; }

 protected:
  void on_connected(const mqtt::Connack& connack) override;
  void on_packet(mqtt::Packet& packet, std::uint64_t received_ns) override;
  void on_read_done() override;

 private:
  void on_publish(const mqtt::Publish& publish, std::uint64_t received_ns);

  std::string filter_;
  int qos_;
  bool subscribe_;
  std::vector<Stream*> streams_;  // by publisher id; nullptr when not subscribed to it
  std::vector<Stream*> moved_;    // streams that moved during this read
  LatencyHistogram latency_;
  mqtt::Packet puback_ = mqtt::Puback{};
  mqtt::Packet pubrec_ = mqtt::Pubrec{};
  mqtt::Packet pubcomp_ = mqtt::Pubcomp{};
  std::uint64_t delivered_local_ = 0;
  std::atomic<std::uint64_t> delivered_{0};
  bool subscribed_ = false;
};

}  // namespace cairn::load
