// FrameDecoder: a stream of varied packets of every type, built with
// encode_packet and starting with a CONNECT, decodes to the same packets fed
// whole, byte by byte, in random splits (seeded std::mt19937) and through
// prepare()/commit(); and a corrupted stream ends the same way in any split.
#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "mqtt/packet_encoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// ---- A stream of varied packets of every type ----

Connect make_connect(ProtocolVersion version) {
  Connect c;
  c.version = version;
  c.clean_start = false;
  c.keep_alive = 30;
  c.client_id = "client-1";
  Will will;
  will.topic = "will/topic";
  will.payload = std::string("bye\0\xFF", 5);
  will.qos = QoS::kAtLeastOnce;
  will.retain = true;
  c.username = "user";
  c.password = std::string("p\0w", 3);
  if (version == kV5) {
    c.properties.session_expiry_interval = 3600;
    c.properties.receive_maximum = 20;
    c.properties.maximum_packet_size = 1 << 20;
    c.properties.topic_alias_maximum = 10;
    c.properties.request_response_information = 1;
    c.properties.user_properties = {{"k", "v"}, {"k", "w"}};
    c.properties.authentication_method = "SCRAM";
    c.properties.authentication_data = std::string("\x01\x02", 2);
    will.properties.will_delay_interval = 5;
    will.properties.payload_format_indicator = 1;
    will.properties.message_expiry_interval = 60;
    will.properties.content_type = "text/plain";
    will.properties.response_topic = "reply/here";
    will.properties.correlation_data = "corr";
    will.properties.user_properties = {{"wk", "wv"}};
  }
  c.will = will;
  return c;
}

template <typename Ack>
Ack ack(std::uint16_t packet_id, ReasonCode reason_code = ReasonCode::kSuccess) {
  Ack a;
  a.packet_id = packet_id;
  a.reason_code = reason_code;
  return a;
}

