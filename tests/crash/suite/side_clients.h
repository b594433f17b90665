// The workload's clients that are not plain publishers or subscribers:
//
// Flipper: a persistent MQTT 5 session that subscribes to and unsubscribes
// from its own topic in turn while the load runs, so that crashes land before,
// during and after SUBSCRIBE and UNSUBSCRIBE. What it knows of its
// subscription is what the broker last acknowledged (SUBACK or UNSUBACK), and
// whether a change was in flight at the crash: after the restart a message
// published to the topic must arrive after a SUBSCRIBE and must not after an
// UNSUBSCRIBE (either when a change was in flight).
//
// WillClient: a persistent MQTT 5 session with a delayed will ("will:<n>" on
// ct/will, n counting its connections), connected at the crash. If it comes
// back within the Will Delay Interval the will must never be published;
// if it stays away it must be, once the delay is over [MQTT-3.1.3-9].
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "suite/mqtt_link.h"

namespace cairn::crashtest {

class Flipper {
 public:
  struct State {
    bool subscribed = false;
    bool in_flight = false;
    int changes = 0;  // acknowledged changes so far
  };
  static constexpr const char* kTopic = "flip/t";  // outside ct/#

  explicit Flipper(std::string id) : id_(std::move(id)) {}
  ~Flipper() { stop(); }
  Flipper(const Flipper&) = delete;
  Flipper& operator=(const Flipper&) = delete;

  const std::string& id() const { return id_; }
  std::optional<bool> connect(std::uint16_t port);
  // Changes its subscription every few milliseconds on a thread of its own,
  // until stop() or the connection drops.
  void start();
  // No change starts after it; one under way goes on. Called just before a
  // crash: a change begun on a dead connection would count as in flight,
  // and the check would learn nothing.
  void request_stop() { stop_ = true; }
  void stop();
  State state() const;
  // After stop(): whether `payload` arrives within `timeout`.
  bool receives(const std::string& payload, milliseconds timeout);
  // A change in flight at the crash is over: `subscribed` is what the broker
  // kept, as receives() showed.
  void settle(bool subscribed);

 private:
  bool flip();

  const std::string id_;
  MqttLink link_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::uint16_t next_id_ = 1;
  mutable std::mutex mutex_;
  State state_;
};

class WillClient {
 public:
  static constexpr const char* kTopic = "ct/will";
  static constexpr std::uint32_t kDelayS = 1;

  explicit WillClient(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }
  // Connection number n: its will is "will:<n>". Session Present, or
  // nothing without a CONNACK 0.
  std::optional<bool> connect(std::uint16_t port, std::uint64_t n);
  bool connected() const { return !link_.closed(); }
  void forget() { link_.close(); }  // after a crash: the connection is gone

 private:
  const std::string id_;
  MqttLink link_;
};

// Publishes one QoS 1 message from a new clean MQTT 5 client; true at PUBACK
// with a success code.
bool publish_once(std::uint16_t port, const std::string& topic, const std::string& payload);

}  // namespace cairn::crashtest
