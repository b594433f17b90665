// Malformed packets, part 7: UTF-8 Encoded Strings that are not well formed,
// encode a surrogate or a code point above U+10FFFF, or contain U+0000
// [MQTT-1.5.4-1/2], in every place a packet carries one: 0x81 Malformed Packet
// (not 0x90 / 0x8F, even in topics and filters). And the controls: U+FFFF,
// U+FEFF, control characters and the edges of the ranges are valid.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// A place that carries a UTF-8 string: a packet built around the string `s`.
struct Place {
  const char* label;
  ProtocolVersion version;
  PacketType type;
  Bytes (*build)(std::string_view s);
};

Bytes connect_v3(std::uint8_t flags, const Bytes& payload) {
  return frame(0x10, cat({str("MQTT"), {0x04, flags, 0x00, 0x3C}, payload}));
}
Bytes connect_v5(std::uint8_t flags, const Bytes& properties, const Bytes& payload) {
  return frame(0x10, cat({str("MQTT"), {0x05, flags, 0x00, 0x3C}, props(properties), payload}));
}

constexpr Place kPlaces[] = {
    {"V311_PublishTopic", kV311, PacketType::kPublish,
     [](std::string_view s) { return frame(0x30, str(s)); }},
    {"V31_PublishTopic", kV31, PacketType::kPublish,
     [](std::string_view s) { return frame(0x30, str(s)); }},
    {"V5_PublishTopic", kV5, PacketType::kPublish,
     [](std::string_view s) {
       return frame(0x30, cat({str(s), props({})}));
     }},
    {"V311_PublishTopicQoS1", kV311, PacketType::kPublish,
     [](std::string_view s) {
       return frame(0x32, cat({str(s), {0x00, 0x01}}));
     }},
    {"V311_ClientId", kV311, PacketType::kConnect,
     [](std::string_view s) { return connect_v3(0x02, str(s)); }},
    {"V5_ClientId", kV5, PacketType::kConnect,
     [](std::string_view s) { return connect_v5(0x02, {}, str(s)); }},
    {"V311_UserName", kV311, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v3(0x82, cat({str("c"), str(s)}));
     }},
    {"V5_UserName", kV5, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v5(0x82, {}, cat({str("c"), str(s)}));
     }},
    {"V311_WillTopic", kV311, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v3(0x06, cat({str("c"), str(s), str("p")}));
     }},
    {"V5_WillTopic", kV5, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v5(0x06, {}, cat({str("c"), props({}), str(s), str("p")}));
     }},
    {"V5_WillResponseTopic", kV5, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v5(0x06, {},
                         cat({str("c"), props(cat({{0x08}, str(s)})), str("w"), str("p")}));
     }},
    {"V5_ConnectAuthenticationMethod", kV5, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v5(0x02, cat({{0x15}, str(s)}), str("c"));
     }},
    {"V5_ConnectUserPropertyValue", kV5, PacketType::kConnect,
     [](std::string_view s) {
       return connect_v5(0x02, cat({{0x26}, str("k"), str(s)}), str("c"));
     }},
    {"V5_ConnackAssignedClientIdentifier", kV5, PacketType::kConnack,
     [](std::string_view s) {
       return frame(0x20, cat({{0x00, 0x00}, props(cat({{0x12}, str(s)}))}));
     }},
    {"V5_PublishContentType", kV5, PacketType::kPublish,
     [](std::string_view s) {
       return frame(0x30, cat({str("a"), props(cat({{0x03}, str(s)}))}));
     }},
    {"V5_PublishResponseTopic", kV5, PacketType::kPublish,
     [](std::string_view s) {
       return frame(0x30, cat({str("a"), props(cat({{0x08}, str(s)}))}));
     }},
    {"V5_PublishUserPropertyKey", kV5, PacketType::kPublish,
     [](std::string_view s) {
       return frame(0x30, cat({str("a"), props(cat({{0x26}, str(s), str("v")}))}));
     }},
    {"V5_PubackReasonString", kV5, PacketType::kPuback,
     [](std::string_view s) {
       return frame(0x40, cat({{0x00, 0x01, 0x00}, props(cat({{0x1F}, str(s)}))}));
     }},
    {"V5_DisconnectServerReference", kV5, PacketType::kDisconnect,
     [](std::string_view s) {
       return frame(0xE0, cat({{0x00}, props(cat({{0x1C}, str(s)}))}));
     }},
    {"V311_SubscribeFilter", kV311, PacketType::kSubscribe,
     [](std::string_view s) {
       return frame(0x82, cat({{0x00, 0x01}, str(s), {0x00}}));
     }},
    {"V5_SubscribeFilter", kV5, PacketType::kSubscribe,
     [](std::string_view s) {
       return frame(0x82, cat({{0x00, 0x01, 0x00}, str(s), {0x00}}));
     }},
    {"V311_UnsubscribeFilter", kV311, PacketType::kUnsubscribe,
     [](std::string_view s) {
       return frame(0xA2, cat({{0x00, 0x01}, str(s)}));
     }},
    {"V5_UnsubscribeFilter", kV5, PacketType::kUnsubscribe,
     [](std::string_view s) {
       return frame(0xA2, cat({{0x00, 0x01, 0x00}, str(s)}));
     }},
};

struct Text {
  const char* label;
  std::string_view bytes;
};