std::vector<Packet> make_packets(ProtocolVersion version) {
  const bool v5 = version == kV5;
  std::vector<Packet> packets;
  packets.push_back(make_connect(version));

  Connack connack;
  connack.session_present = version != kV31;  // 3.1 has no acknowledge flags
  if (v5) {
    connack.properties.assigned_client_identifier = "assigned";
    connack.properties.server_keep_alive = 10;
    connack.properties.maximum_qos = 1;
    connack.properties.retain_available = 0;
    connack.properties.wildcard_subscription_available = 1;
    connack.properties.subscription_identifier_available = 1;
    connack.properties.shared_subscription_available = 0;
    connack.properties.response_information = "resp";
    connack.properties.reason_string = "welcome";
  }
  packets.push_back(connack);
  Connack refused;
  refused.reason_code = ReasonCode::kBadUserNameOrPassword;  // 3.x return code 4
  packets.push_back(refused);

  packets.push_back(make_publish(QoS::kAtMostOnce, 0, "a", 0));
  packets.push_back(make_publish(QoS::kAtMostOnce, 0, "sensors/room-1/temp", 16));
  Publish retained = make_publish(QoS::kAtLeastOnce, 1, "a/b", 100);
  retained.retain = true;
  packets.push_back(retained);
  Publish dup = make_publish(QoS::kExactlyOnce, 0xFFFF, "x/y/z", 127);
  dup.dup = true;
  packets.push_back(dup);
  packets.push_back(make_publish(QoS::kAtLeastOnce, 2, "two/byte/length", 300));
  packets.push_back(make_publish(QoS::kAtMostOnce, 0, "three/byte/length", 20'000));
  if (v5) {
    Publish with_props = make_publish(QoS::kAtLeastOnce, 3, "props", 10);
    with_props.properties.payload_format_indicator = 1;
    with_props.properties.message_expiry_interval = 120;
    with_props.properties.topic_alias = 4;
    with_props.properties.response_topic = "resp/topic";
    with_props.properties.correlation_data = std::string("\0\1\2", 3);
    with_props.properties.content_type = "application/json";
    with_props.properties.subscription_identifiers = {1, 268'435'455};
    with_props.properties.user_properties = {{"a", "b"}};
    packets.push_back(with_props);
    Publish aliased = make_publish(QoS::kAtMostOnce, 0, "", 5);
    aliased.properties.topic_alias = 4;
    packets.push_back(aliased);
  }

  packets.push_back(ack<Puback>(1));
  packets.push_back(ack<Pubrec>(0xFFFF));
  packets.push_back(ack<Pubrel>(2));
  packets.push_back(ack<Pubcomp>(3));
  if (v5) {
    packets.push_back(ack<Puback>(4, ReasonCode::kNoMatchingSubscribers));
    Pubrec pubrec = ack<Pubrec>(5, ReasonCode::kQuotaExceeded);
    pubrec.properties.reason_string = "full";
    pubrec.properties.user_properties = {{"q", "1"}};
    packets.push_back(pubrec);
    packets.push_back(ack<Pubrel>(6, ReasonCode::kPacketIdentifierNotFound));
    Pubcomp pubcomp = ack<Pubcomp>(7);
    pubcomp.properties.reason_string = "done";
    packets.push_back(pubcomp);
  }

  Subscribe subscribe;
  subscribe.packet_id = 10;
  subscribe.subscriptions.push_back({"a/+/#", {.max_qos = QoS::kExactlyOnce}});
  subscribe.subscriptions.push_back({"#", {.max_qos = QoS::kAtMostOnce}});
  subscribe.subscriptions.push_back({"x/y", {.max_qos = QoS::kAtLeastOnce}});
  if (v5) {
    subscribe.subscriptions.push_back({"$share/g/s/+",
                                       {.max_qos = QoS::kAtLeastOnce,
                                        .no_local = false,
                                        .retain_as_published = true,
                                        .retain_handling = RetainHandling::kDoNotSend}});
    subscribe.subscriptions.push_back({"n/l",
                                       {.max_qos = QoS::kAtMostOnce,
                                        .no_local = true,
                                        .retain_handling = RetainHandling::kSendOnNewSubscribe}});
    subscribe.properties.subscription_identifiers = {42};
    subscribe.properties.user_properties = {{"s", "t"}};
  }
  packets.push_back(subscribe);

  Suback suback;
  suback.packet_id = 10;
  suback.reason_codes = {ReasonCode::kGrantedQoS2, ReasonCode::kGrantedQoS0,
                         ReasonCode::kGrantedQoS1, ReasonCode::kUnspecifiedError};
  if (v5) {
    suback.reason_codes.push_back(ReasonCode::kSharedSubscriptionsNotSupported);
    suback.properties.reason_string = "partly";
  }
  packets.push_back(suback);

  Unsubscribe unsubscribe;
  unsubscribe.packet_id = 11;
  unsubscribe.filters = {"a/+/#", "#"};
  if (v5) unsubscribe.properties.user_properties = {{"u", "v"}};
  packets.push_back(unsubscribe);

  Unsuback unsuback;
  unsuback.packet_id = 11;
  if (v5) {
    unsuback.reason_codes = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
    unsuback.properties.reason_string = "ok";
  }
  packets.push_back(unsuback);

  packets.push_back(Pingreq{});
  packets.push_back(Pingresp{});
  packets.push_back(make_publish(QoS::kAtMostOnce, 0, "between/pings", 1));
  packets.push_back(Pingreq{});

  if (v5) {
    Disconnect with_will;
    with_will.reason_code = ReasonCode::kDisconnectWithWillMessage;
    with_will.properties.session_expiry_interval = 0;
    with_will.properties.reason_string = "bye";
    with_will.properties.server_reference = "other:1883";
    packets.push_back(with_will);
    Auth auth;
    auth.reason_code = ReasonCode::kContinueAuthentication;
    auth.properties.authentication_method = "SCRAM";
    auth.properties.authentication_data = "data";
    packets.push_back(auth);
    packets.push_back(Auth{});
  }
  packets.push_back(Disconnect{});
  return packets;
}

struct Stream {
  std::vector<Packet> packets;
  Bytes bytes;
  std::vector<std::size_t> ends;  // offset one past each packet
};

Stream make_stream(ProtocolVersion version) {
  Stream s;
  s.packets = make_packets(version);
  for (const Packet& p : s.packets) {
    const std::size_t before = s.bytes.size();
    encode_packet(p, version, s.bytes);
    EXPECT_EQ(s.bytes.size() - before, encoded_size(p, version))
        << packet_type_name(packet_type(p));
    s.ends.push_back(s.bytes.size());
  }
  return s;
}

class FrameDecoderSplits : public ::testing::TestWithParam<ProtocolVersion> {
 protected:
  // The stream starts with a CONNECT, so a decoder of the default version
  // switches to the stream's version.
  Stream stream_ = make_stream(GetParam());
};

TEST_P(FrameDecoderSplits, WholeFeed) {
  FrameDecoder decoder;
  decoder.feed(stream_.bytes);
  EXPECT_EQ(decoder.buffered(), stream_.bytes.size());
  std::vector<Packet> packets;
  drain(decoder, packets);
  expect_same_packets(packets, stream_.packets);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.version(), GetParam());
}

TEST_P(FrameDecoderSplits, ByteByByte) {
  FrameDecoder decoder;
  std::vector<Packet> packets;
  std::size_t next_end = 0;
  for (std::size_t i = 0; i < stream_.bytes.size(); ++i) {
    decoder.feed(std::span(&stream_.bytes[i], 1));
    const std::size_t before = packets.size();
    drain(decoder, packets);
    // A packet appears exactly when its last byte arrives.
    if (i + 1 == stream_.ends[next_end]) {
      ASSERT_EQ(packets.size(), before + 1) << "at byte " << i;
      ++next_end;
    } else {
      ASSERT_EQ(packets.size(), before) << "at byte " << i;
    }
  }
  expect_same_packets(packets, stream_.packets);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST_P(FrameDecoderSplits, RandomSplitsWithFeed) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    // Small chunks for some seeds, large ones for others.
    const std::size_t max_chunk = std::size_t{1} << (seed % 16);
    std::uniform_int_distribution<std::size_t> chunk(1, max_chunk);
    FrameDecoder decoder;
    std::vector<Packet> packets;
    std::size_t pos = 0;
    while (pos < stream_.bytes.size()) {
      const std::size_t n = std::min(chunk(rng), stream_.bytes.size() - pos);
      decoder.feed(std::span(stream_.bytes.data() + pos, n));
      pos += n;
      drain(decoder, packets);
    }
    expect_same_packets(packets, stream_.packets);
    EXPECT_EQ(decoder.buffered(), 0u);
    if (HasFailure()) return;
  }
}

