// base::is_valid_mqtt_utf8: well-formed UTF-8 per RFC 3629 (no overlong forms,
// nothing above U+10FFFF), no surrogates [MQTT-1.5.4-1], no U+0000
// [MQTT-1.5.4-2]; non-characters and control characters are allowed.
#include "base/utf8.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace cairn::base {
namespace {

using namespace std::string_view_literals;

struct Utf8Case {
  const char* name;
  std::string_view text;
};

void PrintTo(const Utf8Case& c, std::ostream* os) {
  *os << c.name << " [";
  for (const unsigned char ch : c.text) *os << ' ' << std::hex << static_cast<int>(ch);
  *os << " ]";
}

std::string name_of(const ::testing::TestParamInfo<Utf8Case>& info) { return info.param.name; }

constexpr Utf8Case kValid[] = {
    {"Empty", ""},
    {"Ascii", "hello/world"},
    {"AllAsciiButNul", "\x01\x02\x1F\x20\x7E\x7F"},
    {"U0080", "\xC2\x80"},            // first 2-byte code point
    {"U00E9", "caf\xC3\xA9"},         // é
    {"U07FF", "\xDF\xBF"},            // last 2-byte code point
    {"U0800", "\xE0\xA0\x80"},        // first 3-byte code point
    {"U20AC", "\xE2\x82\xAC"},        // €
    {"UD7FF", "\xED\x9F\xBF"},        // just below the surrogates
    {"UE000", "\xEE\x80\x80"},        // just above the surrogates
    {"UFEFF", "\xEF\xBB\xBF"},        // BOM, a character like any other
    {"UFFFE", "\xEF\xBF\xBE"},        // non-character
    {"UFFFF", "\xEF\xBF\xBF"},        // non-character
    {"U10000", "\xF0\x90\x80\x80"},   // first 4-byte code point
    {"U1F600", "\xF0\x9F\x98\x80"},   // 😀
    {"U10FFFF", "\xF4\x8F\xBF\xBF"},  // the last code point
    {"UFDD0", "\xEF\xB7\x90"},        // non-character
    {"Mixed", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z"},
    {"C1Control", "\xC2\x9F"},  // U+009F
};

constexpr Utf8Case kInvalid[] = {
    {"Nul", "\0"sv},
    {"NulInside", "ab\0cd"sv},
    {"NulAtEnd", "ab\0"sv},
    {"Overlong2ByteNul", "\xC0\x80"},  // U+0000 in 2 bytes ("modified UTF-8")
    {"Overlong2ByteSlash", "\xC0\xAF"},
    {"Overlong2ByteC1", "\xC1\xBF"},  // U+007F in 2 bytes
    {"Overlong3Byte", "\xE0\x80\x80"},
    {"Overlong3ByteMax", "\xE0\x9F\xBF"},  // U+07FF in 3 bytes
    {"Overlong4Byte", "\xF0\x80\x80\x80"},
    {"Overlong4ByteMax", "\xF0\x8F\xBF\xBF"},  // U+FFFF in 4 bytes
    {"SurrogateD800", "\xED\xA0\x80"},
    {"SurrogateDBFF", "\xED\xAF\xBF"},
    {"SurrogateDC00", "\xED\xB0\x80"},
    {"SurrogateDFFF", "\xED\xBF\xBF"},
    {"SurrogatePairCesu8", "\xED\xA0\xBD\xED\xB8\x80"},
    {"Above10FFFF", "\xF4\x90\x80\x80"},  // U+110000
    {"LeadF5", "\xF5\x80\x80\x80"},
    {"LeadF7", "\xF7\xBF\xBF\xBF"},
    {"Lead5Byte", "\xF8\x88\x80\x80\x80"},
    {"Lead6Byte", "\xFC\x84\x80\x80\x80\x80"},
    {"ByteFE", "\xFE"},
    {"ByteFF", "\xFF"},
    {"StrayContinuation80", "\x80"},
    {"StrayContinuationBF", "a\xBF"},
    {"TwoContinuations", "\xC3\xA9\xA9"},  // é then a stray continuation
    {"Truncated2Byte", "\xC3"},
    {"Truncated3ByteAfter1", "\xE2"},
    {"Truncated3ByteAfter2", "\xE2\x82"},
    {"Truncated4ByteAfter3", "\xF0\x9F\x98"},
    {"TruncatedThenAscii",
     "\xE2\x82"
     "a"},  // 'a' where a continuation byte belongs
    {"TruncatedThenLead", "\xE2\xC3\xA9"},
    {"ContinuationReplacedByAscii",
     "\xF0\x9F"
     "ab"},
    {"ValidThenInvalid", "abc\xC3\xA9\xC0\x80"},
};

class ValidUtf8 : public ::testing::TestWithParam<Utf8Case> {};
TEST_P(ValidUtf8, IsAccepted) { EXPECT_TRUE(is_valid_mqtt_utf8(GetParam().text)); }
INSTANTIATE_TEST_SUITE_P(Utf8, ValidUtf8, ::testing::ValuesIn(kValid), name_of);

class InvalidUtf8 : public ::testing::TestWithParam<Utf8Case> {};
TEST_P(InvalidUtf8, IsRefused) { EXPECT_FALSE(is_valid_mqtt_utf8(GetParam().text)); }
INSTANTIATE_TEST_SUITE_P(Utf8, InvalidUtf8, ::testing::ValuesIn(kInvalid), name_of);

// Encodes a code point the way RFC 3629 does (no validity checks).
std::string encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

TEST(Utf8, EveryCodePointExactlyWhenNotSurrogateOrNul) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool expected = cp != 0 && (cp < 0xD800 || cp > 0xDFFF);
    const std::string text = encode(cp);
    if (is_valid_mqtt_utf8(text) != expected) {
      ADD_FAILURE() << "U+" << std::hex << static_cast<unsigned>(cp) << " expected "
                    << (expected ? "valid" : "invalid");
      return;
    }
  }
}

TEST(Utf8, EveryTruncationOfAMultiByteSequenceIsRefused) {
  for (const char32_t cp : {U'\u00E9', U'\u20AC', U'\U0001F600', U'\U0010FFFF'}) {
    const std::string full = encode(cp);
    ASSERT_TRUE(is_valid_mqtt_utf8(full));
    for (std::size_t n = 1; n < full.size(); ++n) {
      EXPECT_FALSE(is_valid_mqtt_utf8(std::string_view(full).substr(0, n)))
          << std::hex << static_cast<unsigned>(cp) << " cut to " << n;
      EXPECT_FALSE(is_valid_mqtt_utf8(full.substr(0, n) + "x"));
    }
  }
}

TEST(Utf8, EveryOverlongTwoByteFormIsRefused) {
  for (unsigned cp = 0; cp < 0x80; ++cp) {
    const char bytes[] = {static_cast<char>(0xC0 | (cp >> 6)),
                          static_cast<char>(0x80 | (cp & 0x3F))};
    EXPECT_FALSE(is_valid_mqtt_utf8(std::string_view(bytes, 2))) << cp;
  }
}

TEST(Utf8, EverySingleByteAlone) {
  for (unsigned b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    EXPECT_EQ(is_valid_mqtt_utf8(std::string_view(&c, 1)), b >= 0x01 && b <= 0x7F) << b;
  }
}

}  // namespace
}  // namespace cairn::base
