// The clients of cairn-crashtest and their bookkeeping.
//
// Publishers send numbered messages ("<stream>:<seq>", unique over the whole
// run) and record each one's fate: acknowledged is PUBACK for QoS 1 and
// PUBREC for QoS 2 (the moment the broker takes responsibility), each with a
// success reason code. They keep their MQTT session state across crashes, as
// a client library must: what was in flight is sent again (PUBLISH with DUP
// and the same packet identifier, or PUBREL) after the reconnect.
//
// Subscribers are persistent sessions (MQTT 3.1.1 Clean Session 0, or MQTT 5
// with a Session Expiry Interval) that count every message by stream and
// sequence. Their side of QoS 2 is session state kept across connections: a
// message is counted at its first PUBLISH, its packet identifier remembered
// until PUBREL (MQTT 5 §4.3.3, method B), so a QoS 2 message counted twice
// was sent twice as a new message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "suite/mqtt_link.h"

namespace cairn::crashtest {

using Clock = std::chrono::steady_clock;

struct StreamSpec {
  std::string name;  // payload prefix and client id suffix
  std::string topic;
  mqtt::ProtocolVersion version;
  int qos;
  bool retain;
  int window;                  // publishes in flight at once
  int pause_ms;                // after each publish
  std::uint32_t expiry_s = 0;  // MQTT 5 Message Expiry Interval; 0: none
};

// "q1:42" -> {"q1", 42}.
struct PayloadId {
  std::string stream;
  std::uint64_t seq = 0;
};
std::string payload_of(std::string_view stream, std::uint64_t seq);
std::optional<PayloadId> parse_payload(std::string_view payload);

enum class Fate : std::uint8_t { kInFlight, kAcked, kRefused };

class Publisher {
 public:
  Publisher(StreamSpec spec, std::string client_id);
  ~Publisher() { stop(); }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  const StreamSpec& spec() const { return spec_; }
  // Connects with a persistent session; then sends again what is in flight.
  // Nothing without a CONNACK 0; else Session Present.
  std::optional<bool> connect(std::uint16_t port);
  // Publishes on a thread of its own until stop() or the connection drops.
  void start();
  void stop();
  // Reads acknowledgements until nothing is in flight; false on timeout.
  bool settle(milliseconds timeout);
  std::vector<Fate> fates() const;

 private:
  struct Pending {
    std::uint64_t seq;
    bool released;  // QoS 2: PUBREC came, PUBREL sent
  };
  void run();
  bool handle(const mqtt::Packet& packet);  // mutex_ held
  mqtt::Publish publish_of(std::uint64_t seq, std::uint16_t id, bool dup) const;

  const StreamSpec spec_;
  const std::string client_id_;
  MqttLink link_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  mutable std::mutex mutex_;
  std::vector<Fate> fates_;
  std::map<std::uint16_t, Pending> pending_;  // by packet identifier
  std::uint16_t next_id_ = 1;
  // After a refusal (0x97, quota exceeded) the publisher waits a little before
  // sending new messages, as a client should: otherwise it spins, refused as
  // fast as it can send, and its bookkeeping grows by millions.
  Clock::time_point backoff_until_{};
};

class Subscriber {
 public:
  struct Counts {
    std::map<std::string, std::vector<std::uint32_t>> seen;  // stream -> count by seq
    std::vector<std::string> unpublished;                    // payloads of no stream
    std::uint64_t deliveries = 0;
    std::optional<Clock::time_point> first_after_connect;
    // How many times message `seq` of `stream` arrived.
    std::uint32_t times_seen(const std::string& stream, std::uint64_t seq) const {
      const auto it = seen.find(stream);
      return it == seen.end() || seq >= it->second.size() ? 0 : it->second[seq];
    }
  };

  struct Options {
    std::string client_id;
    mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV5;
    std::string filter;
    mqtt::QoS qos = mqtt::QoS::kExactlyOnce;
    std::uint16_t receive_maximum = 0;  // MQTT 5; 0: the default (65535)
    int delay_ms = 0;                   // before acknowledging each message: a slow consumer
  };

  explicit Subscriber(Options options) : options_(std::move(options)) {}
  ~Subscriber() { stop(); }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  const std::string& id() const { return options_.client_id; }
  std::optional<bool> connect(std::uint16_t port);
  bool subscribe();
  // DISCONNECT, keeping the session.
  void disconnect();
  // Reads and acknowledges on a thread of its own until stop() or the
  // connection drops.
  void start();
  void stop();
  Counts counts() const;
  // How many times `stream`:`seq` arrived.
  std::uint32_t seen(const std::string& stream, std::uint64_t seq) const;
  // The first sequence of `stream` from `from` on that `fates` says was
  // acknowledged and that has not been received; fates.size() when none.
  // Without copying the counts: what waiting for a drain polls.
  std::size_t first_missing(const std::string& stream, const std::vector<Fate>& fates,
                            std::size_t from) const;

 private:
  void handle(const mqtt::Packet& packet);

  const Options options_;
  MqttLink link_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::set<std::uint16_t> awaiting_pubrel_;  // the pump's, or anyone's while stopped
  mutable std::mutex mutex_;
  Counts counts_;
};

// The retained value a new client is sent for `topic`, within `timeout`.
std::optional<std::string> read_retained(std::uint16_t port, const std::string& topic,
                                         milliseconds timeout);

}  // namespace cairn::crashtest
