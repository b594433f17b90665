#include "mqtt/frame_decoder.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "mqtt/packet_decoder.h"
#include "mqtt/wire_format.h"

namespace cairn::mqtt {
namespace {

// A connection's buffer starts small (an idle connection should cost little)
// and grows to the largest packet seen, up to the maximum packet size.
constexpr std::size_t kInitialCapacity = 256;
// Past this, an emptied buffer is released rather than kept for the next
// packet: one large packet must not pin its size for the connection's life.
constexpr std::size_t kRetainedCapacity = 64 * 1024;

}  // namespace

FrameDecoder::FrameDecoder(ProtocolVersion version, std::uint32_t max_packet_size)
    : version_(version), max_packet_size_(max_packet_size) {}

std::span<std::uint8_t> FrameDecoder::prepare(std::size_t min_bytes) {
  if (begin_ == end_) begin_ = end_ = 0;
  // Room for the rest of a packet whose size is known, but never more than
  // what has arrived so far again: memory grows with the bytes a peer really
  // sends, not with the size its fixed header claims (a 7-byte header must
  // not make us allocate and zero the maximum packet size).
  const std::size_t rest_of_packet =
      next_packet_size_ > buffered() ? next_packet_size_ - buffered() : std::size_t{0};
  const std::size_t wanted =
      std::max(min_bytes, std::min(rest_of_packet, std::max(buffered(), kInitialCapacity)));
  if (buffer_.size() - end_ < wanted) {
    // Move the unread bytes to the front before growing, so the buffer never
    // holds more than one packet's worth of decoded bytes.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, buffered());
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < wanted) {
      buffer_.resize(std::max({end_ + wanted, buffer_.size() * 2, kInitialCapacity}));
    }
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void FrameDecoder::commit(std::size_t bytes) {
  CAIRN_CHECK(bytes <= buffer_.size() - end_, "commit past the prepared space");
  end_ += bytes;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  std::span<std::uint8_t> space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

DecodeResult FrameDecoder::next() {
  if (failed_) return *failed_;
  std::size_t consumed = 0;
  DecodeResult result = decode_at(buffer_.data() + begin_, buffered(), consumed);
  begin_ += consumed;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buffer_.size() > kRetainedCapacity) std::vector<std::uint8_t>().swap(buffer_);
  }
  return result;
}

DecodeResult FrameDecoder::next_from(std::span<const std::uint8_t>& input) {
  if (failed_) return *failed_;
  // First finish a packet begun in an earlier read: move into the buffer only
  // what it still lacks (byte by byte while its fixed header is incomplete),
  // so the packets after it are decoded where they lie.
  while (buffered() > 0) {
    if (input.empty()) return NeedMore{};
    const std::size_t lacking =
        next_packet_size_ > buffered() ? next_packet_size_ - buffered() : std::size_t{1};
    const std::size_t take = std::min(lacking, input.size());
    feed(input.first(take));
    input = input.subspan(take);
    DecodeResult result = next();
    if (!std::holds_alternative<NeedMore>(result)) {
      if (buffered() == 0) release_if_empty();
      return result;
    }
  }
  if (input.empty()) return NeedMore{};
  std::size_t consumed = 0;
  DecodeResult result = decode_at(input.data(), input.size(), consumed);
  input = input.subspan(consumed);
  if (std::holds_alternative<NeedMore>(result)) {
    // An incomplete packet (its size, when known, is within the limit): keep
    // its bytes for the next read.
    feed(input);
    input = {};
  }
  return result;
}

void FrameDecoder::release_if_empty() noexcept {
  if (buffered() != 0) return;
  begin_ = end_ = 0;
  std::vector<std::uint8_t>().swap(buffer_);
}

DecodeResult FrameDecoder::decode_at(const std::uint8_t* start, std::size_t available,
                                     std::size_t& consumed) {
  consumed = 0;
  if (available == 0) return NeedMore{};
  if (auto error = check_fixed_header(start[0], version_)) {
    failed_ = *error;
    return *failed_;
  }
  const wire::Varint length = wire::decode_varint(start + 1, available - 1);
  if (length.status == wire::VarintStatus::kNeedMore) return NeedMore{};
  if (length.status == wire::VarintStatus::kMalformed) {
    failed_ = DecodeError{ReasonCode::kMalformedPacket, "malformed remaining length"};
    return *failed_;
  }
  const std::size_t total = 1 + length.length + std::size_t{length.value};
  if (total > max_packet_size_) {
    failed_ = DecodeError{ReasonCode::kPacketTooLarge, "packet larger than the maximum size"};
    return *failed_;
  }
  if (available < total) {
    next_packet_size_ = total;
    return NeedMore{};
  }
  next_packet_size_ = 0;
  consumed = total;
  auto decoded = decode_packet(start[0], {start + 1 + length.length, length.value}, version_);
  if (auto* error = std::get_if<DecodeError>(&decoded)) {
    failed_ = *error;
    return *failed_;
  }
  Packet& packet = std::get<Packet>(decoded);
  if (const auto* connect = std::get_if<Connect>(&packet)) version_ = connect->version;
  return std::move(packet);
}

}  // namespace cairn::mqtt
