// Codec micro-benchmarks: decode (through FrameDecoder, as a connection does)
// and encode (into a reused buffer) of PUBLISH and CONNECT.
//
// One packet per iteration, so the Time column is ns per packet; items/s is
// packets per second and bytes/s counts wire bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <benchmark/benchmark.h>

#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"

namespace {

using cairn::mqtt::Connect;
using cairn::mqtt::FrameDecoder;
using cairn::mqtt::Packet;
using cairn::mqtt::ProtocolVersion;
using cairn::mqtt::Publish;
using cairn::mqtt::QoS;

Packet make_publish(ProtocolVersion version, std::size_t payload_bytes) {
  Publish p;
  p.qos = QoS::kAtLeastOnce;
  p.topic = "sensors/building-7/floor-3/room-12/temperature";
  p.packet_id = 4711;
  p.payload = std::string(payload_bytes, 'x');
  if (version == ProtocolVersion::kV5) {
    p.properties.message_expiry_interval = 3600;
    p.properties.user_properties = {{"trace-id", "0af7651916cd43dd8448eb211c80319c"}};
  }
  return p;
}

Packet make_connect(ProtocolVersion version) {
  Connect c;
  c.version = version;
  c.clean_start = false;
  c.keep_alive = 60;
  c.client_id = "sensor-building-7-0042";
  c.username = "sensor";
  c.password = "correct horse battery staple";
  cairn::mqtt::Will will;
  will.topic = "sensors/building-7/0042/status";
  will.payload = "offline";
  will.qos = QoS::kAtLeastOnce;
  will.retain = true;
  if (version == ProtocolVersion::kV5) {
    c.properties.session_expiry_interval = 86400;
    c.properties.receive_maximum = 100;
    c.properties.maximum_packet_size = 1 << 20;
    c.properties.topic_alias_maximum = 16;
    c.properties.user_properties = {{"fleet", "building-7"}};
    will.properties.will_delay_interval = 30;
    will.properties.message_expiry_interval = 600;
    will.properties.content_type = "text/plain";
  }
  c.will = will;
  return c;
}

std::vector<std::uint8_t> encoded(const Packet& packet, ProtocolVersion version) {
  std::vector<std::uint8_t> bytes;
  cairn::mqtt::encode_packet(packet, version, bytes);
  return bytes;
}

void run_decode(benchmark::State& state, const Packet& packet, ProtocolVersion version) {
  const std::vector<std::uint8_t> bytes = encoded(packet, version);
  FrameDecoder decoder(version);
  for (auto _ : state) {
    decoder.feed(bytes);
    cairn::mqtt::DecodeResult result = decoder.next();
    if (!std::holds_alternative<Packet>(result)) [[unlikely]] {
      state.SkipWithError("the packet did not decode");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
  state.counters["packet_bytes"] = static_cast<double>(bytes.size());
}

void run_encode(benchmark::State& state, const Packet& packet, ProtocolVersion version) {
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    out.clear();
    cairn::mqtt::encode_packet(packet, version, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
  state.counters["packet_bytes"] = static_cast<double>(out.size());
}

void BM_DecodePublish(benchmark::State& state, ProtocolVersion version, std::size_t payload) {
  run_decode(state, make_publish(version, payload), version);
}
void BM_EncodePublish(benchmark::State& state, ProtocolVersion version, std::size_t payload) {
  run_encode(state, make_publish(version, payload), version);
}
void BM_DecodeConnect(benchmark::State& state, ProtocolVersion version) {
  run_decode(state, make_connect(version), version);
}
void BM_EncodeConnect(benchmark::State& state, ProtocolVersion version) {
  run_encode(state, make_connect(version), version);
}

BENCHMARK_CAPTURE(BM_DecodePublish, v311_qos1_64B, ProtocolVersion::kV311, 64);
BENCHMARK_CAPTURE(BM_DecodePublish, v311_qos1_4KiB, ProtocolVersion::kV311, 4096);
BENCHMARK_CAPTURE(BM_DecodePublish, v5_qos1_64B, ProtocolVersion::kV5, 64);
BENCHMARK_CAPTURE(BM_DecodePublish, v5_qos1_4KiB, ProtocolVersion::kV5, 4096);
BENCHMARK_CAPTURE(BM_EncodePublish, v311_qos1_64B, ProtocolVersion::kV311, 64);
BENCHMARK_CAPTURE(BM_EncodePublish, v311_qos1_4KiB, ProtocolVersion::kV311, 4096);
BENCHMARK_CAPTURE(BM_EncodePublish, v5_qos1_64B, ProtocolVersion::kV5, 64);
BENCHMARK_CAPTURE(BM_EncodePublish, v5_qos1_4KiB, ProtocolVersion::kV5, 4096);
BENCHMARK_CAPTURE(BM_DecodeConnect, v311_will, ProtocolVersion::kV311);
BENCHMARK_CAPTURE(BM_DecodeConnect, v5_will_properties, ProtocolVersion::kV5);
BENCHMARK_CAPTURE(BM_EncodeConnect, v311_will, ProtocolVersion::kV311);
BENCHMARK_CAPTURE(BM_EncodeConnect, v5_will_properties, ProtocolVersion::kV5);

}  // namespace
