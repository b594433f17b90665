// FrameDecoder with hand-written bytes: buffered() accounting, NeedMore on
// partial headers, prepare()/commit(), the version switch after CONNECT, the
// maximum packet size at its boundary, large packets in small chunks, and the
// sticky error. Random splits of a long stream are in frame_decoder_splits_test.cc.
#include "mqtt/frame_decoder.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mqtt/packet_encoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// ---- Boundaries and accounting, with hand-written bytes ----

TEST(FrameDecoder, EmptyDecoderNeedsMore) {
  FrameDecoder decoder;
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  decoder.feed(Bytes{});
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, TwoPacketsInOneFeed) {
  FrameDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x00,    // PINGREQ
                     0xD0, 0x00});  // PINGRESP
  EXPECT_EQ(describe(decoder.next()), "Packet PINGREQ");
  EXPECT_EQ(describe(decoder.next()), "Packet PINGRESP");
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
}

TEST(FrameDecoder, BufferedAccounting) {
  FrameDecoder decoder;
  const Bytes bytes = {0x30, 0x03, 0x00, 0x01, 'a',  // PUBLISH "a" (5 bytes)
                       0xC0, 0x00,                   // PINGREQ (2 bytes)
                       0x40, 0x02, 0x00};            // 3 bytes of a PUBACK
  decoder.feed(bytes);
  EXPECT_EQ(decoder.buffered(), 10u);
  ASSERT_EQ(describe(decoder.next()), "Packet PUBLISH");
  EXPECT_EQ(decoder.buffered(), 5u);
  ASSERT_EQ(describe(decoder.next()), "Packet PINGREQ");
  EXPECT_EQ(decoder.buffered(), 3u);
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  EXPECT_EQ(decoder.buffered(), 3u);
  decoder.feed(Bytes{0x09});  // the packet id's last byte
  EXPECT_EQ(decoder.buffered(), 4u);
  const DecodeResult result = decoder.next();
  ASSERT_EQ(describe(result), "Packet PUBACK");
  EXPECT_EQ(std::get<Puback>(std::get<Packet>(result)).packet_id, 9);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, NeedMoreOnPartialFixedHeaderAndRemainingLength) {
  FrameDecoder decoder;
  decoder.feed(Bytes{0x30});  // PUBLISH: type byte only
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  EXPECT_EQ(decoder.buffered(), 1u);
  decoder.feed(Bytes{0x83});  // first Remaining Length byte, more to come
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  decoder.feed(Bytes{0x01});  // RL = 3 + 1 * 128 = 131
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  EXPECT_EQ(decoder.buffered(), 3u);
  const Bytes body = cat({str("a"), Bytes(128, 'p')});  // 131 bytes
  decoder.feed(std::span(body.data(), body.size() - 1));
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  decoder.feed(std::span(body.data() + body.size() - 1, 1));
  const DecodeResult result = decoder.next();
  ASSERT_EQ(describe(result), "Packet PUBLISH");
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(result)).payload, std::string(128, 'p'));
}

TEST(FrameDecoder, NeedMoreOnThreeContinuationBytes) {
  FrameDecoder decoder;
  decoder.feed(Bytes{0x30, 0x80, 0x80, 0x80});  // RL of 4 bytes, last one still to come
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
}

TEST(FrameDecoder, FourContinuationBytesAreAnErrorWithoutAFifth) {
  // The fourth Remaining Length byte says "more follows": the length already
  // has more than 4 bytes, so waiting for a fifth byte is not needed.
  FrameDecoder decoder;
  decoder.feed(Bytes{0x30, 0xFF, 0xFF, 0xFF, 0xFF});
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kMalformed));
}

