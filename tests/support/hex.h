// Bytes for tests: built from annotated lists so every byte can carry a
// comment, and printed as hex dumps when a comparison fails.
//
//   const Bytes expected = cat(bytes({
//                                  0x30,              // PUBLISH, QoS 0
//                                  0xCD, 0x01,        // Remaining Length 77 + 1*128 = 205
//                                  0x00, 0x03,        // topic length 3
//                                  'a', '/', 'b',     // "a/b"
//                              }),
//                              repeat('x', 200));     // payload
//
// Header-only; depends on GoogleTest for the assertion helpers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::test {

using Bytes = std::vector<std::uint8_t>;

// The listed bytes, in order. Character literals stand for their ASCII code.
inline Bytes bytes(std::initializer_list<std::uint8_t> list) { return Bytes(list); }

// Bytes from hex text: pairs of hex digits, whitespace ignored ("30 05 00 03").
// Throws std::invalid_argument on anything else, which fails the test.
inline Bytes hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (high >= 0) throw std::invalid_argument("hex: odd digit before whitespace");
      continue;
    }
    const int value = nibble(c);
    if (value < 0) throw std::invalid_argument(std::string("hex: not a hex digit: ") + c);
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | value));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("hex: odd number of digits");
  return out;
}

// The characters of `s` as bytes (for long strings and payloads).
inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// `count` copies of `byte`.
inline Bytes repeat(std::uint8_t byte, std::size_t count) { return Bytes(count, byte); }

// `count` bytes counting up from 0 and wrapping at 256, so that a lost, doubled
// or reordered byte in a long payload shows.
inline Bytes sequence(std::size_t count) {
  Bytes out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint8_t>(i);
  return out;
}

// The pieces one after the other.
template <typename... Pieces>
Bytes cat(const Pieces&... pieces) {
  Bytes out;
  (out.insert(out.end(), std::begin(pieces), std::end(pieces)), ...);
  return out;
}

// Bytes held in a std::string (how packets hold payloads and Binary Data).
inline std::string as_string(std::span<const std::uint8_t> b) {
  return std::string(b.begin(), b.end());
}

// "0000: 30 05 00 03 61 2f 62 68  69                       |0...a/bhi|", 16 bytes a
// line, from `offset` for at most `max_bytes` bytes.
inline std::string hex_dump(std::span<const std::uint8_t> data, std::size_t offset = 0,
                            std::size_t max_bytes = 512) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const std::size_t end = std::min(data.size(), offset + max_bytes);
  for (std::size_t line = offset - offset % 16; line < end; line += 16) {
    for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(line >> shift) & 0xF];
    out += ":";
    std::string ascii;
    for (std::size_t i = line; i < line + 16; ++i) {
      if (i % 16 == 8) out += " ";
      if (i < offset || i >= end) {
        out += "   ";
        ascii += ' ';
        continue;
      }
      const std::uint8_t b = data[i];
      out += ' ';
      out += kDigits[b >> 4];
      out += kDigits[b & 0xF];
      ascii += (b >= 0x20 && b < 0x7F) ? static_cast<char>(b) : '.';
    }
    out += "  |" + ascii + "|\n";
  }
  if (end < data.size()) out += "... (" + std::to_string(data.size() - end) + " more bytes)\n";
  if (data.empty()) out += "(no bytes)\n";
  return out;
}

// For EXPECT_PRED_FORMAT2 (see EXPECT_BYTES_EQ): equal bytes, or a message with
// both sizes, the first differing offset and a dump of each side around it.
inline testing::AssertionResult AssertBytesEqual(const char* expected_expr, const char* actual_expr,
                                                 std::span<const std::uint8_t> expected,
                                                 std::span<const std::uint8_t> actual) {
  const auto mismatch =
      std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end());
  if (mismatch.first == expected.end() && mismatch.second == actual.end()) {
    return testing::AssertionSuccess();
  }
  const auto at = static_cast<std::size_t>(mismatch.first - expected.begin());
  // Small buffers are dumped whole; large ones from a little before the difference.
  const bool whole = expected.size() <= 256 && actual.size() <= 256;
  const std::size_t from = whole ? 0 : (at > 32 ? at - 32 : 0);
  const std::size_t count = whole ? 256 : 96;
  return testing::AssertionFailure()
         << actual_expr << " differs from " << expected_expr << " at offset " << at << " (expected "
         << expected.size() << " bytes, got " << actual.size() << ")\n"
         << "expected:\n"
         << hex_dump(expected, from, count) << "actual:\n"
         << hex_dump(actual, from, count);
}

}  // namespace cairn::test

// EXPECT_BYTES_EQ(expected, actual): both anything convertible to
// std::span<const std::uint8_t>; on failure, prints hex dumps of both.
#define EXPECT_BYTES_EQ(expected, actual) \
  EXPECT_PRED_FORMAT2(::cairn::test::AssertBytesEqual, expected, actual)
#define ASSERT_BYTES_EQ(expected, actual) \
  ASSERT_PRED_FORMAT2(::cairn::test::AssertBytesEqual, expected, actual)