// Not MQTT UTF-8. Each sits between 'a' and 'b' unless it is about the end.
constexpr Text kBadTexts[] = {
    {"Overlong2Byte",
     "a\xC0\x80"
     "b"},  // U+0000 in two bytes
    {"OverlongSlash",
     "a\xC0\xAF"
     "b"},  // '/' in two bytes
    {"Overlong3Byte",
     "a\xE0\x80\xAF"
     "b"},  // '/' in three bytes
    {"Overlong4Byte",
     "a\xF0\x8F\xBF\xBF"
     "b"},  // U+FFFF in four bytes
    {"SurrogateHigh",
     "a\xED\xA0\x80"
     "b"},  // U+D800
    {"SurrogateLow",
     "a\xED\xBF\xBF"
     "b"},                                          // U+DFFF
    {"SurrogatePair", "\xED\xA0\xBD\xED\xB8\x80"},  // CESU-8 of U+1F600
    {"Nul", std::string_view("a\0b", 3)},           // U+0000
    {"NulAlone", std::string_view("\0", 1)},        // U+0000
    {"AboveMax",
     "a\xF4\x90\x80\x80"
     "b"},  // U+110000
    {"Lead5Byte",
     "a\xF8\x88\x80\x80\x80"
     "b"},                            // a 5-byte form
    {"TruncatedAtEnd", "a\xE2\x82"},  // 2 of the 3 bytes of U+20AC
    {"TruncatedInside",
     "a\xE2\x82"
     "b"},                                // 'b' where a continuation byte belongs
    {"Truncated4Byte", "a\xF0\x9F\x98"},  // 3 of the 4 bytes of U+1F600
    {"StrayContinuation",
     "a\x80"
     "b"},  // a continuation byte with no lead
    {"StrayContinuationFirst",
     "\xBF"
     "ab"},
    {"LeadFF",
     "a\xFF"
     "b"},
    {"LeadC1",
     "a\xC1\xBF"
     "b"},  // 0xC1 never leads
};

// Valid MQTT UTF-8, though unusual; the specification only says a sender SHOULD NOT use some.
constexpr Text kGoodTexts[] = {
    {"UFFFF",
     "a\xEF\xBF\xBF"
     "b"},  // non-character U+FFFF
    {"UFFFE",
     "a\xEF\xBF\xBE"
     "b"},  // non-character U+FFFE
    {"BOM",
     "\xEF\xBB\xBF"
     "a"},  // U+FEFF, kept as is [MQTT-1.5.4-3]
    {"C0Controls",
     "a\x01\x1F"
     "b"},  // U+0001, U+001F
    {"Delete",
     "a\x7F"
     "b"},  // U+007F
    {"C1Controls",
     "a\xC2\x80\xC2\x9F"
     "b"},                            // U+0080, U+009F
    {"U07FF", "\xDF\xBF"},            // last 2-byte code point
    {"U0800", "\xE0\xA0\x80"},        // first 3-byte code point
    {"UD7FF", "\xED\x9F\xBF"},        // just below the surrogates
    {"UE000", "\xEE\x80\x80"},        // just above the surrogates
    {"U10000", "\xF0\x90\x80\x80"},   // first 4-byte code point
    {"U10FFFF", "\xF4\x8F\xBF\xBF"},  // the last code point
    {"Emoji", "\xF0\x9F\x98\x80"},    // U+1F600
};

std::vector<MalformedCase> bad_utf8_cases() {
  std::vector<MalformedCase> cases;
  for (const Place& place : kPlaces) {
    for (const Text& text : kBadTexts) {
      cases.push_back({std::string(place.label) + "_" + text.label, place.version,
                       place.build(text.bytes), kMalformed});
    }
  }
  return cases;
}

class MalformedUtf8 : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedUtf8, IsRefusedAsMalformed) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Utf8, MalformedUtf8, ::testing::ValuesIn(bad_utf8_cases()),
                         case_name<MalformedCase>);

std::vector<AcceptedCase> good_utf8_cases() {
  std::vector<AcceptedCase> cases;
  for (const Place& place : kPlaces) {
    for (const Text& text : kGoodTexts) {
      cases.push_back({std::string(place.label) + "_" + text.label, place.version,
                       place.build(text.bytes), place.type});
    }
  }
  return cases;
}

class AcceptedUtf8 : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedUtf8, IsAccepted) {
  const AcceptedCase& c = GetParam();
  expect_accepted(c.version, c.bytes, c.type);
}

INSTANTIATE_TEST_SUITE_P(Utf8, AcceptedUtf8, ::testing::ValuesIn(good_utf8_cases()),
                         case_name<AcceptedCase>);

TEST(AcceptedUtf8Detail, TopicKeepsItsBytes) {
  for (const Text& text : kGoodTexts) {
    SCOPED_TRACE(text.label);
    const Packet packet =
        expect_accepted(kV311, frame(0x30, str(text.bytes)), PacketType::kPublish);
    if (const auto* publish = std::get_if<Publish>(&packet)) {
      EXPECT_EQ(publish->topic, text.bytes);
    }
  }
}

TEST(AcceptedUtf8Detail, PayloadsAndBinaryDataAreNotUtf8) {
  // A payload, a will message and a password are bytes, not UTF-8 strings.
  const Bytes bad = {0xC0, 0x80, 0x00, 0xED, 0xA0, 0x80, 0xFF};
  expect_accepted(kV311, cat({{0x30, 0x0A}, str("a"), bad}), PacketType::kPublish);
  expect_accepted(kV5, frame(0x30, cat({str("a"), props({}), bad})), PacketType::kPublish);
  const std::string bad_text(bad.begin(), bad.end());
  expect_accepted(kV311, connect_v3(0x06, cat({str("c"), str("w"), str(bad_text)})),
                  PacketType::kConnect);
  expect_accepted(kV5, connect_v5(0xC2, {}, cat({str("c"), str("u"), str(bad_text)})),
                  PacketType::kConnect);
  expect_accepted(kV5, frame(0x30, cat({str("a"), props(cat({{0x09}, str(bad_text)}))})),
                  PacketType::kPublish);  // Correlation Data
}

}  // namespace
}  // namespace cairn::mqtt
