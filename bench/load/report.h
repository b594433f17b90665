// Result: what one cairn-load run measured, and its two renderings: a human
// table and one line of JSON (the keys compare.sh reads).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace cairn::load {

struct Result {
  std::string scenario;
  int qos = 0;
  std::uint32_t clients = 0;
  std::uint32_t payload = 0;
  std::uint32_t window = 0;
  std::string mqtt;
  bool persistent = false;
  double duration_s = 0;  // measured seconds

  // Counted over the measured seconds.
  std::uint64_t published = 0;  // PUBLISH packets sent
  std::uint64_t acked = 0;      // of which PUBACK/PUBCOMP received (QoS 1/2)
  std::uint64_t delivered = 0;  // PUBLISH packets received by subscribers
  double publish_rate = 0;      // acked/s at QoS 1/2, published/s at QoS 0
  double delivery_rate = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  // CPU cairn-load itself used, in cores (1.0: one core busy): near its
  // --threads, the load generator is the bottleneck, not the broker.
  double load_cpu = 0;
  unsigned threads = 1;

  // Over the whole run, once in-flight messages drained (or 5 s passed).
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  bool drained = true;

  // idle: connections that got their CONNACK and how fast. connect: the
  // connections set up and closed in the measured seconds (connect_s), and
  // every one, warm-up and the last ones included (connections_total);
  // p50_us ... max_us are then set-up latencies (TCP connect to CONNACK).
  std::uint64_t connections = 0;
  double connect_s = 0;
  double connect_rate = 0;
  std::uint64_t connections_total = 0;

  // --tls: the version and cipher suite negotiated ("TLSv1.3
  // TLS_AES_256_GCM_SHA384"; several, comma-separated, if they differed).
  std::string tls;

  // backlog: the messages published to the offline sessions, the seconds
  // from the first PUBLISH to the last acknowledgement (publish_rate is
  // messages / publish_s), and from the first reconnection to the last
  // delivery (delivery_rate is sessions x messages / drain_s).
  std::uint64_t messages = 0;
  double publish_s = 0;
  double drain_s = 0;

  std::vector<std::string> errors;  // connection failures and protocol errors

  // The exit status: non-zero on errors, or on any loss, duplicate or
  // reordering at QoS 1/2.
  int exit_status() const noexcept;
};

void print_table(const Result& result, std::ostream& out);
void print_json(const Result& result, std::ostream& out);

}  // namespace cairn::load
