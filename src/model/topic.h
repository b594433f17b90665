// Topic name and topic filter syntax ([MQTT-4.7]), shared by the codec, which
// rejects malformed ones, and by the broker, which matches them.
//
// These functions look only at the structure (levels and wildcards); the
// caller has already checked that the text is valid MQTT UTF-8.
#pragma once

#include <optional>
#include <string_view>

namespace cairn::model {

inline constexpr std::string_view kSharedPrefix = "$share/";

// A topic name is at least one character long [MQTT-4.7.3-1] and holds no
// wildcard character [MQTT-4.7.0-1].
bool is_valid_topic_name(std::string_view name) noexcept;

// True when `text` holds '+' or '#'. A plain loop: string_view's
// find_first_of("+#") calls memchr once per character, on the hot path of
// every PUBLISH.
constexpr bool has_wildcard(std::string_view text) noexcept {
  for (char c : text) {
    if (c == '+' || c == '#') return true;
  }
  return false;
}

// A topic filter is at least one character long [MQTT-4.7.3-1]; '+' fills a
// whole level [MQTT-4.7.1-2]; '#' fills a whole level and is the last one
// [MQTT-4.7.1-1]. A shared subscription "$share/{ShareName}/{filter}" has a
// non-empty ShareName without '/', '+' or '#' followed by a valid filter
// [MQTT-4.8.2-1], [MQTT-4.8.2-2].
bool is_valid_topic_filter(std::string_view filter) noexcept;

struct SharedSubscription {
  std::string_view share_name;
  std::string_view filter;
};

// Splits "$share/{ShareName}/{filter}"; nullopt when `filter` is not a shared
// subscription. REQUIRES: is_valid_topic_filter(filter).
std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter) noexcept;

}  // namespace cairn::model
