// Samples shared by the record codec tests (record_codec_test.cc,
// record_codec_rejects_test.cc): odd ids and names, values with every
// optional field set, and every kind of value in one full encoding.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/record_codec.h"

namespace cairn::storage::record::samples {

using model::QoS;
using namespace std::string_literals;

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t k2To40 = std::uint64_t{1} << 40;

// Client ids and names with the bytes most likely to confuse a key layout:
// empty, NUL, 0xFF, the separators and wildcards of topics, multi-byte UTF-8.
inline std::vector<std::string> odd_client_ids() {
  std::vector<std::string> ids = {
      "", "a", "ab", "\0"s, "a\0\xff"s, "a/+/#", "\xc3\xbc\xe2\x82\xac"};
  ids.push_back(std::string(65535, 'x'));  // the longest an MQTT string can be
  return ids;
}
inline std::vector<std::string> odd_names() {
  return {"a",    "/", "#", "+", "a/+/#", "sport/tennis/+", "/a//b/", "\xc3\xbc/\xe2\x82\xac/+",
          "x\0y"s};
}

inline model::WallTime at_millis(std::int64_t ms) {
  return model::WallTime(std::chrono::milliseconds(ms));
}

// A message with every optional field set; its times are whole milliseconds,
// the precision the store keeps.
inline model::Message full_message() {
  model::Message m;
  m.topic = "a/b";
  m.payload = std::string("h\0i\xff", 4);
  m.qos = QoS::kExactlyOnce;
  m.retain = true;
  m.expires_at = at_millis(1'700'000'000'123);
  m.properties.payload_format_indicator = 1;
  m.properties.content_type = "text/plain";
  m.properties.response_topic = "reply/+";
  m.properties.correlation_data = std::string("\0\x01\x02", 3);
  // Same name twice, out of alphabetical order: order and duplicates are kept.
  m.properties.user_properties = {{"z", "1"}, {"a", ""}, {"z", "2"}, {"", "\xc3\xbc"}};
  return m;
}

inline model::MessagePtr share(model::Message m) {
  return std::make_shared<const model::Message>(std::move(m));
}

inline PutSession full_session() {
  PutSession s;
  s.expiry_interval = 0xFFFFFFFF;
  s.disconnected_at = at_millis(1'700'000'000'456);
  s.will = share(full_message());
  s.will_delay = 30;
  s.will_expiry_interval = 3600;
  return s;
}

inline Cursor sample_cursor() {
  return Cursor::of(
      {1, 2, 3, 5, 7, 8, 100, k2To40, k2To40 + 1},
      {{4, {4, 1, false}}, {6, {6, 2, true}}, {k2To40 + 7, {k2To40 + 7, 65535, true}}});
}

inline std::vector<ChunkEntry> sample_chunk() {
  return {{1, 7, 0, QoS::kAtLeastOnce, false, {}},
          {2, 7, 1, QoS::kExactlyOnce, true, {1, 268'435'455}},
          {k2To40, kMax64, 0xFFFFFFFF, QoS::kAtLeastOnce, true, {0xFFFFFFFF}}};
}

// Every kind of value, each in one full encoding, with the decoder that reads it.
template <auto Decode>
bool decodes(std::string_view value) {
  return static_cast<bool>(Decode(value));
}
struct Encoded {
  const char* name;
  std::string value;
  bool (*decodes)(std::string_view);
};
inline std::vector<Encoded> every_value() {
  PutSubscription subscription;
  subscription.options = {QoS::kExactlyOnce, true, true, model::RetainHandling::kDoNotSend};
  subscription.subscription_id = 42;
  return {
      {"format", encode_format(kFormatVersion), decodes<decode_format>},
      {"segment", encode_segment({share(full_message()), share(model::Message{})}),
       decodes<decode_segment>},
      {"chunk", encode_chunk(sample_chunk()), decodes<decode_chunk>},
      {"cursor", encode_cursor(sample_cursor()), decodes<decode_cursor>},
      {"session", encode_session(full_session()), decodes<decode_session>},
      {"subscription", encode_subscription(subscription), decodes<decode_subscription>},
      {"retained", encode_retained(full_message()), decodes<decode_retained>},
      {"incoming", encode_incoming(), decodes<decode_incoming>},
  };
}

}  // namespace cairn::storage::record::samples
