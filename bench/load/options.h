// The command line of cairn-load: what to run, against which broker, how long.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mqtt/protocol_version.h"

namespace cairn::load {

// pairs: N publisher/subscriber pairs, each pair on its own topic.
// fanout: 1 publisher, N subscribers of its topic.
// fanin: N publishers on their own topics, 1 subscriber of all of them.
// idle: N connections that CONNECT and stay idle.
// backlog: N persistent sessions subscribe and go offline, 1 publisher sends
// --messages to them, then they come back and drain their queues.
// connect: connection set-up, N at a time: TCP connect (and TLS handshake),
// CONNECT, CONNACK, DISCONNECT, close, again and again.
enum class Scenario { kPairs, kFanout, kFanin, kIdle, kBacklog, kConnect };

std::string_view scenario_name(Scenario scenario) noexcept;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  Scenario scenario = Scenario::kPairs;
  std::uint32_t clients = 8;
  int qos = 0;
  std::uint32_t payload = 64;  // bytes, at least kMessageHeaderSize
  std::uint32_t window = 64;   // messages in flight per publisher, end to end
  double duration_s = 10;
  double warmup_s = 1;
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV311;
  unsigned threads = 1;
  bool json = false;
  std::string topic_prefix;   // "load/<random>" unless given
  std::string client_prefix;  // "cairn-load-<random>" unless given
  // Clean Session 0 (3.1.1) or Clean Start 0 with a Session Expiry Interval
  // (5): the broker keeps each session, and a record of every QoS 1/2
  // delivery to it, across connections. Always on for backlog.
  bool persistent = false;
  std::uint32_t session_expiry_s = 3600;  // MQTT 5 only; 3.1.1 sessions never expire
  std::uint64_t messages = 1'000'000;     // backlog: messages published to the offline sessions
  // MQTT over TLS, verifying the broker's certificate against `cafile` (else
  // the system's CAs) and `host`. `tls_version`: "1.2" or "1.3" pins it;
  // empty offers both.
  bool tls = false;
  std::string cafile;
  std::string tls_version;
};

// "3.1.1" or "5".
std::string_view version_name(mqtt::ProtocolVersion version) noexcept;

// Parses the command line. Returns the exit code to stop with (0 after
// --help, 2 for a usage error, the message already printed), or -1 to run.
int parse_options(int argc, char** argv, Options& options);

}  // namespace cairn::load
