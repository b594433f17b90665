// Flipper: the subscription changes of the SIGKILL durability test
// (kill_test.cc). A persistent MQTT 5 session subscribes to and unsubscribes
// from its own topic in turn while the load runs, so that kills land before,
// during and after SUBSCRIBE and UNSUBSCRIBE. What it knows of its
// subscription is what the broker last acknowledged (SUBACK or UNSUBACK), and
// whether a change was in flight when the connection dropped: after the
// restart, a message published to the topic must arrive if the last
// acknowledged change was a SUBSCRIBE and must not if it was an UNSUBSCRIBE
// (D1: SUBACK and UNSUBACK only after the commit); either is right when a
// change was in flight.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "integration/paho/raw_client.h"

namespace cairn::paho_test {

class Flipper {
 public:
  struct State {
    bool subscribed = false;  // as the last SUBACK / UNSUBACK said
    bool in_flight = false;   // a change sent, its acknowledgement not read
    int changes = 0;          // acknowledged changes so far
  };

  static constexpr const char* kTopic = "flip/t";

  explicit Flipper(std::string id) : id_(std::move(id)) {}
  ~Flipper() { stop(); }
  Flipper(const Flipper&) = delete;
  Flipper& operator=(const Flipper&) = delete;

  const std::string& id() const { return id_; }

  // CONNECT with Clean Start 0 and a Session Expiry Interval: Session
  // Present, or nothing without a CONNACK 0. Only while stopped.
  std::optional<bool> connect(std::uint16_t port);
  // Changes its subscription every few milliseconds on a thread of its own
  // until stop() or the connection drops.
  void start();
  void stop();
  State state() const;
  // After stop(): reads (and acknowledges) what arrives for `timeout`; true
  // if `payload` did.
  bool receives(const std::string& payload, milliseconds timeout);
  // A change in flight at the kill is over: `subscribed` is what the broker
  // kept, as receives() showed.
  void settle(bool subscribed);

 private:
  // One change: SUBSCRIBE or UNSUBSCRIBE, then its acknowledgement.
  bool flip();

  const std::string id_;
  std::unique_ptr<RawClient> client_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::uint16_t next_id_ = 1;
  mutable std::mutex mutex_;
  State state_;
};

}  // namespace cairn::paho_test
