// Internal to the codec: reading and writing MQTT's data representations
// ([MQTT-1.5]): big-endian integers, Variable Byte Integers, length-prefixed
// strings and binary data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "base/check.h"
#include "base/utf8.h"
#include "mqtt/decode_result.h"

namespace cairn::mqtt::wire {

inline constexpr std::uint32_t kMaxVarint = 268'435'455;  // 4 bytes of 7 bits
inline constexpr std::size_t kMaxStringLength = 65'535;

enum class VarintStatus { kOk, kNeedMore, kMalformed };
struct Varint {
  VarintStatus status;
  std::uint32_t value = 0;
  std::size_t length = 0;  // bytes it took
};

// Decodes a Variable Byte Integer from the start of `bytes`. Malformed when a
// fifth byte would be needed, or when the value is not in its shortest form
// [MQTT-1.5.5-1] (a last byte of 0 after a continuation).
inline Varint decode_varint(const std::uint8_t* bytes, std::size_t size) noexcept {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i == size) return {VarintStatus::kNeedMore};
    const std::uint8_t b = bytes[i];
    value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      if (i > 0 && b == 0) return {VarintStatus::kMalformed};
      return {VarintStatus::kOk, value, i + 1};
    }
  }
  return {VarintStatus::kMalformed};
}

constexpr std::size_t varint_size(std::uint32_t value) noexcept {
  return value < 128 ? 1 : value < 16'384 ? 2 : value < 2'097'152 ? 3 : 4;
}

// Reads fields in order from one packet's body. The first failure is kept and
// every later read returns zero or empty, so a decoder reads a whole group of
// fields and checks ok() once.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) noexcept
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool ok() const noexcept { return !failed_; }
  const DecodeError& error() const noexcept { return error_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  bool at_end() const noexcept { return p_ == end_; }

  // Records a failure unless one is already recorded.
  void fail(ReasonCode reason, const char* why) noexcept {
    if (failed_) return;
    failed_ = true;
    error_ = DecodeError{reason, why};
    p_ = end_;
  }

  std::uint8_t u8() noexcept {
    if (!need(1)) return 0;
    return *p_++;
  }
  std::uint16_t u16() noexcept {
    if (!need(2)) return 0;
    const auto v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return v;
  }
  std::uint32_t u32() noexcept {
    if (!need(4)) return 0;
    const std::uint32_t v = (std::uint32_t{p_[0]} << 24) | (std::uint32_t{p_[1]} << 16) |
                            (std::uint32_t{p_[2]} << 8) | std::uint32_t{p_[3]};
    p_ += 4;
    return v;
  }
  std::uint32_t varint() noexcept {
    if (failed_) return 0;
    const Varint v = decode_varint(p_, remaining());
    if (v.status != VarintStatus::kOk) {
      fail(ReasonCode::kMalformedPacket, "malformed variable byte integer");
      return 0;
    }
    p_ += v.length;
    return v.value;
  }
  std::string_view raw(std::size_t n) noexcept {
    if (!need(n)) return {};
    std::string_view v(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return v;
  }
  // The rest of the body.
  std::string_view rest() noexcept { return raw(remaining()); }
  // Two-byte length, then that many bytes ([MQTT-1.5.6]).
  std::string_view binary() noexcept { return raw(u16()); }
  // Two-byte length, then that many bytes of MQTT UTF-8 ([MQTT-1.5.4]).
  std::string_view utf8() noexcept {
    const std::string_view s = binary();
    if (!base::is_valid_mqtt_utf8(s)) fail(ReasonCode::kMalformedPacket, "invalid UTF-8 string");
    return s;
  }

 private:
  bool need(std::size_t n) noexcept {
    if (remaining() >= n) return true;
    fail(ReasonCode::kMalformedPacket, "field runs past the end of the packet");
    return false;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool failed_ = false;
  DecodeError error_;
};

// Writes fields at a cursor into space the caller has sized exactly.
class Writer {
 public:
  explicit Writer(std::uint8_t* p) noexcept : p_(p) {}
  std::uint8_t* position() const noexcept { return p_; }

  void u8(std::uint8_t v) noexcept { *p_++ = v; }
  void u16(std::uint16_t v) noexcept {
    p_[0] = static_cast<std::uint8_t>(v >> 8);
    p_[1] = static_cast<std::uint8_t>(v);
    p_ += 2;
  }
  void u32(std::uint32_t v) noexcept {
    p_[0] = static_cast<std::uint8_t>(v >> 24);
    p_[1] = static_cast<std::uint8_t>(v >> 16);
    p_[2] = static_cast<std::uint8_t>(v >> 8);
    p_[3] = static_cast<std::uint8_t>(v);
    p_ += 4;
  }
  void varint(std::uint32_t v) noexcept {
    CAIRN_CHECK(v <= kMaxVarint, "variable byte integer out of range");
    do {
      std::uint8_t b = v & 0x7F;
      v >>= 7;
      if (v != 0) b |= 0x80;
      *p_++ = b;
    } while (v != 0);
  }
  void raw(std::string_view bytes) noexcept {
    if (bytes.empty()) return;
    std::memcpy(p_, bytes.data(), bytes.size());
    p_ += bytes.size();
  }
  // Two-byte length prefix, then the bytes (UTF-8 string or binary data).
  void string(std::string_view bytes) noexcept {
    CAIRN_CHECK(bytes.size() <= kMaxStringLength, "string longer than 65535 bytes");
    u16(static_cast<std::uint16_t>(bytes.size()));
    raw(bytes);
  }

 private:
  std::uint8_t* p_;
};

}  // namespace cairn::mqtt::wire
