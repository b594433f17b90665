// MqttLink: one blocking MQTT connection of cairn-crashtest, over a plain TCP
// socket with cairn's codec (src/mqtt). A crash test needs no speed from its
// clients, only exactness: every packet read is handed to the caller, and a
// connection the broker's death closes shows as closed().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"

namespace cairn::crashtest {

using std::chrono::milliseconds;

class MqttLink {
 public:
  MqttLink() = default;
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Connects to 127.0.0.1:port, sends `connect` and waits for the CONNACK;
  // nothing when the broker is unreachable, closes, or says nothing.
  std::optional<mqtt::Connack> open(std::uint16_t port, const mqtt::Connect& connect,
                                    milliseconds timeout);
  // False when the connection is gone.
  bool send(const mqtt::Packet& packet);
  // The next packet, or nothing on timeout or when the connection closed (or
  // sent bytes that do not decode: then it is closed).
  std::optional<mqtt::Packet> read(milliseconds timeout);
  void close();
  bool closed() const { return fd_ < 0; }
  mqtt::ProtocolVersion version() const { return version_; }

 private:
  int fd_ = -1;
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::kV311;
  mqtt::FrameDecoder decoder_;
  std::vector<std::uint8_t> out_;
};

}  // namespace cairn::crashtest
