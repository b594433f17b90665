// PublishView: a delivery encoded from the broker's message without copying
// it into a Publish must produce exactly the bytes of the equal Publish, in
// every version, with and without properties, at every QoS and flag.
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/packet_encoder.h"
#include <sys/mman.h>

namespace cairn::mqtt {
namespace {

PublishView view_of(const Publish& p, bool with_properties) {
  PublishView v;
  v.dup = p.dup;
  v.qos = p.qos;
  v.retain = p.retain;
  v.topic = p.topic;
  v.packet_id = p.packet_id;
  v.properties = with_properties ? &p.properties : nullptr;
  v.payload = p.payload;
  return v;
}

std::vector<std::uint8_t> bytes_of(const Packet& p, ProtocolVersion v) {
  std::vector<std::uint8_t> out;
  encode_packet(p, v, out);
  return out;
}

TEST(PublishView, EncodesExactlyAsTheEqualPublish) {
  std::mt19937 rng(11);
  for (ProtocolVersion version :
       {ProtocolVersion::kV31, ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    for (int i = 0; i < 500; ++i) {
      SCOPED_TRACE(i);
      Publish p;
      p.qos = static_cast<QoS>(rng() % 3);
      p.dup = p.qos != QoS::kAtMostOnce && rng() % 2 == 0;
      p.retain = rng() % 2 == 0;
      p.topic = "t/" + std::to_string(rng() % 1000);
      if (p.qos != QoS::kAtMostOnce) p.packet_id = static_cast<std::uint16_t>(1 + rng() % 65535);
      p.payload = std::string(rng() % (i % 10 == 0 ? 70000 : 200), 'p');
      const bool with_properties = version == ProtocolVersion::kV5 && rng() % 2 == 0;
      if (with_properties) {
        p.properties.message_expiry_interval = static_cast<std::uint32_t>(rng());
        p.properties.subscription_identifiers = {1, 268'435'455};
        p.properties.user_properties.push_back({"k", "v"});
        p.properties.content_type = "text/plain";
        if (rng() % 2 == 0) {
          p.properties.topic_alias = 3;
          p.topic.clear();
        }
      }
      const PublishView view = view_of(p, with_properties);
      std::vector<std::uint8_t> out = {0xAA};  // appends after what is there
      encode_publish(view, version, out);
      const auto expected = bytes_of(Packet(p), version);
      ASSERT_EQ(out.size(), 1 + expected.size());
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(), out.begin() + 1));
      EXPECT_EQ(encoded_size(view, version), expected.size());
    }
  }
}

TEST(PublishView, NoPropertiesInMqtt5IsAZeroPropertyLength) {
  Publish p;
  p.topic = "a";
  p.payload = "x";
  std::vector<std::uint8_t> out;
  encode_publish(view_of(p, false), ProtocolVersion::kV5, out);
  // 0x30, length 5: topic length 00 01, 'a', property length 00, 'x'.
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x30, 0x05, 0x00, 0x01, 'a', 0x00, 'x'}));
}

TEST(PublishView, TooLargeForMqttIsSizedAsTooLargeForAnyClient) {
  // A delivery can outgrow MQTT's largest packet (a topic restored from an
  // alias, properties added to a message received at the largest size); its
  // size must compare above every Maximum Packet Size instead of aborting.
  // The payload is a reserved, never-touched mapping: no memory is used.
  constexpr std::size_t kPayload = 268'435'455 - 10;
  void* mapping =
      mmap(nullptr, kPayload, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  PublishView v;
  v.qos = QoS::kAtLeastOnce;
  v.packet_id = 1;
  v.topic = "a/long/topic/restored/from/an/alias";
  v.payload = std::string_view(static_cast<const char*>(mapping), kPayload);
  EXPECT_EQ(encoded_size(v, ProtocolVersion::kV311), std::numeric_limits<std::size_t>::max());
  v.topic = "t";
  EXPECT_EQ(encoded_size(v, ProtocolVersion::kV311), 1u + 4u + (2u + 1u + 2u + kPayload));
  munmap(mapping, kPayload);
}

}  // namespace
}  // namespace cairn::mqtt