TEST(FrameDecoder, PrepareAndCommit) {
  FrameDecoder decoder;
  std::span<std::uint8_t> space = decoder.prepare(2);
  ASSERT_GE(space.size(), 2u);
  space[0] = 0xC0;  // PINGREQ
  space[1] = 0x00;
  decoder.commit(2);
  EXPECT_EQ(decoder.buffered(), 2u);
  EXPECT_EQ(describe(decoder.next()), "Packet PINGREQ");

  // Committing less than was prepared, and nothing at all.
  space = decoder.prepare(100);
  ASSERT_GE(space.size(), 100u);
  decoder.commit(0);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  space = decoder.prepare(100);
  ASSERT_GE(space.size(), 100u);
  const Bytes puback = {0x40, 0x02, 0x00, 0x05};
  std::memcpy(space.data(), puback.data(), 3);
  decoder.commit(3);
  EXPECT_EQ(decoder.buffered(), 3u);
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  space = decoder.prepare(1);
  ASSERT_GE(space.size(), 1u);
  space[0] = puback[3];
  decoder.commit(1);
  EXPECT_EQ(describe(decoder.next()), "Packet PUBACK");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, FeedAndPrepareMix) {
  FrameDecoder decoder;
  decoder.feed(Bytes{0x30, 0x05, 0x00});  // PUBLISH, RL 5, half a topic length
  std::span<std::uint8_t> space = decoder.prepare(4);
  ASSERT_GE(space.size(), 4u);
  const Bytes rest = {0x01, 'a', 'x', 'y'};
  std::memcpy(space.data(), rest.data(), rest.size());
  decoder.commit(rest.size());
  const DecodeResult result = decoder.next();
  ASSERT_EQ(describe(result), "Packet PUBLISH");
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(result)).payload, "xy");
}

// ---- The version switch after CONNECT ----

TEST(FrameDecoder, BufferGrowsWithTheBytesReceivedNotTheSizeClaimed) {
  // A fixed header claiming a 200 MB PUBLISH, then one byte of body: the space
  // offered for the rest stays proportional to what arrived, so a peer cannot
  // make the broker allocate the claimed size with a few bytes.
  FrameDecoder decoder(ProtocolVersion::kV311, kMaxPossiblePacketSize);
  decoder.feed(Bytes{0x30, 0x80, 0x84, 0xAF, 0x5F, 0x00});  // RL 200,000,000 + 1 byte
  EXPECT_EQ(describe(decoder.next()), "NeedMore");
  EXPECT_LE(decoder.prepare(1).size(), std::size_t{64 * 1024});
  // Growing as bytes arrive still completes a large packet.
  FrameDecoder whole(ProtocolVersion::kV311, kMaxPossiblePacketSize);
  Publish big;
  big.topic = "t";
  big.payload.assign(300'000, 'x');
  std::vector<std::uint8_t> bytes;
  encode_packet(big, ProtocolVersion::kV311, bytes);
  std::size_t offset = 0;
  DecodeResult result = NeedMore{};
  while (offset < bytes.size()) {
    std::span<std::uint8_t> space = whole.prepare(1);
    EXPECT_LE(space.size(), std::max<std::size_t>(2 * offset, 64 * 1024));
    const std::size_t n = std::min(space.size(), bytes.size() - offset);
    std::memcpy(space.data(), bytes.data() + offset, n);
    whole.commit(n);
    offset += n;
    result = whole.next();
  }
  ASSERT_EQ(describe(result), "Packet PUBLISH");
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(result)).payload.size(), 300'000u);
}

TEST(FrameDecoder, V311DecoderSwitchesToV5AfterAV5Connect) {
  FrameDecoder decoder(kV311);
  decoder.feed(Bytes{
      0x10, 0x0E,                         // CONNECT, RL 14
      0x00, 0x04, 'M',  'Q',  'T',  'T',  // "MQTT"
      0x05,                               // level 5
      0x02, 0x00, 0x3C,                   // clean start, keep alive 60
      0x00,                               // property length 0
      0x00, 0x01, 'c',                    // client id "c"
      0x30, 0x0B,                         // PUBLISH, RL 11
      0x00, 0x01, 'a',                    // topic "a"
      0x05,                               // property length 5
      0x02, 0x00, 0x00, 0x00, 0x3C,       // Message Expiry Interval 60
      'h',  'i',                          // payload "hi"
  });
  const DecodeResult connect = decoder.next();
  ASSERT_EQ(describe(connect), "Packet CONNECT");
  EXPECT_EQ(std::get<Connect>(std::get<Packet>(connect)).version, kV5);
  EXPECT_EQ(decoder.version(), kV5);
  const DecodeResult publish = decoder.next();
  ASSERT_EQ(describe(publish), "Packet PUBLISH");
  const auto& p = std::get<Publish>(std::get<Packet>(publish));
  EXPECT_EQ(p.topic, "a");
  EXPECT_EQ(p.properties.message_expiry_interval, std::optional<std::uint32_t>(60));
  EXPECT_EQ(p.payload, "hi");
}