TEST_P(FrameDecoderSplits, RandomSplitsWithPrepareCommit) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed + 1000);
    const std::size_t max_chunk = std::size_t{1} << (seed % 14);
    std::uniform_int_distribution<std::size_t> chunk(1, max_chunk);
    FrameDecoder decoder;
    std::vector<Packet> packets;
    std::size_t pos = 0;
    while (pos < stream_.bytes.size()) {
      const std::size_t want = chunk(rng);
      std::span<std::uint8_t> space = decoder.prepare(want);
      ASSERT_GE(space.size(), want);
      // Like a socket read: fill part of what was offered.
      const std::size_t n = std::min({chunk(rng), space.size(), stream_.bytes.size() - pos});
      std::memcpy(space.data(), stream_.bytes.data() + pos, n);
      decoder.commit(n);
      pos += n;
      drain(decoder, packets);
    }
    expect_same_packets(packets, stream_.packets);
    EXPECT_EQ(decoder.buffered(), 0u);
    if (HasFailure()) return;
  }
}

TEST_P(FrameDecoderSplits, NextCalledOnlyOnceInAWhile) {
  // The caller may feed several chunks before asking; packets wait in the buffer.
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> chunk(1, 600);
  FrameDecoder decoder;
  std::vector<Packet> packets;
  std::size_t pos = 0;
  int feeds = 0;
  while (pos < stream_.bytes.size()) {
    const std::size_t n = std::min(chunk(rng), stream_.bytes.size() - pos);
    decoder.feed(std::span(stream_.bytes.data() + pos, n));
    pos += n;
    if (++feeds % 5 == 0) drain(decoder, packets);
  }
  drain(decoder, packets);
  expect_same_packets(packets, stream_.packets);
}

