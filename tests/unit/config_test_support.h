// Shared by the config_*_test.cc files: parse helpers, and every key of the
// configuration file written out independently of src/config (the tests'
// copy of the specification: table, key, range, default and the field it
// sets), so that a key the loader drops, renames or mis-ranges fails a test.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace cairn::config::testing {

inline constexpr std::string_view kSource = "cairn.toml";

// The Config `text` parses to; a test failure (and defaults) if it does not.
inline Config parse_ok(std::string_view text) {
  auto result = parse_config(text, kSource);
  if (auto* error = std::get_if<ConfigError>(&result)) {
    ADD_FAILURE() << "unexpected error for:\n" << text << "\n---\n" << error->message;
    return Config{};
  }
  return std::get<Config>(std::move(result));
}

// The error message `text` gives; a test failure (and "") if it parses.
inline std::string parse_error(std::string_view text) {
  auto result = parse_config(text, kSource);
  if (auto* error = std::get_if<ConfigError>(&result)) return error->message;
  ADD_FAILURE() << "expected an error for:\n" << text;
  return "";
}

struct IntegerKey {
  std::string table;
  std::string key;
  std::int64_t min;
  std::int64_t max;
  std::int64_t default_value;
  std::function<std::int64_t(const Config&)> get;

  std::string name() const { return table + "." + key; }
};

struct BooleanKey {
  std::string table;
  std::string key;
  std::function<bool(const Config&)> get;

  std::string name() const { return table + "." + key; }
};

// gtest prints parameters with operator<<; the key name is what matters.
inline std::ostream& operator<<(std::ostream& out, const IntegerKey& k) { return out << k.name(); }
inline std::ostream& operator<<(std::ostream& out, const BooleanKey& k) { return out << k.name(); }

inline const std::vector<IntegerKey>& integer_keys() {
  constexpr std::int64_t kU16 = 65'535;
  constexpr std::int64_t kU32 = 4'294'967'295;
  static const std::vector<IntegerKey> keys = {
      {"storage", "min_free_space_mb", 0, kU32, 256,
       [](const Config& c) { return c.min_free_space_mb; }},
      {"broker", "io_threads", 0, 1024, 0, [](const Config& c) { return c.io_threads; }},
      {"broker", "sys_interval", 0, 86'400, 10, [](const Config& c) { return c.sys_interval; }},
      {"broker", "maximum_qos", 0, 2, 2, [](const Config& c) { return c.features.maximum_qos; }},
      {"limits", "max_connections", 1, kU32, 100'000,
       [](const Config& c) { return c.limits.max_connections; }},
      {"limits", "max_packet_size", 1, 268'435'460, 1'048'576,
       [](const Config& c) { return c.limits.max_packet_size; }},
      {"limits", "receive_maximum", 1, kU16, 1024,
       [](const Config& c) { return c.limits.receive_maximum; }},
      {"limits", "max_inflight_messages", 1, kU16, 1024,
       [](const Config& c) { return c.limits.max_inflight_messages; }},
      {"limits", "max_queued_messages", 1, kU32, 1'000'000,
       [](const Config& c) { return c.limits.max_queued_messages; }},
      {"limits", "max_queued_mb", 0, kU32, 1024,
       [](const Config& c) { return c.limits.max_queued_mb; }},
      {"limits", "memory_window_messages", 1, 1'000'000, 1000,
       [](const Config& c) { return c.limits.memory_window_messages; }},
      {"limits", "memory_window_mb", 1, 4096, 4,
       [](const Config& c) { return c.limits.memory_window_mb; }},
      {"limits", "max_subscriptions_per_client", 0, kU32, 0,
       [](const Config& c) { return c.limits.max_subscriptions_per_client; }},
      {"limits", "max_topic_length", 1, kU16, kU16,
       [](const Config& c) { return c.limits.max_topic_length; }},
      {"limits", "max_topic_levels", 0, kU16, 0,
       [](const Config& c) { return c.limits.max_topic_levels; }},
      {"limits", "topic_alias_maximum", 0, kU16, 64,
       [](const Config& c) { return c.limits.topic_alias_maximum; }},
      {"limits", "max_keep_alive", 0, kU16, 0,
       [](const Config& c) { return c.limits.max_keep_alive; }},
      {"limits", "max_session_expiry_interval", 0, kU32, kU32,
       [](const Config& c) { return c.limits.max_session_expiry_interval; }},
      {"limits", "connect_timeout", 1, 3600, 10,
       [](const Config& c) { return c.limits.connect_timeout; }},
      {"auth", "login_failures_per_minute", 0, 1'000'000, 10,
       [](const Config& c) { return c.auth.login_failures_per_minute; }},
  };
  return keys;
}

inline const std::vector<BooleanKey>& boolean_keys() {
  static const std::vector<BooleanKey> keys = {
      {"broker", "retain_available", [](const Config& c) { return c.features.retain_available; }},
      {"broker", "wildcard_subscription_available",
       [](const Config& c) { return c.features.wildcard_subscription_available; }},
      {"broker", "subscription_identifiers_available",
       [](const Config& c) { return c.features.subscription_identifiers_available; }},
      {"broker", "shared_subscription_available",
       [](const Config& c) { return c.features.shared_subscription_available; }},
  };
  return keys;
}

// The string keys: HOST:PORT addresses, the data directory, the log level,
// the queue policy and the auth files. (auth.allow_anonymous, a boolean whose
// absence means something, is tested on its own in config_auth_test.cc.)
inline const std::vector<std::string>& string_key_names() {
  static const std::vector<std::string> names = {
      "listener.type", "listener.listen",          "storage.data_dir",   "metrics.listen",
      "log.level",     "limits.queue_full_policy", "auth.password_file", "auth.acl_file"};
  return names;
}

// "table.key" of every key the file may hold.
inline std::vector<std::string> all_key_names() {
  std::vector<std::string> names = string_key_names();
  for (const IntegerKey& k : integer_keys()) names.push_back(k.name());
  for (const BooleanKey& k : boolean_keys()) names.push_back(k.name());
  return names;
}

// A parameter's name for gtest: "limits.max_packet_size" -> "limits_max_packet_size".
template <typename Key>
std::string key_test_name(const ::testing::TestParamInfo<Key>& info) {
  std::string name = info.param.name();
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

}  // namespace cairn::config::testing
