// libFuzzer target for mqtt::FrameDecoder.
//
// Feeds the input to a FrameDecoder in the split its first byte selects (see
// frame_decoder_input.h) and drains next() after every feed, as a connection
// does. Properties checked, beyond "no crash, leak, hang or sanitizer report":
//   - round trip: every decoded Packet, re-encoded with encode_packet for the
//     version in effect (a CONNECT's own version for a CONNECT), is exactly
//     encoded_size() bytes and decodes with a fresh FrameDecoder to an equal
//     Packet, leaving nothing buffered;
//   - a DecodeError is final: the next call returns the same error;
//   - a PUBLISH encoded through PublishView gives the same bytes;
//   - next_from() (decoding in place, as a connection does) gives the same
//     packets and the same ending as feed() + next(), in pseudo-random splits.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "frame_decoder_input.h"
#include "mqtt/decode_result.h"
#include "mqtt/frame_decoder.h"
#include "mqtt/packet.h"
#include "mqtt/packet_encoder.h"
#include "mqtt/packet_type.h"
#include "mqtt/protocol_version.h"

namespace {

using cairn::mqtt::DecodeError;
using cairn::mqtt::DecodeResult;
using cairn::mqtt::FrameDecoder;
using cairn::mqtt::NeedMore;
using cairn::mqtt::Packet;
using cairn::mqtt::ProtocolVersion;

[[noreturn]] void fail(const char* what, const Packet* packet, ProtocolVersion version) {
  if (packet != nullptr) {
    const auto name = cairn::mqtt::packet_type_name(cairn::mqtt::packet_type(*packet));
    std::fprintf(stderr, "frame_decoder_fuzz: %s (packet %.*s, version %d)\n", what,
                 static_cast<int>(name.size()), name.data(), static_cast<int>(version));
  } else {
    std::fprintf(stderr, "frame_decoder_fuzz: %s (version %d)\n", what, static_cast<int>(version));
  }
  __builtin_trap();
}

// Encodes `packet` for `version` and decodes it again with a fresh decoder.
void check_round_trip(const Packet& packet, ProtocolVersion version) {
  if (const auto* connect = std::get_if<cairn::mqtt::Connect>(&packet)) {
    version = connect->version;
  }
  std::vector<std::uint8_t> bytes;
  cairn::mqtt::encode_packet(packet, version, bytes);
  if (bytes.size() != cairn::mqtt::encoded_size(packet, version)) {
    fail("encoded_size() differs from the bytes encode_packet() wrote", &packet, version);
  }
  if (const auto* publish = std::get_if<cairn::mqtt::Publish>(&packet)) {
    // A delivery's encoding (from a view of the broker's message) is the same.
    cairn::mqtt::PublishView view;
    view.dup = publish->dup;
    view.qos = publish->qos;
    view.retain = publish->retain;
    view.topic = publish->topic;
    view.packet_id = publish->packet_id;
    view.properties = &publish->properties;
    view.payload = publish->payload;
    std::vector<std::uint8_t> from_view;
    cairn::mqtt::encode_publish(view, version, from_view);
    if (from_view != bytes) fail("encode_publish() of a view differs", &packet, version);
  }

  FrameDecoder again(version);
  again.feed(bytes);
  DecodeResult result = again.next();
  if (const auto* error = std::get_if<DecodeError>(&result)) {
    std::fprintf(stderr, "frame_decoder_fuzz: re-decode error 0x%02x: %s\n",
                 static_cast<unsigned>(error->reason), error->why);
    fail("a decoded packet, re-encoded, does not decode", &packet, version);
  }
  if (std::holds_alternative<NeedMore>(result)) {
    fail("a decoded packet, re-encoded, is incomplete", &packet, version);
  }
  if (std::get<Packet>(result) != packet) {
    fail("a decoded packet, re-encoded and decoded again, differs", &packet, version);
  }
  if (again.buffered() != 0) {
    fail("bytes left over after decoding a re-encoded packet", &packet, version);
  }
}

// Drains every packet the decoder holds. Returns false once it has failed.
bool drain(FrameDecoder& decoder) {
  while (true) {
    // The version the next packet is decoded by; decoding a CONNECT changes it.
    const ProtocolVersion version = decoder.version();
    DecodeResult result = decoder.next();
    if (std::holds_alternative<NeedMore>(result)) return true;
    if (const auto* error = std::get_if<DecodeError>(&result)) {
      DecodeResult again = decoder.next();
      const auto* same = std::get_if<DecodeError>(&again);
      if (same == nullptr || *same != *error) {
        fail("a DecodeError is not final", nullptr, version);
      }
      return false;
    }
    check_round_trip(std::get<Packet>(result), version);
  }
}

// A small deterministic generator for the pseudo-random split.
struct SplitRng {
  std::uint32_t state;
  std::size_t next(std::size_t bound) {
    state = state * 1664525u + 1013904223u;
    return 1 + (state >> 16) % bound;
  }
};

// How a decoder ended a stream: the packets, then NeedMore or the error.
struct Outcome {
  std::vector<Packet> packets;
  std::optional<DecodeError> error;
};

Outcome decode_whole(std::span<const std::uint8_t> stream, std::uint8_t selector) {
  FrameDecoder decoder(cairn::fuzz::selected_version(selector),
                       cairn::fuzz::max_packet_size(selector));
  Outcome out;
  decoder.feed(stream);
  for (;;) {
    DecodeResult result = decoder.next();
    if (std::holds_alternative<NeedMore>(result)) return out;
    if (auto* error = std::get_if<DecodeError>(&result)) {
      out.error = *error;
      return out;
    }
    out.packets.push_back(std::move(std::get<Packet>(result)));
  }
}

Outcome decode_in_place(std::span<const std::uint8_t> stream, std::uint8_t selector,
                        SplitRng& rng) {
  FrameDecoder decoder(cairn::fuzz::selected_version(selector),
                       cairn::fuzz::max_packet_size(selector));
  Outcome out;
  std::size_t offset = 0;
  while (offset < stream.size()) {
    const std::size_t n = std::min(rng.next(64), stream.size() - offset);
    std::span<const std::uint8_t> input = stream.subspan(offset, n);
    offset += n;
    for (;;) {
      DecodeResult result = decoder.next_from(input);
      if (std::holds_alternative<NeedMore>(result)) {
        if (!input.empty()) fail("next_from() said NeedMore with input left", nullptr, {});
        break;
      }
      if (auto* error = std::get_if<DecodeError>(&result)) {
        out.error = *error;
        return out;
      }
      out.packets.push_back(std::move(std::get<Packet>(result)));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::span<const std::uint8_t> stream(data + 1, size - 1);

  FrameDecoder decoder(cairn::fuzz::selected_version(selector),
                       cairn::fuzz::max_packet_size(selector));
  SplitRng rng{static_cast<std::uint32_t>(size) * 2654435761u};

  auto chunk_size = [&](cairn::fuzz::Split split) -> std::size_t {
    switch (split) {
      case cairn::fuzz::kSplitWhole:
      case cairn::fuzz::kSplitDrainLate:
        return stream.size();
      case cairn::fuzz::kSplitByteByByte:
        return 1;
      case cairn::fuzz::kSplitTwo:
        return 2;
      case cairn::fuzz::kSplitSeven:
        return 7;
      case cairn::fuzz::kSplitPseudoRandom:
        return rng.next(32);
      case cairn::fuzz::kSplitPrepareCommit:
        return rng.next(16);
      case cairn::fuzz::kSplitHalves:
        return std::max<std::size_t>(1, stream.size() / 2);
    }
    return stream.size();
  };

  {
    SplitRng in_place_rng{static_cast<std::uint32_t>(size) * 40503u + 1u};
    const Outcome whole = decode_whole(stream, selector);
    const Outcome in_place = decode_in_place(stream, selector, in_place_rng);
    if (whole.packets != in_place.packets || whole.error != in_place.error) {
      fail("next_from() and feed()+next() disagree", nullptr,
           cairn::fuzz::selected_version(selector));
    }
  }

  const cairn::fuzz::Split split = cairn::fuzz::selected_split(selector);
  std::size_t offset = 0;
  while (offset < stream.size()) {
    const std::size_t n = std::min(chunk_size(split), stream.size() - offset);
    const auto chunk = stream.subspan(offset, n);
    if (split == cairn::fuzz::kSplitPrepareCommit) {
      const std::span<std::uint8_t> space = decoder.prepare(n);
      if (space.size() < n)
        fail("prepare() gave less space than asked for", nullptr, decoder.version());
      std::memcpy(space.data(), chunk.data(), n);
      decoder.commit(n);
    } else {
      decoder.feed(chunk);
    }
    offset += n;
    if (split != cairn::fuzz::kSplitDrainLate && !drain(decoder)) return 0;
  }
  drain(decoder);
  return 0;
}
