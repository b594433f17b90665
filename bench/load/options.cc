#include "load/options.h"

#include <iostream>
#include <map>
#include <random>

#include <CLI/CLI.hpp>

#include "load/message_header.h"

namespace cairn::load {
namespace {

std::string random_hex(int digits) {
  std::random_device device;
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[nibble(device)];
  return out;
}

}  // namespace

std::string_view scenario_name(Scenario scenario) noexcept {
  switch (scenario) {
    case Scenario::kPairs:
      return "pairs";
    case Scenario::kFanout:
      return "fanout";
    case Scenario::kFanin:
      return "fanin";
    case Scenario::kIdle:
      return "idle";
    case Scenario::kBacklog:
      return "backlog";
    case Scenario::kConnect:
      return "connect";
  }
  return "?";
}

std::string_view version_name(mqtt::ProtocolVersion version) noexcept {
  switch (version) {
    case mqtt::ProtocolVersion::kV31:
      return "3.1";
    case mqtt::ProtocolVersion::kV311:
      return "3.1.1";
    case mqtt::ProtocolVersion::kV5:
      return "5";
  }
  return "?";
}

int parse_options(int argc, char** argv, Options& options) {
  CLI::App app{
      "cairn-load: an end-to-end MQTT load generator. Publishers stamp every message with\n"
      "their id, a sequence number and the send time; subscribers measure latency and\n"
      "check each (publisher, subscriber) stream for loss, duplicates and reordering.",
      "cairn-load"};
  // An option given twice takes its last value: a script passes its common
  // settings first and a run's own after them (bench/compare.sh's window 1).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  const std::map<std::string, Scenario> scenarios{
      {"pairs", Scenario::kPairs},     {"fanout", Scenario::kFanout},
      {"fanin", Scenario::kFanin},     {"idle", Scenario::kIdle},
      {"backlog", Scenario::kBacklog}, {"connect", Scenario::kConnect}};
  const std::map<std::string, mqtt::ProtocolVersion> versions{
      {"3.1.1", mqtt::ProtocolVersion::kV311}, {"5", mqtt::ProtocolVersion::kV5}};

  app.add_option("--host", options.host, "Broker address")->capture_default_str();
  app.add_option("--port", options.port, "Broker port")->capture_default_str();
  app.add_option("--scenario", options.scenario,
                 "pairs: N publisher/subscriber pairs; fanout: 1 publisher -> N subscribers; "
                 "fanin: N publishers -> 1 subscriber; idle: N idle connections; "
                 "backlog: N offline persistent sessions, 1 publisher, then the sessions drain; "
                 "connect: connection set-up (CONNECT, CONNACK, DISCONNECT), N at a time")
      ->transform(CLI::CheckedTransformer(scenarios))
      ->default_str("pairs");
  CLI::Option* clients =
      app.add_option("--clients", options.clients,
                     "N: pairs, subscribers, publishers, connections or sessions (backlog: 100; "
                     "connect: connections set up at once, default 1)")
          ->check(CLI::Range(1u, 1'000'000u))
          ->capture_default_str();
  CLI::Option* qos = app.add_option("--qos", options.qos,
                                    "QoS of publishes and subscriptions (backlog: 1, at least 1)")
                         ->check(CLI::Range(0, 2))
                         ->capture_default_str();
  app.add_flag("--persistent", options.persistent,
               "Persistent sessions with stable client ids: Clean Session 0 (3.1.1), or Clean "
               "Start 0 and a Session Expiry Interval (5); always on for backlog");
  app.add_option("--session-expiry", options.session_expiry_s,
                 "MQTT 5 Session Expiry Interval of --persistent sessions, seconds")
      ->check(CLI::Range(1u, 0xFFFF'FFFFu))
      ->capture_default_str();
  app.add_option("--messages", options.messages,
                 "backlog: messages published while the sessions are offline")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000'000}))
      ->capture_default_str();
  app.add_option("--payload", options.payload, "Payload bytes (at least the 20-byte header)")
      ->check(CLI::Range(static_cast<std::uint32_t>(kMessageHeaderSize), 100'000'000u))
      ->capture_default_str();
  app.add_option("--window", options.window,
                 "Messages in flight per publisher, each until every subscriber has it")
      ->check(CLI::Range(1u, 10'000'000u))
      ->capture_default_str();
  app.add_flag("--tls", options.tls,
               "MQTT over TLS (full handshakes, never resumed), verifying the broker's "
               "certificate and that it names --host");
  app.add_option("--cafile", options.cafile,
                 "PEM file of the CAs the broker's certificate must chain to (implies --tls; "
                 "default: the system's CAs)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-version", options.tls_version,
                 "Pin the TLS version: 1.2 or 1.3 (implies --tls; default: offer both)")
      ->check(CLI::IsMember({"1.2", "1.3"}));
  app.add_option("--duration", options.duration_s, "Seconds measured (idle: seconds held)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", options.warmup_s, "Seconds of load before measuring")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--mqtt", options.version, "Protocol version: 3.1.1 or 5")
      ->transform(CLI::CheckedTransformer(versions))
      ->default_str("3.1.1");
  app.add_option("--threads", options.threads, "I/O threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_flag("--json", options.json, "Print one line of JSON instead of the table");
  app.add_option("--topic-prefix", options.topic_prefix, "Topic prefix (default: load/<random>)");
  app.add_option("--client-prefix", options.client_prefix,
                 "Client identifier prefix: <prefix>-s<i> for subscriber or session i, "
                 "<prefix>-p<i> for publisher i (default: cairn-load-<random>)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (options.topic_prefix.empty()) options.topic_prefix = "load/" + random_hex(6);
  if (!options.cafile.empty() || !options.tls_version.empty()) options.tls = true;
  if (options.scenario == Scenario::kConnect && clients->count() == 0) options.clients = 1;
  if (options.scenario == Scenario::kBacklog) {
    // A backlog is what a broker keeps for offline persistent sessions, and
    // QoS 0 is not kept for them.
    options.persistent = true;
    if (clients->count() == 0) options.clients = 100;
    if (qos->count() == 0) options.qos = 1;
    if (options.qos == 0) {
      std::cerr << "--scenario backlog: --qos must be 1 or 2 (QoS 0 is not queued for offline "
                   "sessions)\n";
      return 2;
    }
  }
  return -1;
}

}  // namespace cairn::load