// next_from(): the connection's path, decoding in place from its read buffer.
// Drains `input` the way a connection does, appending the packets.
bool drain_from(FrameDecoder& decoder, std::span<const std::uint8_t> input,
                std::vector<Packet>& packets, std::string* end = nullptr) {
  // Every packet takes at least two bytes: more calls than bytes is a loop.
  const std::size_t max_calls = input.size() + 1;
  for (std::size_t calls = 0; calls <= max_calls; ++calls) {
    DecodeResult result = decoder.next_from(input);
    if (std::holds_alternative<NeedMore>(result)) {
      EXPECT_TRUE(input.empty()) << "NeedMore with input left";
      if (end != nullptr) *end = "NeedMore";
      return true;
    }
    if (auto* error = std::get_if<DecodeError>(&result)) {
      if (end != nullptr) *end = reason_hex(error->reason);
      return false;
    }
    packets.push_back(std::move(std::get<Packet>(result)));
  }
  ADD_FAILURE() << "next_from() keeps returning packets";
  return false;
}

std::size_t largest_packet(const Stream& stream) {
  std::size_t largest = 0;
  std::size_t begin = 0;
  for (std::size_t end : stream.ends) {
    largest = std::max(largest, end - begin);
    begin = end;
  }
  return largest;
}

TEST_P(FrameDecoderSplits, NextFromWholeDecodesInPlaceAndBuffersNothing) {
  FrameDecoder decoder;
  std::vector<Packet> packets;
  drain_from(decoder, stream_.bytes, packets);
  expect_same_packets(packets, stream_.packets);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.version(), GetParam());
}

TEST_P(FrameDecoderSplits, NextFromByteByByte) {
  FrameDecoder decoder;
  std::vector<Packet> packets;
  std::size_t next_end = 0;
  for (std::size_t i = 0; i < stream_.bytes.size(); ++i) {
    const std::size_t before = packets.size();
    drain_from(decoder, std::span(&stream_.bytes[i], 1), packets);
    if (i + 1 == stream_.ends[next_end]) {
      ASSERT_EQ(packets.size(), before + 1) << "at byte " << i;
      ++next_end;
    } else {
      ASSERT_EQ(packets.size(), before) << "at byte " << i;
    }
  }
  expect_same_packets(packets, stream_.packets);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST_P(FrameDecoderSplits, NextFromRandomSplits) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed + 5000);
    const std::size_t max_chunk = std::size_t{1} << (seed % 16);
    std::uniform_int_distribution<std::size_t> chunk(1, max_chunk);
    FrameDecoder decoder;
    std::vector<Packet> packets;
    std::size_t pos = 0;
    while (pos < stream_.bytes.size()) {
      const std::size_t n = std::min(chunk(rng), stream_.bytes.size() - pos);
      drain_from(decoder, std::span(stream_.bytes.data() + pos, n), packets);
      pos += n;
      // Only an incomplete packet is ever held, never a whole one.
      ASSERT_LT(decoder.buffered(), largest_packet(stream_));
    }
    expect_same_packets(packets, stream_.packets);
    EXPECT_EQ(decoder.buffered(), 0u);
    if (HasFailure()) return;
  }
}

TEST(FrameDecoderNextFrom, ReleaseIfEmptyGivesTheBufferBackOnlyWhenEmpty) {
  Publish p;
  p.topic = "t";
  p.payload = std::string(5000, 'x');
  std::vector<std::uint8_t> bytes;
  encode_packet(Packet(p), kV311, bytes);
  FrameDecoder decoder;
  std::span<const std::uint8_t> first(bytes.data(), 3000);
  EXPECT_TRUE(std::holds_alternative<NeedMore>(decoder.next_from(first)));
  EXPECT_EQ(decoder.buffered(), 3000u);
  decoder.release_if_empty();
  EXPECT_EQ(decoder.buffered(), 3000u);  // an incomplete packet is kept
  std::span<const std::uint8_t> rest(bytes.data() + 3000, bytes.size() - 3000);
  DecodeResult result = decoder.next_from(rest);
  ASSERT_TRUE(std::holds_alternative<Packet>(result));
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(result)).payload, p.payload);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_TRUE(rest.empty());
}

