// libFuzzer target for the configuration file: config::parse_config.
//
// Arbitrary text goes where cairn.toml would. Errors are expected; what must
// hold, beyond "no crash, leak, hang, sanitizer report or escaping exception":
//   - a Config that comes back is valid: its addresses parse as HOST:PORT and
//     every number is within the range ops/cairn.toml documents (the rest of
//     the broker relies on that without checking again);
//   - a ConfigError names the source on every line and holds no control
//     character but the newlines between problems (it goes to a terminal).
// The same bytes also go to parse_listen_address, whose successes must come
// back unchanged through to_string.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.h"
#include "config/listen_address.h"

namespace {

using cairn::config::Config;
using cairn::config::ConfigError;
using cairn::config::ListenAddress;
using cairn::config::ListenAddressError;

constexpr std::string_view kSource = "fuzz.toml";

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "config_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

bool is_address(const std::string& text) {
  return std::holds_alternative<ListenAddress>(cairn::config::parse_listen_address(text));
}

void check_config(const Config& c) {
  if (c.listeners.empty()) fail("no listener", "");
  for (const cairn::config::ListenerConfig& listener : c.listeners) {
    if (!is_address(listener.listen)) fail("listen is not HOST:PORT", listener.listen);
    // What config_file.cc promises the rest of the broker (listener_config.h).
    if (cairn::config::uses_tls(listener.type)) {
      if (listener.cert_file.empty() || listener.key_file.empty()) {
        fail("a TLS listener without cert_file or key_file", listener.listen);
      }
      if (listener.require_certificate && listener.ca_file.empty()) {
        fail("require_certificate without ca_file", listener.listen);
      }
    } else if (!listener.cert_file.empty() || !listener.key_file.empty() ||
               !listener.ca_file.empty() || listener.require_certificate) {
      fail("a plain listener with TLS keys", listener.listen);
    }
  }
  if (!is_address(c.metrics_listen)) fail("metrics listen is not HOST:PORT", c.metrics_listen);
  if (c.data_dir.empty()) fail("empty data_dir", "");
  const auto& l = c.limits;
  const bool in_range =
      c.io_threads <= 1024 && c.sys_interval <= 86'400 && c.features.maximum_qos <= 2 &&
      l.max_connections >= 1 && l.max_packet_size >= 1 &&
      l.max_packet_size <= cairn::config::kMaxPacketSizeLimit && l.receive_maximum >= 1 &&
      l.max_inflight_messages >= 1 && l.max_queued_messages >= 1 && l.max_topic_length >= 1 &&
      l.max_topic_length <= 65'535 && l.max_topic_levels <= 65'535 && l.connect_timeout >= 1 &&
      l.connect_timeout <= 3600;
  if (!in_range) fail("a value outside its range was accepted", "");
}

void check_error(const ConfigError& e) {
  if (e.message.empty()) fail("empty error message", "");
  std::string_view rest = e.message;
  while (true) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (!line.starts_with(kSource)) fail("error line without its source", line);
    for (char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7F) fail("control character in an error", line);
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
}

void check_listen_address(std::string_view text) {
  auto parsed = cairn::config::parse_listen_address(text);
  if (auto* address = std::get_if<ListenAddress>(&parsed)) {
    const std::string again = cairn::config::to_string(*address);
    auto reparsed = cairn::config::parse_listen_address(again);
    const auto* round_trip = std::get_if<ListenAddress>(&reparsed);
    if (round_trip == nullptr || !(*round_trip == *address)) {
      fail("listen address does not round-trip", again);
    }
  } else if (std::get<ListenAddressError>(parsed).why.empty()) {
    fail("listen address error without a reason", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = cairn::config::parse_config(text, kSource);
  if (const auto* config = std::get_if<Config>(&result)) {
    check_config(*config);
  } else {
    check_error(std::get<ConfigError>(result));
  }
  check_listen_address(text);
  return 0;
}