TEST(FrameDecoder, V5DecoderSwitchesToV311AfterAV311Connect) {
  FrameDecoder decoder(kV5);
  decoder.feed(Bytes{
      0x10, 0x0D,                       // CONNECT, RL 13
      0x00, 0x04, 'M',  'Q', 'T', 'T',  // "MQTT"
      0x04,                             // level 4
      0x02, 0x00, 0x3C,                 // clean session, keep alive 60
      0x00, 0x01, 'c',                  // client id "c"
      0x30, 0x05,                       // PUBLISH, RL 5
      0x00, 0x01, 'a',                  // topic "a"
      0x00, 0x00,                       // 3.1.1: payload 00 00 (5.0 would read a property length)
  });
  ASSERT_EQ(describe(decoder.next()), "Packet CONNECT");
  EXPECT_EQ(decoder.version(), kV311);
  const DecodeResult publish = decoder.next();
  ASSERT_EQ(describe(publish), "Packet PUBLISH");
  EXPECT_EQ(std::get<Publish>(std::get<Packet>(publish)).payload, std::string("\0\0", 2));
}

TEST(FrameDecoder, MQIsdpConnectSwitchesToV31) {
  FrameDecoder decoder(kV5);
  decoder.feed(Bytes{0x10, 0x0F, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',
                     0x03,              // level 3
                     0x02, 0x00, 0x3C,  // clean session, keep alive 60
                     0x00, 0x01, 'c'});
  ASSERT_EQ(describe(decoder.next()), "Packet CONNECT");
  EXPECT_EQ(decoder.version(), kV31);
}

TEST(FrameDecoder, RefusedConnectDoesNotSwitch) {
  FrameDecoder decoder(kV311);
  decoder.feed(Bytes{0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                     0x03,  // reserved flag set
                     0x00, 0x3C, 0x00, 0x00, 0x01, 'c'});
  ASSERT_TRUE(std::holds_alternative<DecodeError>(decoder.next()));
  EXPECT_EQ(decoder.version(), kV311);
}

TEST(FrameDecoder, SetVersion) {
  FrameDecoder decoder(kV311);
  decoder.set_version(kV5);
  EXPECT_EQ(decoder.version(), kV5);
  decoder.feed(Bytes{0x40, 0x03, 0x00, 0x01, 0x10});  // v5 PUBACK with a reason code
  const DecodeResult result = decoder.next();
  ASSERT_EQ(describe(result), "Packet PUBACK");
  EXPECT_EQ(std::get<Puback>(std::get<Packet>(result)).reason_code,
            ReasonCode::kNoMatchingSubscribers);
}

// ---- Maximum packet size at its boundary ----

TEST(FrameDecoder, MaxPacketSizeBoundaryOneByteLength) {
  // topic "a" (3) + 95 bytes of payload = RL 98; 1 + 1 + 98 = 100 bytes.
  const Publish publish = make_publish(QoS::kAtMostOnce, 0, "a", 95);
  Bytes bytes;
  encode_packet(publish, kV311, bytes);
  ASSERT_EQ(bytes.size(), 100u);
  ASSERT_EQ(encoded_size(publish, kV311), 100u);
  {
    FrameDecoder decoder(kV311, 100);
    decoder.feed(bytes);
    EXPECT_EQ(describe(decoder.next()), "Packet PUBLISH");
  }
  {
    FrameDecoder decoder(kV311, 99);
    decoder.feed(bytes);
    const DecodeResult result = decoder.next();
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
    EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
  }
}

TEST(FrameDecoder, MaxPacketSizeBoundaryCountsTheWholeFixedHeader) {
  // v5: topic "t" (3) + property length (1) + 996 bytes = RL 1000 (2 bytes); 1003 in all.
  const Publish publish = make_publish(QoS::kAtMostOnce, 0, "t", 996);
  Bytes bytes;
  encode_packet(publish, kV5, bytes);
  ASSERT_EQ(bytes.size(), 1003u);
  for (const std::uint32_t limit : {1003u, 1004u, 100'000u}) {
    FrameDecoder decoder(kV5, limit);
    decoder.feed(bytes);
    EXPECT_EQ(describe(decoder.next()), "Packet PUBLISH") << "limit " << limit;
  }
  for (const std::uint32_t limit : {1002u, 1001u, 1000u, 2u}) {
    FrameDecoder decoder(kV5, limit);
    decoder.feed(bytes);
    const DecodeResult result = decoder.next();
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result))
        << "limit " << limit << ": " << describe(result);
    EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
  }
}

