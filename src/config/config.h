// Config: everything an operator can set, with defaults that serve on their
// own (a broker on 127.0.0.1:1883 storing under ./data), and the two ways to
// fill it: a TOML file (parse_config, load_config_file) and command-line
// options laid over it (apply_overrides).
//
// ops/cairn.toml documents every key, its unit, range and the MQTT behaviour
// it drives; it parses to exactly these defaults (a test keeps it so). Errors
// come back as values, never as exceptions: start-up prints the message and
// exits, and the fuzzer feeds arbitrary text through the same path.
//
// Loading checks every value, so the rest of the broker may rely on the
// ranges written here. Copying the limits into session::SessionLimits and the
// broker's settings is the app's job: this module depends on base alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/listener_config.h"
#include "config/log_level.h"

namespace cairn::config {

// MQTT's largest packet: a Remaining Length of 268,435,455 (the largest
// Variable Byte Integer) plus a fixed header of at most 5 bytes.
inline constexpr std::uint32_t kMaxPacketSizeLimit = 268'435'460;

// [limits]: what one client or session may use. Each is enforced with the
// reason code the specification names; see ops/cairn.toml for which.
enum class QueueFullPolicy : std::uint8_t { kRefuse, kDrop };
inline constexpr std::string_view kQueueFullPolicyNames = "refuse, drop";
std::optional<QueueFullPolicy> parse_queue_full_policy(std::string_view text);

struct Limits {
  std::uint32_t max_connections = 100'000;                  // 1..4294967295
  std::uint32_t max_packet_size = 1'048'576;                // bytes, 1..kMaxPacketSizeLimit
  std::uint16_t receive_maximum = 1024;                     // incoming QoS 1/2 in flight, 1..65535
  std::uint16_t max_inflight_messages = 1024;               // outgoing QoS 1/2 window, 1..65535
  std::uint32_t max_queued_messages = 1'000'000;            // per session, 1..4294967295
  std::uint32_t max_queued_mb = 1024;                       // per session; 0: unlimited
  std::uint32_t memory_window_messages = 1000;              // per session, 1..1000000
  std::uint32_t memory_window_mb = 4;                       // per session, 1..4096
  std::uint32_t max_subscriptions_per_client = 0;           // 0: unlimited
  std::uint32_t max_topic_length = 65'535;                  // bytes, 1..65535
  std::uint32_t max_topic_levels = 0;                       // 0: unlimited, else 1..65535
  std::uint16_t topic_alias_maximum = 64;                   // 0..65535; 0: no aliases
  std::uint16_t max_keep_alive = 0;                         // seconds; 0: accept the client's
  std::uint32_t max_session_expiry_interval = 0xFFFF'FFFF;  // seconds; 0xFFFFFFFF: never
  std::uint32_t connect_timeout = 10;                       // seconds, 1..3600
  // What happens to a QoS 1/2 publish when a session it goes to has
  // max_queued_messages waiting: refused (the publisher keeps it) or dropped
  // for that session (logged and counted).
  QueueFullPolicy queue_full_policy = QueueFullPolicy::kRefuse;

  bool operator==(const Limits&) const = default;
};

// [broker] feature flags: announced in CONNACK (MQTT 5) and enforced.
struct Features {
  bool retain_available = true;
  bool wildcard_subscription_available = true;
  bool subscription_identifiers_available = true;
  bool shared_subscription_available = true;
  std::uint8_t maximum_qos = 2;  // 0..2

  bool operator==(const Features&) const = default;
};

// [auth]: who may connect and what they may do (issue 8). The files are
// mosquitto's formats, read unchanged; both are read again on SIGHUP.
struct Auth {
  std::string password_file;  // "" : none (user names cannot be verified)
  std::string acl_file;       // "" : none (every client may do everything)
  // Unset: anonymous clients (and unverifiable user names) are accepted when
  // every listener is on loopback and no credentials are configured (no
  // password file, no use_identity_as_username), refused otherwise. A listener beyond
  // loopback with no way to authenticate anyone stops start-up unless this
  // is set to true explicitly.
  std::optional<bool> allow_anonymous;
  std::uint32_t login_failures_per_minute = 10;  // per source address; 0: no limit

  bool operator==(const Auth&) const = default;
};

struct Config {
  // [[listener]] (or one [listener] table): at least one; default one plain
  // MQTT listener on 127.0.0.1:1883.
  std::vector<ListenerConfig> listeners{ListenerConfig{}};
  std::string data_dir = "./data";                // [storage] data_dir
  std::uint32_t min_free_space_mb = 256;          // [storage] MiB; 0: no check
  std::string metrics_listen = "127.0.0.1:9464";  // [metrics] listen, HOST:PORT; empty: off
  LogLevel log_level = LogLevel::kInfo;           // [log] level

  std::uint32_t io_threads = 0;     // [broker] network threads, 0..1024; 0: one per core
  std::uint32_t sys_interval = 10;  // [broker] seconds between $SYS updates, 0..86400; 0: off

  Limits limits;
  Features features;
  Auth auth;

  bool operator==(const Config&) const = default;
};

struct ConfigError {
  // One line per problem, each "SOURCE:LINE: KEY: what is wrong", e.g.
  // "cairn.toml:12: limits.max_packet_size: must be between 1 and 268435460, got 0".
  std::string message;
};

// Reads and checks the TOML file at `path`; messages name the file as given.
std::variant<Config, ConfigError> load_config_file(const std::string& path);

// Checks `toml_text`; messages name `source_name` as the file. Keys left out
// keep their defaults, so empty text gives Config{}. Every problem is
// reported, in the order of the text: unknown tables and keys (a typo must not
// silently leave a default in place), wrong types and values out of range.
std::variant<Config, ConfigError> parse_config(std::string_view toml_text,
                                               std::string_view source_name);

// The command-line options that override the file (cairn --listen ... ).
struct CliOverrides {
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  std::optional<std::string> metrics_listen;
  std::optional<std::string> log_level;
};

// Checks every override as the file's value would be checked and, only when
// all are valid, applies them to `config`. --listen replaces the first
// listener's address. Messages name the option, e.g.
// "--listen: the port must be between 1 and 65535, got 'localhost:0'".
std::optional<ConfigError> apply_overrides(Config& config, const CliOverrides& overrides);

}  // namespace cairn::config