TEST(FrameDecoderNextFrom, OversizedPacketIsRefusedBeforeAnyByteIsKept) {
  Publish p;
  p.topic = "t";
  p.payload = std::string(5000, 'x');
  std::vector<std::uint8_t> bytes;
  encode_packet(Packet(p), kV311, bytes);
  FrameDecoder decoder(kV311, 1024);
  std::span<const std::uint8_t> head(bytes.data(), 100);
  DecodeResult result = decoder.next_from(head);
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result));
  EXPECT_EQ(std::get<DecodeError>(result).reason, ReasonCode::kPacketTooLarge);
  EXPECT_EQ(decoder.buffered(), 0u);
}

// What a decoder made of a byte stream: the packets, then how it ended.
struct Outcome {
  std::vector<Packet> packets;
  std::string end;  // "NeedMore" or the error's reason code
};

// Calls next() until NeedMore or an error. Every packet takes at least two
// bytes, so more calls than that means the decoder is stuck in a loop.
bool drain_outcome(FrameDecoder& decoder, Outcome& out, std::size_t max_calls) {
  for (std::size_t calls = 0; calls < max_calls; ++calls) {
    DecodeResult result = decoder.next();
    if (std::holds_alternative<NeedMore>(result)) {
      out.end = "NeedMore";
      return true;
    }
    if (auto* error = std::get_if<DecodeError>(&result)) {
      out.end = reason_hex(error->reason);
      return false;
    }
    out.packets.push_back(std::move(std::get<Packet>(result)));
  }
  ADD_FAILURE() << "next() keeps returning packets";
  out.end = "Stuck";
  return false;
}

TEST_P(FrameDecoderSplits, CorruptedStreamsEndTheSameWayInAnySplit) {
  // Whatever the bytes, the decoder terminates, and the split does not change
  // which packets come out nor which error ends the stream.
  for (unsigned seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    Bytes bytes = stream_.bytes;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < mutations; ++i) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          bytes[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        default:
          bytes.resize(at);  // truncate
          break;
      }
      if (bytes.empty()) break;
    }
    const std::size_t max_calls = bytes.size() / 2 + 2;

    Outcome whole;
    {
      FrameDecoder decoder(kV311, 1 << 16);
      decoder.feed(bytes);
      drain_outcome(decoder, whole, max_calls);
    }
    Outcome split;
    {
      FrameDecoder decoder(kV311, 1 << 16);
      std::uniform_int_distribution<std::size_t> chunk(1, 1 + seed % 97);
      std::size_t pos = 0;
      bool open = true;
      while (open && pos < bytes.size()) {
        const std::size_t n = std::min(chunk(rng), bytes.size() - pos);
        decoder.feed(std::span(bytes.data() + pos, n));
        pos += n;
        open = drain_outcome(decoder, split, max_calls);
      }
      if (bytes.empty()) drain_outcome(decoder, split, max_calls);
    }
    ASSERT_EQ(split.end, whole.end);
    expect_same_packets(split.packets, whole.packets);
    Outcome in_place;
    {
      FrameDecoder decoder(kV311, 1 << 16);
      std::uniform_int_distribution<std::size_t> chunk(1, 1 + seed % 89);
      std::size_t pos = 0;
      bool open = true;
      in_place.end = "NeedMore";
      while (open && pos < bytes.size()) {
        const std::size_t n = std::min(chunk(rng), bytes.size() - pos);
        open =
            drain_from(decoder, std::span(bytes.data() + pos, n), in_place.packets, &in_place.end);
        pos += n;
      }
    }
    ASSERT_EQ(in_place.end, whole.end);
    expect_same_packets(in_place.packets, whole.packets);
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, FrameDecoderSplits, ::testing::Values(kV31, kV311, kV5),
                         [](const ::testing::TestParamInfo<ProtocolVersion>& info) {
                           switch (info.param) {
                             case ProtocolVersion::kV31:
                               return std::string("V31");
                             case ProtocolVersion::kV311:
                               return std::string("V311");
                             case ProtocolVersion::kV5:
                               return std::string("V5");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace cairn::mqtt