TEST(FrameDecoder, MaxPacketSizeFromFixedHeaderFedByPrepareCommit) {
  FrameDecoder decoder(kV311, 1024);
  std::span<std::uint8_t> space = decoder.prepare(3);
  ASSERT_GE(space.size(), 3u);
  space[0] = 0x30;  // PUBLISH
  space[1] = 0x80;  // RL 1024: 0x80 0x08
  space[2] = 0x08;
  decoder.commit(3);
  const DecodeResult result = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << describe(result);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(result).reason), reason_hex(kTooLarge));
}

TEST(FrameDecoder, PacketsBelowTheLimitKeepFlowingAfterALargeOne) {
  FrameDecoder decoder(kV311, 200);
  Bytes bytes;
  // topic "a" (3) + 194 bytes = RL 197 (2 bytes): 1 + 2 + 197 = 200 bytes.
  encode_packet(make_publish(QoS::kAtMostOnce, 0, "a", 194), kV311, bytes);
  encode_packet(Pingreq{}, kV311, bytes);
  decoder.feed(bytes);
  EXPECT_EQ(describe(decoder.next()), "Packet PUBLISH");
  EXPECT_EQ(describe(decoder.next()), "Packet PINGREQ");
}

// ---- Large packets in small chunks ----

void expect_large_packet_in_chunks(ProtocolVersion version, std::size_t chunk_size) {
  const Publish big = make_publish(QoS::kAtLeastOnce, 77, "big/topic", 1 << 20);  // 1 MiB
  Bytes bytes;
  Puback puback;
  puback.packet_id = 1;
  encode_packet(puback, version, bytes);
  const std::size_t first_end = bytes.size();
  encode_packet(big, version, bytes);
  encode_packet(Pingreq{}, version, bytes);
  const std::size_t big_end = bytes.size() - 2;

  FrameDecoder decoder(version);
  std::vector<Packet> packets;
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk_size) {
    const std::size_t n = std::min(chunk_size, bytes.size() - pos);
    decoder.feed(std::span(bytes.data() + pos, n));
    const std::size_t before = packets.size();
    drain(decoder, packets);
    if (pos + n < big_end && pos + n >= first_end) {
      ASSERT_EQ(packets.size(), 1u) << "the large packet must wait for its last byte";
      EXPECT_EQ(decoder.buffered(), pos + n - first_end);
    }
    if (::testing::Test::HasFailure() || packets.size() < before) return;
  }
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_TRUE(packets[1] == Packet(big));
  EXPECT_EQ(describe(DecodeResult(packets[2])), "Packet PINGREQ");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, OneMebibytePayloadInSmallChunksV311) {
  expect_large_packet_in_chunks(kV311, 1000);
}
TEST(FrameDecoder, OneMebibytePayloadInSmallChunksV5) { expect_large_packet_in_chunks(kV5, 4096); }
TEST(FrameDecoder, OneMebibytePayloadInOddChunks) { expect_large_packet_in_chunks(kV5, 333); }

TEST(FrameDecoder, OneMebibytePayloadThroughPrepareCommit) {
  const Publish big = make_publish(QoS::kExactlyOnce, 9, "big", 1 << 20);
  Bytes bytes;
  encode_packet(big, kV5, bytes);
  FrameDecoder decoder(kV5);
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> chunk(1, 8192);
  std::size_t pos = 0;
  std::vector<Packet> packets;
  while (pos < bytes.size()) {
    std::span<std::uint8_t> space = decoder.prepare(chunk(rng));
    const std::size_t n = std::min(space.size(), bytes.size() - pos);
    std::memcpy(space.data(), bytes.data() + pos, n);
    decoder.commit(n);
    pos += n;
    drain(decoder, packets);
    if (pos < bytes.size()) {
      ASSERT_TRUE(packets.empty());
    }
  }
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(packets[0] == Packet(big));
}

// ---- Errors are final ----

TEST(FrameDecoder, ErrorIsSticky) {
  FrameDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x00,                     // PINGREQ
                     0x30, 0x03, 0x00, 0x01, '#'});  // PUBLISH to "#"
  EXPECT_EQ(describe(decoder.next()), "Packet PINGREQ");
  const DecodeResult error = decoder.next();
  ASSERT_TRUE(std::holds_alternative<DecodeError>(error)) << describe(error);
  EXPECT_EQ(reason_hex(std::get<DecodeError>(error).reason), reason_hex(kNameInvalid));
  decoder.feed(Bytes{0xC0, 0x00});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(describe(decoder.next()), describe(error));
}

}  // namespace
}  // namespace cairn::mqtt
